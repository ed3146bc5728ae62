import type { Row } from '@libsql/client';
import type {
  LeaseOutcome,
  SessionCommit,
  SessionInfo,
  SessionState,
  SessionStore,
} from '@memory-mcp/sandbox-core';
import type { Database, Queryable } from './database.js';

/** `session_layers.kind`: a state's base, and the delta on it. */
const BASE = 0;
const DELTA = 1;

const INFO_COLUMNS =
  'id, label, created_at, last_used_at, expires_at, ttl_ms, version, calls, engine, state_bytes, limits, forked_from';

/**
 * Sessions in libSQL: every instance on the database sees the same sessions, a restarted server
 * resumes them, and the lease columns make one call at a time per session hold across instances.
 * The state's layers live in their own rows (`session_layers`): taking a lease rewrites only the
 * small metadata row, and a call that kept its base rewrites only the delta.
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
                engine, state_bytes, limits, forked_from)
              SELECT ?, ?, ?, ?, ?, ?, version, 0, engine, state_bytes, ?, id
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
      await tx.execute({
        sql: 'INSERT INTO session_layers (session_id, kind, bytes) SELECT ?, kind, bytes FROM session_layers WHERE session_id = ?',
        args: [info.id, sourceId],
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
    // one statement takes a free (or lapsed, or own) lease on a live session and returns it
    const taken = (
      await this.db.writeStatement({
        sql: `UPDATE sessions SET lease_owner = ?, lease_until = ?
              WHERE id = ? AND (expires_at > ? OR lease_until > ?)
                AND (lease_owner IS NULL OR lease_owner = ? OR lease_until <= ?)
              RETURNING ${INFO_COLUMNS}`,
        args: [owner, until, id, now, now, owner, now],
      })
    ).rows[0];
    if (!taken) {
      const live = await this.db.read(
        async (q) =>
          (
            await q.execute({
              sql: 'SELECT 1 FROM sessions WHERE id = ? AND (expires_at > ? OR lease_until > ?)',
              args: [id, now, now],
            })
          ).rows[0],
      );
      return live ? { kind: 'busy' } : { kind: 'missing' };
    }
    const info = toInfo(taken);
    if (info.version === 0 || info.version === haveVersion) return { kind: 'taken', info };
    // the lease is ours: no one else commits until it ends, so this read matches the version above
    const layers = await this.db.read(
      async (q) =>
        (await q.execute({ sql: 'SELECT kind, bytes FROM session_layers WHERE session_id = ?', args: [id] }))
          .rows,
    );
    const base = bytes(layers.find((row) => Number(row.kind) === BASE)?.bytes);
    if (!base || !info.engine) return { kind: 'taken', info };
    const delta = bytes(layers.find((row) => Number(row.kind) === DELTA)?.bytes);
    const state: SessionState = { base, engine: info.engine, ...(delta ? { delta } : {}) };
    return { kind: 'taken', info, state };
  }

  async commit(id: string, owner: string, commit: SessionCommit): Promise<boolean> {
    const { state } = commit;
    const stateBytes = state.base.length + (state.delta?.length ?? 0);
    // one transaction: the state, the version and the end of the lease land together or not at all
    return this.db.write(async (tx) => {
      const updated = await tx.execute({
        sql: `UPDATE sessions SET engine = ?, state_bytes = ?, version = version + 1, calls = calls + 1,
                last_used_at = ?, expires_at = ? + ttl_ms, lease_owner = NULL, lease_until = NULL
              WHERE id = ? AND lease_owner = ? AND version = ?`,
        args: [state.engine, stateBytes, commit.now, commit.now, id, owner, commit.fromVersion],
      });
      if (updated.rowsAffected !== 1) return false;
      if (commit.baseChanged) await this.#putLayer(tx, id, BASE, state.base);
      if (state.delta) await this.#putLayer(tx, id, DELTA, state.delta);
      else
        await tx.execute({
          sql: 'DELETE FROM session_layers WHERE session_id = ? AND kind = ?',
          args: [id, DELTA],
        });
      return true;
    });
  }

  async #putLayer(tx: Queryable, id: string, kind: number, layer: Uint8Array): Promise<void> {
    await tx.execute({
      sql: `INSERT INTO session_layers (session_id, kind, bytes) VALUES (?, ?, ?)
            ON CONFLICT (session_id, kind) DO UPDATE SET bytes = excluded.bytes`,
      args: [id, kind, layer],
    });
  }

  async release(id: string, owner: string, now: number): Promise<void> {
    await this.db.writeStatement({
      sql: `UPDATE sessions SET calls = calls + 1, last_used_at = ?, expires_at = ? + ttl_ms,
              lease_owner = NULL, lease_until = NULL
            WHERE id = ? AND lease_owner = ?`,
      args: [now, now, id, owner],
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
    return this.db.write(async (tx) => {
      await tx.execute({ sql: 'DELETE FROM session_layers WHERE session_id = ?', args: [id] });
      return (await tx.execute({ sql: 'DELETE FROM sessions WHERE id = ?', args: [id] })).rowsAffected === 1;
    });
  }

  async deleteExpired(now: number): Promise<number> {
    return this.db.write((tx) => this.#dropExpired(tx, now));
  }

  /** Expired sessions go (their layers first), except one whose call is still running (its lease is live). */
  async #dropExpired(tx: Queryable, now: number): Promise<number> {
    const expired = 'expires_at <= ? AND (lease_until IS NULL OR lease_until <= ?)';
    await tx.execute({
      sql: `DELETE FROM session_layers WHERE session_id IN (SELECT id FROM sessions WHERE ${expired})`,
      args: [now, now],
    });
    return (await tx.execute({ sql: `DELETE FROM sessions WHERE ${expired}`, args: [now, now] }))
      .rowsAffected;
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
