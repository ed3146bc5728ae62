import { randomUUID } from 'node:crypto';
import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import type { Database, Queryable } from './database.js';
import { ftsQuery } from './fts-query.js';
import { clamp, conditions, iso, readText, textColumn } from './sql-helpers.js';

export type EpisodeOutcome = 'success' | 'failure' | 'partial';
export type MemorySort = 'relevance' | 'newest' | 'oldest' | 'duration' | 'success';

export interface Episode {
  id: string;
  task: string;
  domain: string | null;
  taskType: string | null;
  context: unknown;
  status: 'open' | 'completed';
  outcome: EpisodeOutcome | null;
  notes: string | null;
  startedAt: string;
  completedAt: string | null;
  durationMs: number | null;
  steps: number;
  executions: number;
  /** bm25 rank when found by a full-text query (lower is better). */
  score?: number;
}

export interface Step {
  episodeId: string;
  seq: number;
  action: string;
  outcome: string | null;
  createdAt: string;
}

export interface StartEpisodeInput {
  task: string;
  domain?: string;
  taskType?: string;
  context?: unknown;
}

export interface MemoryQuery {
  /** Free text; only its words are searched. Text with no word at all matches nothing. */
  query?: string;
  domain?: string;
  taskType?: string;
  /** 1 to 100. Default 10. */
  limit?: number;
  /** Default: `relevance` with a query, `newest` without. */
  sort?: MemorySort;
}

const EPISODE_COLUMNS = [
  'e.seq',
  'e.id',
  textColumn('e.task'),
  textColumn('e.domain'),
  textColumn('e.task_type'),
  textColumn('e.context'),
  'e.status',
  'e.outcome',
  textColumn('e.notes'),
  'e.started_at',
  'e.completed_at',
  'e.duration_ms',
  '(SELECT COUNT(*) FROM steps s WHERE s.episode_id = e.id) AS steps',
  '(SELECT COUNT(*) FROM executions x WHERE x.episode_id = e.id) AS executions',
].join(', ');

/** Throws `InvalidRequestError` on `episode_id` when there is no such episode; returns its status. */
export async function requireEpisode(q: Queryable, id: string): Promise<'open' | 'completed'> {
  const row = (await q.execute({ sql: 'SELECT status FROM episodes WHERE id = ?', args: [id] })).rows[0];
  if (!row) throw new InvalidRequestError('episode_id', `no episode ${id}`);
  return row.status as 'open' | 'completed';
}

async function selectEpisode(q: Queryable, id: string): Promise<Episode | undefined> {
  const row = (
    await q.execute({
      sql: `SELECT ${EPISODE_COLUMNS}, NULL AS score FROM episodes e WHERE e.id = ?`,
      args: [id],
    })
  ).rows[0];
  return row ? toEpisode(row) : undefined;
}

/** Episodes and their ordered steps; every change is one transaction. */
export class EpisodeRepository {
  constructor(readonly db: Database) {}

  async start(input: StartEpisodeInput): Promise<Episode> {
    const id = randomUUID();
    return this.db.write(async (tx) => {
      await tx.execute({
        sql: 'INSERT INTO episodes (id, task, domain, task_type, context, started_at) VALUES (?, ?, ?, ?, ?, ?)',
        args: [
          id,
          input.task,
          input.domain ?? null,
          input.taskType ?? null,
          input.context === undefined ? null : JSON.stringify(input.context),
          Date.now(),
        ],
      });
      return (await selectEpisode(tx, id))!;
    });
  }

  async logStep(episodeId: string, input: { action: string; outcome?: string }): Promise<Step> {
    return this.db.write(async (tx) => {
      if ((await requireEpisode(tx, episodeId)) !== 'open')
        throw new InvalidRequestError('episode_id', `episode ${episodeId} is already completed`);
      const next = Number(
        (
          await tx.execute({
            sql: 'SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM steps WHERE episode_id = ?',
            args: [episodeId],
          })
        ).rows[0]!.seq,
      );
      const now = Date.now();
      await tx.execute({
        sql: 'INSERT INTO steps (episode_id, seq, action, outcome, created_at) VALUES (?, ?, ?, ?, ?)',
        args: [episodeId, next, input.action, input.outcome ?? null, now],
      });
      return {
        episodeId,
        seq: next,
        action: input.action,
        outcome: input.outcome ?? null,
        createdAt: iso(now)!,
      };
    });
  }

