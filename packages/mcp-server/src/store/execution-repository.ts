import { createHash, randomUUID } from 'node:crypto';
import { type ExecutionResult, InvalidRequestError } from '@memory-mcp/sandbox-core';
import type { Database } from './database.js';
import { requireEpisode } from './episode-repository.js';
import { clamp, conditions, iso, readText, textColumn } from './sql-helpers.js';

export interface StoredExecution {
  id: string;
  episodeId: string | null;
  language: string;
  backend: string;
  status: string;
  routeReason: string | null;
  errorKind: string | null;
  codeSha256: string | null;
  totalMs: number;
  fuelUsed: number | null;
  createdAt: string;
  result: ExecutionResult;
}

export interface ExecutionFilter {
  status?: string;
  backend?: string;
  episodeId?: string;
  /** Only executions at or after this time. */
  since?: Date;
  /** Page size, 1 to 200. Default 20. */
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface RecordExecutionInput {
  id?: string;
  episodeId?: string;
  language: string;
  code?: string | Uint8Array;
  result: ExecutionResult;
}

/** Largest source kept verbatim with its execution (the SHA-256 is always kept). */
const MAX_STORED_CODE_CHARS = 100_000;

const COLUMNS = `seq, id, episode_id, language, backend, status, route_reason, error_kind, code_sha256, total_ms, fuel_used, created_at, ${textColumn('result')}`;

/** Execution history: one row per execution, written with its episode check in one transaction. */
export class ExecutionRepository {
  constructor(readonly db: Database) {}

  /** Records one execution; durable once this resolves. Returns its id. */
  async record(input: RecordExecutionInput): Promise<string> {
    const id = input.id ?? randomUUID();
    const code = typeof input.code === 'string' ? input.code : undefined;
    const sha = input.code === undefined ? null : createHash('sha256').update(input.code).digest('hex');
    const { result } = input;
    const json = JSON.stringify(result, (_key, value) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
    );
    await this.db.write(async (tx) => {
      if (input.episodeId) await requireEpisode(tx, input.episodeId);
      await tx.execute({
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
          code !== undefined && code.length <= MAX_STORED_CODE_CHARS ? code : null,
          json,
          result.timing.totalMs,
          result.fuelUsed ?? null,
          Date.now(),
        ],
      });
    });
    return id;
  }

  async get(id: string): Promise<StoredExecution | undefined> {
    const row = await this.db.read(
      async (q) =>
        (await q.execute({ sql: `SELECT ${COLUMNS} FROM executions WHERE id = ?`, args: [id] })).rows[0],
    );
    return row ? toExecution(row) : undefined;
  }

  /** Newest first, paginated by an opaque cursor. */
  async list(filter: ExecutionFilter = {}): Promise<{ items: StoredExecution[]; nextCursor?: string }> {
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
    const limit = clamp(filter.limit, 20, 1, 200);
    const rows = await this.db.read(
      async (q) =>
        (
          await q.execute({
            sql: `SELECT ${COLUMNS} FROM executions ${where} ORDER BY seq DESC LIMIT ?`,
            args: [...args, limit + 1],
          })
        ).rows,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toExecution),
      ...(rows.length > limit && last
        ? { nextCursor: Buffer.from(String(last.seq)).toString('base64url') }
        : {}),
    };
  }

  /** How many executions are stored (all, or those with these ids). */
  async count(ids?: string[]): Promise<number> {
    return this.db.read(async (q) => {
      if (!ids) return Number((await q.execute('SELECT COUNT(*) AS n FROM executions')).rows[0]!.n);
      let found = 0;
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        found += Number(
          (
            await q.execute({
              sql: `SELECT COUNT(*) AS n FROM executions WHERE id IN (${chunk.map(() => '?').join(',')})`,
              args: chunk,
            })
          ).rows[0]!.n,
        );
      }
      return found;
    });
  }
}

function toExecution(row: Record<string, unknown>): StoredExecution {
  return {
    id: row.id as string,
    episodeId: (row.episode_id as string | null) ?? null,
    language: row.language as string,
    backend: row.backend as string,
    status: row.status as string,
    routeReason: (row.route_reason as string | null) ?? null,
    errorKind: (row.error_kind as string | null) ?? null,
    codeSha256: (row.code_sha256 as string | null) ?? null,
    totalMs: Number(row.total_ms),
    fuelUsed: row.fuel_used == null ? null : Number(row.fuel_used),
    createdAt: iso(row.created_at)!,
    result: JSON.parse(readText(row.result)!) as ExecutionResult,
  };
}
