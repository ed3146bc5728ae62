import { createHash, randomUUID } from 'node:crypto';
import { type Client, createClient, type InValue, type Transaction } from '@libsql/client';
import { type ExecutionResult, InvalidRequestError } from '@memory-mcp/sandbox-core';
import { MIGRATIONS } from './migrations.js';

export interface MemoryStoreOptions {
  /** `file:/path/to/memory.db`, `:memory:`, or a Turso / sqld URL (`libsql://`, `http(s)://`). */
  url: string;
  authToken?: string;
}

export type EpisodeOutcome = 'success' | 'failure' | 'partial';
export type MemorySort = 'relevance' | 'newest' | 'oldest' | 'duration' | 'success';

export interface Episode {
  id: string;
  task: string;
  domain: string | null;
  task_type: string | null;
  context: unknown;
  status: 'open' | 'completed';
  outcome: EpisodeOutcome | null;
  notes: string | null;
  started_at: string;
  completed_at: string | null;
  duration_ms: number | null;
  steps: number;
  executions: number;
  score?: number;
}

export interface Step {
  episode_id: string;
  seq: number;
  action: string;
  outcome: string | null;
  created_at: string;
}

export interface StoredExecution {
  id: string;
  episode_id: string | null;
  language: string;
  backend: string;
  status: string;
  route_reason: string | null;
  error_kind: string | null;
  code_sha256: string | null;
  total_ms: number;
  fuel_used: number | null;
  created_at: string;
  result: ExecutionResult;
}

export interface ExecutionFilter {
  status?: string;
  backend?: string;
  episodeId?: string;
  /** Only executions at or after this time. */
  since?: Date;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface Patterns {
  taskTypes: Array<{
    task_type: string | null;
    episodes: number;
    successes: number;
    success_rate: number;
    avg_duration_ms: number | null;
  }>;
  backends: Array<{
    backend: string;
    executions: number;
    ok: number;
    success_rate: number;
    p50_ms: number | null;
  }>;
  errorKinds: Array<{ error_kind: string; count: number; backends: string }>;
  stepSequences: Array<{ sequence: string[]; count: number; task_types: string[] }>;
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(Number(ms)).toISOString());

/**
 * Execution history and episodic memory in libSQL: an embedded file by default, or Turso / sqld.
 * Numbered migrations run at open, each in a write transaction; file databases use WAL.
 */
export class MemoryStore {
  private constructor(
    readonly client: Client,
    readonly url: string,
  ) {}

  static async open(options: MemoryStoreOptions): Promise<MemoryStore> {
    const client = createClient({
      url: options.url,
      ...(options.authToken ? { authToken: options.authToken } : {}),
    });
    const store = new MemoryStore(client, options.url);
    if (options.url.startsWith('file:')) {
      await client.execute('PRAGMA journal_mode = WAL');
      await client.execute('PRAGMA synchronous = NORMAL');
      await client.execute('PRAGMA busy_timeout = 5000');
    }
    await store.migrate();
    return store;
  }

  /** Applies pending migrations; returns the versions applied. */
  async migrate(): Promise<number[]> {
    await this.client.execute(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    const done = new Set(
      (await this.client.execute('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)),
    );
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await this.#write(async (tx) => {
        for (const statement of migration.statements) await tx.execute(statement);
        await tx.execute({
          sql: 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
          args: [migration.version, migration.name, Date.now()],
        });
      });
      applied.push(migration.version);
    }
    return applied;
  }

  /** Runs `work` in one write transaction: committed when it resolves, rolled back when it throws. */
  async #write<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const tx = await this.client.transaction('write');
    try {
      const result = await work(tx);
      await tx.commit();
      return result;
    } catch (error) {
      await tx.rollback();
      throw error;
    } finally {
      tx.close();
    }
  }