  async complete(episodeId: string, input: { outcome: EpisodeOutcome; notes?: string }): Promise<Episode> {
    return this.db.write(async (tx) => {
      if ((await requireEpisode(tx, episodeId)) !== 'open')
        throw new InvalidRequestError('episode_id', `episode ${episodeId} is already completed`);
      const now = Date.now();
      await tx.execute({
        sql: `UPDATE episodes SET status = 'completed', outcome = ?, notes = ?, completed_at = ?, duration_ms = ? - started_at
              WHERE id = ?`,
        args: [input.outcome, input.notes ?? null, now, now, episodeId],
      });
      return (await selectEpisode(tx, episodeId))!;
    });
  }

  async get(id: string): Promise<Episode | undefined> {
    return this.db.read((q) => selectEpisode(q, id));
  }

  /** Throws `InvalidRequestError` on `episode_id` when there is no such episode. */
  async require(id: string): Promise<void> {
    await this.db.read((q) => requireEpisode(q, id));
  }

  async steps(episodeId: string): Promise<Step[]> {
    const rows = await this.db.read(
      async (q) =>
        (
          await q.execute({
            sql: `SELECT episode_id, seq, ${textColumn('action')}, ${textColumn('outcome')}, created_at FROM steps WHERE episode_id = ? ORDER BY seq`,
            args: [episodeId],
          })
        ).rows,
    );
    return rows.map((r) => ({
      episodeId: r.episode_id as string,
      seq: Number(r.seq),
      action: readText(r.action)!,
      outcome: readText(r.outcome),
      createdAt: iso(r.created_at)!,
    }));
  }

  /** Episodes matching a full-text query (FTS5, bm25) and filters, sorted as asked. */
  async query(input: MemoryQuery): Promise<Episode[]> {
    const text = input.query?.trim() ? input.query : undefined;
    const match = text ? ftsQuery(text) : undefined;
    // Text without a single word cannot match anything: "no filter" would return every episode.
    if (text && !match) return [];
    const from = match ? 'episodes_fts f JOIN episodes e ON e.seq = f.rowid' : 'episodes e';
    const score = match ? 'bm25(episodes_fts)' : 'NULL';
    const { where, args } = conditions([
      ['episodes_fts MATCH ?', match],
      ['e.domain = ?', input.domain],
      ['e.task_type = ?', input.taskType],
    ]);
    const sort = input.sort ?? (match ? 'relevance' : 'newest');
    const order = {
      relevance: match ? 'score ASC, e.seq DESC' : 'e.seq DESC',
      newest: 'e.started_at DESC, e.seq DESC',
      oldest: 'e.started_at ASC, e.seq ASC',
      duration: 'e.duration_ms IS NULL, e.duration_ms ASC',
      success:
        "CASE e.outcome WHEN 'success' THEN 0 WHEN 'partial' THEN 1 WHEN 'failure' THEN 2 ELSE 3 END, e.started_at DESC",
    }[sort];
    const limit = clamp(input.limit, 10, 1, 100);
    const rows = await this.db.read(
      async (q) =>
        (
          await q.execute({
            sql: `SELECT ${EPISODE_COLUMNS}, ${score} AS score FROM ${from} ${where} ORDER BY ${order} LIMIT ?`,
            args: [...args, limit],
          })
        ).rows,
    );
    return rows.map(toEpisode);
  }
}

function toEpisode(row: Record<string, unknown>): Episode {
  const rawContext = readText(row.context);
  let context: unknown = null;
  if (rawContext !== null) {
    try {
      context = JSON.parse(rawContext);
    } catch {
      context = rawContext;
    }
  }
  return {
    id: row.id as string,
    task: readText(row.task)!,
    domain: readText(row.domain),
    taskType: readText(row.task_type),
    context,
    status: row.status as Episode['status'],
    outcome: (row.outcome as EpisodeOutcome | null) ?? null,
    notes: readText(row.notes),
    startedAt: iso(row.started_at)!,
    completedAt: iso(row.completed_at),
    durationMs: row.duration_ms == null ? null : Number(row.duration_ms),
    steps: Number(row.steps ?? 0),
    executions: Number(row.executions ?? 0),
    ...(row.score != null ? { score: Number(row.score) } : {}),
  };
}
