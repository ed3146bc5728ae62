import type { Row } from '@libsql/client';
import type {
  LeaseOutcome,
  SessionCommit,
  SessionInfo,
  SessionState,
  SessionStore,
} from '@memory-mcp/sandbox-core';
import type { Database, Queryable } from './database.js';

const INFO_COLUMNS =
  'id, label, created_at, last_used_at, expires_at, ttl_ms, version, calls, engine, state_bytes, limits, forked_from';

/**
 * Sessions in libSQL: every instance on the database sees the same sessions, a restarted server
 * resumes them, and the lease columns make one call at a time per session hold across instances.
 * A call that ended ok rewrites only the delta when it kept its base.
 */
export class SessionRepository implements SessionStore {
  constructor(readonly db: Database) {}

  async insert(info: SessionInfo, maxSessions: number, now: number): Promise<boolean> {
    return this.db.write(async (tx) => {
      await this.#dropExpired(tx, now);
      if ((await this.#count(tx)) >= maxSessions) return false;
      await tx.execute({
        sql: `INSERT INTO sessions (id, label, created_at, last_used_at, expires_at, ttl_ms, limits, forked_from)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [
          info.id,
          info.label ?? null,
          info.createdAt,
          info.lastUsedAt,
          info.expiresAt,
          info.ttlMs,
          info.limits ? JSON.stringify(info.limits) : null,
          info.forkedFrom ?? null,
        ],
      });
      return true;
    });
  }

  async fork(sourceId: string, info: SessionInfo, maxSessions: number, now: number) {
    return this.db.write(async (tx) => {
      await this.#dropExpired(tx, now);
      const source = await tx.execute({
        sql: 'SELECT 1 FROM sessions WHERE id = ? AND expires_at > ?',
        args: [sourceId, now],
      });
      if (source.rows.length === 0) return 'missing' as const;
      if ((await this.#count(tx)) >= maxSessions) return 'full' as const;
      // the copy is made in the database: the state's bytes never pass through this process
      await tx.execute({
        sql: `INSERT INTO sessions (id, label, created_at, last_used_at, expires_at, ttl_ms, version, calls,
                engine, base, delta, state_bytes, limits, forked_from)
              SELECT ?, ?, ?, ?, ?, ?, version, 0, engine, base, delta, state_bytes, ?, id
              FROM sessions WHERE id = ?`,
        args: [
          info.id,
          info.label ?? null,
          info.createdAt,
          info.lastUsedAt,
          info.expiresAt,
          info.ttlMs,
          info.limits ? JSON.stringify(info.limits) : null,
          sourceId,
        ],
      });
      return 'ok' as const;
    });
  }

  async get(id: string, now: number): Promise<SessionInfo | undefined> {
    const row = await this.db.read(
      async (q) =>
        (
          await q.execute({
            sql: `SELECT ${INFO_COLUMNS} FROM sessions WHERE id = ? AND expires_at > ?`,
            args: [id, now],
          })
        ).rows[0],
    );
    return row ? toInfo(row) : undefined;
  }

  async lease(
    id: string,
    owner: string,
    until: number,
    now: number,
    haveVersion?: number,
  ): Promise<LeaseOutcome> {
    return this.db.write(async (tx) => {
      const row = (
        await tx.execute({
          sql: `SELECT ${INFO_COLUMNS}, lease_owner, lease_until FROM sessions WHERE id = ? AND (expires_at > ? OR lease_until > ?)`,
          args: [id, now, now],
        })
      ).rows[0];
      if (!row) return { kind: 'missing' };
      if (row.lease_owner != null && row.lease_owner !== owner && Number(row.lease_until) > now) {
        return { kind: 'busy' };
      }
      await tx.execute({
        sql: 'UPDATE sessions SET lease_owner = ?, lease_until = ? WHERE id = ?',
        args: [owner, until, id],
      });
      const info = toInfo(row);
      if (info.version === 0 || info.version === haveVersion) return { kind: 'taken', info };
      const blobs = (await tx.execute({ sql: 'SELECT base, delta FROM sessions WHERE id = ?', args: [id] }))
        .rows[0]!;
      const base = bytes(blobs.base);
      if (!base || !info.engine) return { kind: 'taken', info };
      const delta = bytes(blobs.delta);
      const state: SessionState = { base, engine: info.engine, ...(delta ? { delta } : {}) };
      return { kind: 'taken', info, state };
    });
  }

  async commit(id: string, owner: string, commit: SessionCommit): Promise<boolean> {
    const { state } = commit;
    const stateBytes = state.base.length + (state.delta?.length ?? 0);
    return this.db.write(async (tx) => {
      const set = commit.baseChanged ? 'base = ?, delta = ?' : 'delta = ?';
      const blobs = commit.baseChanged ? [state.base, state.delta ?? null] : [state.delta ?? null];
      const updated = await tx.execute({
        sql: `UPDATE sessions SET ${set}, engine = ?, state_bytes = ?, version = version + 1, calls = calls + 1,
                last_used_at = ?, expires_at = ? + ttl_ms, lease_owner = NULL, lease_until = NULL
              WHERE id = ? AND lease_owner = ? AND version = ?`,
        args: [...blobs, state.engine, stateBytes, commit.now, commit.now, id, owner, commit.fromVersion],
      });
      return updated.rowsAffected === 1;
    });
  }

  async release(id: string, owner: string, now: number): Promise<void> {
    await this.db.write(async (tx) => {
      await tx.execute({
        sql: `UPDATE sessions SET calls = calls + 1, last_used_at = ?, expires_at = ? + ttl_ms,
                lease_owner = NULL, lease_until = NULL
              WHERE id = ? AND lease_owner = ?`,
        args: [now, now, id, owner],
      });
    });
  }

  async list(now: number, limit: number): Promise<SessionInfo[]> {
    const rows = await this.db.read(
      async (q) =>
        (
          await q.execute({
            sql: `SELECT ${INFO_COLUMNS} FROM sessions WHERE expires_at > ? ORDER BY last_used_at DESC LIMIT ?`,
            args: [now, limit],
          })
        ).rows,
    );
    return rows.map(toInfo);
  }

  async delete(id: string): Promise<boolean> {
    return this.db.write(
      async (tx) =>
        (await tx.execute({ sql: 'DELETE FROM sessions WHERE id = ?', args: [id] })).rowsAffected === 1,
    );
  }

  async deleteExpired(now: number): Promise<number> {
    return this.db.write((tx) => this.#dropExpired(tx, now));
  }

  /** Expired sessions go, except one whose call is still running (its lease is live). */
  async #dropExpired(tx: Queryable, now: number): Promise<number> {
    const result = await tx.execute({
      sql: 'DELETE FROM sessions WHERE expires_at <= ? AND (lease_until IS NULL OR lease_until <= ?)',
      args: [now, now],
    });
    return result.rowsAffected;
  }

  async #count(tx: Queryable): Promise<number> {
    return Number((await tx.execute('SELECT count(*) AS n FROM sessions')).rows[0]!.n);
  }
}

function toInfo(row: Row): SessionInfo {
  let limits: SessionInfo['limits'];
  if (typeof row.limits === 'string') {
    try {
      limits = JSON.parse(row.limits) as SessionInfo['limits'];
    } catch {
      limits = undefined;
    }
  }
  return {
    id: String(row.id),
    createdAt: Number(row.created_at),
    lastUsedAt: Number(row.last_used_at),
    expiresAt: Number(row.expires_at),
    ttlMs: Number(row.ttl_ms),
    version: Number(row.version),
    calls: Number(row.calls),
    stateBytes: Number(row.state_bytes),
    ...(row.engine != null ? { engine: String(row.engine) } : {}),
    ...(row.forked_from != null ? { forkedFrom: String(row.forked_from) } : {}),
    ...(limits ? { limits } : {}),
    ...(row.label != null ? { label: String(row.label) } : {}),
  };
}

function bytes(value: unknown): Uint8Array | undefined {
  if (value == null) return undefined;
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return undefined;
}