  async ping(): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
    const started = performance.now();
    try {
      await this.client.execute('SELECT 1');
      return { ok: true, latencyMs: performance.now() - started };
    } catch (error) {
      return { ok: false, latencyMs: performance.now() - started, error: (error as Error).message };
    }
  }

  /** One row per execution, written in one statement (durable once this resolves). */
  async recordExecution(input: {
    id?: string;
    episodeId?: string;
    language: string;
    code?: string | Uint8Array;
    result: ExecutionResult;
  }): Promise<string> {
    const id = input.id ?? randomUUID();
    if (input.episodeId) await this.requireEpisode(input.episodeId);
    const code = typeof input.code === 'string' ? input.code : undefined;
    const sha = input.code === undefined ? null : createHash('sha256').update(input.code).digest('hex');
    const { result } = input;
    await this.client.execute({
      sql: `INSERT INTO executions (id, episode_id, language, backend, status, route_reason, error_kind, code_sha256, code, result, total_ms, fuel_used, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [
        id,
        input.episodeId ?? null,
        input.language,
        result.backend,
        result.status,
        result.route?.reason ?? null,
        result.error?.kind ?? null,
        sha,
        code !== undefined && code.length <= 100_000 ? code : null,
        JSON.stringify(result, (_key, value) =>
          value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
        ),
        result.timing.totalMs,
        result.fuelUsed ?? null,
        Date.now(),
      ],
    });
    return id;
  }

  async getExecution(id: string): Promise<StoredExecution | undefined> {
    const row = (await this.client.execute({ sql: 'SELECT * FROM executions WHERE id = ?', args: [id] }))
      .rows[0];
    return row ? toExecution(row) : undefined;
  }

  async listExecutions(
    filter: ExecutionFilter = {},
  ): Promise<{ items: StoredExecution[]; nextCursor?: string }> {
    let cursor: number | undefined;
    if (filter.cursor) {
      cursor = Number(Buffer.from(filter.cursor, 'base64url').toString());
      if (!Number.isInteger(cursor))
        throw new InvalidRequestError('cursor', 'is not a cursor this server issued');
    }
    const { where, args } = conditions([
      ['status = ?', filter.status],
      ['backend = ?', filter.backend],
      ['episode_id = ?', filter.episodeId],
      ['created_at >= ?', filter.since?.getTime()],
      ['seq < ?', cursor],
    ]);
    const limit = Math.min(Math.max(filter.limit ?? 20, 1), 200);
    const rows = (
      await this.client.execute({
        sql: `SELECT * FROM executions ${where} ORDER BY seq DESC LIMIT ?`,
        args: [...args, limit + 1],
      })
    ).rows;
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toExecution),
      ...(rows.length > limit && last
        ? { nextCursor: Buffer.from(String(last.seq)).toString('base64url') }
        : {}),
    };
  }

  async startEpisode(input: {
    task: string;
    domain?: string;
    taskType?: string;
    context?: unknown;
  }): Promise<Episode> {
    const id = randomUUID();
    await this.client.execute({
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
    return (await this.getEpisode(id))!;
  }

  async logStep(episodeId: string, input: { action: string; outcome?: string }): Promise<Step> {
    return this.#write(async (tx) => {
      const episode = (
        await tx.execute({ sql: 'SELECT status FROM episodes WHERE id = ?', args: [episodeId] })
      ).rows[0];
      if (!episode) throw new InvalidRequestError('episode_id', `no episode ${episodeId}`);
      if (episode.status !== 'open')
        throw new InvalidRequestError('episode_id', `episode ${episodeId} is already completed`);
      const next = (
        await tx.execute({
          sql: 'SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM steps WHERE episode_id = ?',
          args: [episodeId],
        })
      ).rows[0]!.seq as number;
      const now = Date.now();
      await tx.execute({
        sql: 'INSERT INTO steps (episode_id, seq, action, outcome, created_at) VALUES (?, ?, ?, ?, ?)',
        args: [episodeId, next, input.action, input.outcome ?? null, now],
      });
      return {
        episode_id: episodeId,
        seq: Number(next),
        action: input.action,
        outcome: input.outcome ?? null,
        created_at: iso(now)!,
      };
    });
  }

  async completeEpisode(
    episodeId: string,
    input: { outcome: EpisodeOutcome; notes?: string },
  ): Promise<Episode> {
    const now = Date.now();
    const updated = await this.client.execute({
      sql: `UPDATE episodes SET status = 'completed', outcome = ?, notes = ?, completed_at = ?, duration_ms = ? - started_at
            WHERE id = ? AND status = 'open'`,
      args: [input.outcome, input.notes ?? null, now, now, episodeId],
    });
    if (updated.rowsAffected === 0) {
      const exists = await this.getEpisode(episodeId);
      throw new InvalidRequestError(
        'episode_id',
        exists ? `episode ${episodeId} is already completed` : `no episode ${episodeId}`,
      );
    }
    return (await this.getEpisode(episodeId))!;
  }

  async getEpisode(id: string): Promise<Episode | undefined> {
    const row = (
      await this.client.execute({
        sql: `SELECT e.*, (SELECT COUNT(*) FROM steps s WHERE s.episode_id = e.id) AS steps,
                (SELECT COUNT(*) FROM executions x WHERE x.episode_id = e.id) AS executions
              FROM episodes e WHERE e.id = ?`,
        args: [id],
      })
    ).rows[0];
    return row ? toEpisode(row) : undefined;
  }

  /** Throws `InvalidRequestError` on `episode_id` when there is no such episode. */
  async requireEpisode(id: string): Promise<void> {
    const row = (await this.client.execute({ sql: 'SELECT 1 FROM episodes WHERE id = ?', args: [id] }))
      .rows[0];
    if (!row) throw new InvalidRequestError('episode_id', `no episode ${id}`);
  }

  /** Episodes matching a full-text query (FTS5, bm25) and filters, sorted as asked. */
  async queryMemory(input: {
    query?: string;
    domain?: string;
    taskType?: string;
    limit?: number;
    sort?: MemorySort;
  }): Promise<Episode[]> {
    const match = input.query ? ftsQuery(input.query) : undefined;
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
    const limit = Math.min(Math.max(input.limit ?? 10, 1), 100);
    const rows = (
      await this.client.execute({
        sql: `SELECT e.*, ${score} AS score,
                (SELECT COUNT(*) FROM steps s WHERE s.episode_id = e.id) AS steps,
                (SELECT COUNT(*) FROM executions x WHERE x.episode_id = e.id) AS executions
              FROM ${from} ${where}
              ORDER BY ${order} LIMIT ?`,
        args: [...args, limit],
      })
    ).rows;
    return rows.map(toEpisode);
  }

  async analyzePatterns(input: {
    taskType?: string;
    minSuccessRate?: number;
    limit?: number;
  }): Promise<Patterns> {
    const limit = Math.min(Math.max(input.limit ?? 10, 1), 100);
    const taskFilter = input.taskType ? 'AND task_type = ?' : '';
    const taskArgs: InValue[] = input.taskType ? [input.taskType] : [];
    const taskTypes = (
      await this.client.execute({
        sql: `SELECT task_type, COUNT(*) AS episodes, SUM(outcome = 'success') AS successes,
                CAST(SUM(outcome = 'success') AS REAL) / COUNT(*) AS success_rate, AVG(duration_ms) AS avg_duration_ms
              FROM episodes WHERE status = 'completed' ${taskFilter}
              GROUP BY task_type HAVING success_rate >= ? ORDER BY episodes DESC LIMIT ?`,
        args: [...taskArgs, input.minSuccessRate ?? 0, limit],
      })
    ).rows.map((r) => ({
      task_type: (r.task_type as string | null) ?? null,
      episodes: Number(r.episodes),
      successes: Number(r.successes),
      success_rate: Number(r.success_rate),
      avg_duration_ms: r.avg_duration_ms == null ? null : Number(r.avg_duration_ms),
    }));

    const execFilter = input.taskType
      ? 'WHERE x.episode_id IN (SELECT id FROM episodes WHERE task_type = ?)'
      : '';
    const backendRows = (
      await this.client.execute({
        sql: `SELECT backend, COUNT(*) AS executions, SUM(status = 'ok') AS ok FROM executions x ${execFilter}
              GROUP BY backend ORDER BY executions DESC`,
        args: taskArgs,
      })
    ).rows;
    const backends = [];
    for (const r of backendRows) {
      const count = Number(r.executions);
      const median = (
        await this.client.execute({
          sql: `SELECT total_ms FROM executions x ${execFilter ? `${execFilter} AND` : 'WHERE'} backend = ? ORDER BY total_ms LIMIT 1 OFFSET ?`,
          args: [...taskArgs, r.backend as string, Math.floor((count - 1) / 2)],
        })
      ).rows[0];
      backends.push({
        backend: r.backend as string,
        executions: count,
        ok: Number(r.ok),
        success_rate: Number(r.ok) / count,
        p50_ms: median ? Number(median.total_ms) : null,
      });
    }

    const errorKinds = (
      await this.client.execute({
        sql: `SELECT error_kind, COUNT(*) AS count, GROUP_CONCAT(DISTINCT backend) AS backends FROM executions x
              ${execFilter ? `${execFilter} AND` : 'WHERE'} status != 'ok' AND error_kind IS NOT NULL
              GROUP BY error_kind ORDER BY count DESC LIMIT ?`,
        args: [...taskArgs, limit],
      })
    ).rows.map((r) => ({
      error_kind: r.error_kind as string,
      count: Number(r.count),
      backends: String(r.backends ?? ''),
    }));

    const sequences = (
      await this.client.execute({
        sql: `SELECT seqs.sequence, COUNT(*) AS count, GROUP_CONCAT(DISTINCT seqs.task_type) AS task_types FROM (
                SELECT e.id, e.task_type, (SELECT GROUP_CONCAT(action, char(31)) FROM (SELECT action FROM steps s WHERE s.episode_id = e.id ORDER BY s.seq)) AS sequence
                FROM episodes e WHERE e.outcome = 'success' ${input.taskType ? 'AND e.task_type = ?' : ''}
              ) seqs WHERE seqs.sequence IS NOT NULL GROUP BY seqs.sequence ORDER BY count DESC, seqs.sequence LIMIT ?`,
        args: [...taskArgs, limit],
      })
    ).rows.map((r) => ({
      sequence: String(r.sequence).split('\u001f'),
      count: Number(r.count),
      task_types: r.task_types ? String(r.task_types).split(',') : [],
    }));

    return { taskTypes, backends, errorKinds, stepSequences: sequences };
  }

  async storeModule(input: {
    id: string;
    bytes: Uint8Array;
    engine?: string;
    sourceSha256?: string;
  }): Promise<void> {
    await this.client.execute({
      sql: `INSERT INTO modules (id, size, bytes, engine, source_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO NOTHING`,
      args: [
        input.id,
        input.bytes.length,
        input.bytes,
        input.engine ?? null,
        input.sourceSha256 ?? null,
        Date.now(),
      ],
    });
  }

  async getModule(id: string): Promise<Uint8Array | undefined> {
    const row = (await this.client.execute({ sql: 'SELECT bytes FROM modules WHERE id = ?', args: [id] }))
      .rows[0];
    if (!row) return undefined;
    const bytes = row.bytes as ArrayBuffer | Uint8Array;
    return bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  }

  close(): void {
    this.client.close();
  }
}

/** `WHERE a = ? AND b = ?` from the conditions whose value is given, with their arguments. */
function conditions(pairs: Array<[string, InValue | undefined]>): { where: string; args: InValue[] } {
  const given = pairs.filter(([, value]) => value !== undefined && value !== '');
  return {
    where: given.length ? `WHERE ${given.map(([sql]) => sql).join(' AND ')}` : '',
    args: given.map(([, value]) => value as InValue),
  };
}

/** Turns free text into a safe FTS5 query: quoted terms, any of which may match (bm25 ranks). */
export function ftsQuery(text: string): string | undefined {
  const terms = text.match(/[\p{L}\p{N}_]+/gu);
  if (!terms || terms.length === 0) return undefined;
  return terms
    .slice(0, 32)
    .map((t) => `"${t}"`)
    .join(' OR ');
}

function toEpisode(row: Record<string, unknown>): Episode {
  let context: unknown = null;
  if (typeof row.context === 'string') {
    try {
      context = JSON.parse(row.context);
    } catch {
      context = row.context;
    }
  }
  return {
    id: row.id as string,
    task: row.task as string,
    domain: (row.domain as string | null) ?? null,
    task_type: (row.task_type as string | null) ?? null,
    context,
    status: row.status as Episode['status'],
    outcome: (row.outcome as EpisodeOutcome | null) ?? null,
    notes: (row.notes as string | null) ?? null,
    started_at: iso(row.started_at as number)!,
    completed_at: iso(row.completed_at as number | null),
    duration_ms: row.duration_ms == null ? null : Number(row.duration_ms),
    steps: Number(row.steps ?? 0),
    executions: Number(row.executions ?? 0),
    ...(row.score != null ? { score: Number(row.score) } : {}),
  };
}

function toExecution(row: Record<string, unknown>): StoredExecution {
  return {
    id: row.id as string,
    episode_id: (row.episode_id as string | null) ?? null,
    language: row.language as string,
    backend: row.backend as string,
    status: row.status as string,
    route_reason: (row.route_reason as string | null) ?? null,
    error_kind: (row.error_kind as string | null) ?? null,
    code_sha256: (row.code_sha256 as string | null) ?? null,
    total_ms: Number(row.total_ms),
    fuel_used: row.fuel_used == null ? null : Number(row.fuel_used),
    created_at: iso(row.created_at as number)!,
    result: JSON.parse(row.result as string) as ExecutionResult,
  };
}
