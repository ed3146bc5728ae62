import { createHash } from 'node:crypto';
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

/** Drops bases no session names any more; run inside the transaction that dropped the last name. */
const DROP_UNUSED_BASES =
  'DELETE FROM session_bases WHERE NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.base_digest = session_bases.digest)';

/**
 * Sessions in libSQL: every instance on the database sees the same sessions, a restarted server
 * resumes them, and the lease columns make one call at a time per session hold across instances.
 *
 * Layout, for speed: the metadata row is small, so taking a lease rewrites a few hundred bytes;
 * a state's base lives in `session_bases` under its SHA-256, shared by every session that has it
 * (a fork copies no bytes, and a call that kept its base writes none); the delta, per session, in
 * `session_deltas`. A base is dropped in the transaction that drops its last reference.
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
      // the fork names the same base and copies the delta, inside the database
      await tx.execute({
        sql: `INSERT INTO sessions (id, label, created_at, last_used_at, expires_at, ttl_ms, version, calls,
                engine, base_digest, state_bytes, limits, forked_from)
              SELECT ?, ?, ?, ?, ?, ?, version, 0, engine, base_digest, state_bytes, ?, id
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
        sql: 'INSERT INTO session_deltas (session_id, bytes) SELECT ?, bytes FROM session_deltas WHERE session_id = ?',
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
    const row = await this.db.read(
      async (q) =>
        (
          await q.execute({
            sql: `SELECT b.bytes AS base, d.bytes AS delta FROM sessions s
                  LEFT JOIN session_bases b ON b.digest = s.base_digest
                  LEFT JOIN session_deltas d ON d.session_id = s.id
                  WHERE s.id = ?`,
            args: [id],
          })
        ).rows[0],
    );
    const base = bytes(row?.base);
    if (!base || !info.engine) return { kind: 'taken', info };
    const delta = bytes(row?.delta);
    const state: SessionState = { base, engine: info.engine, ...(delta ? { delta } : {}) };
    return { kind: 'taken', info, state };
  }

  async commit(id: string, owner: string, commit: SessionCommit): Promise<boolean> {
    const { state } = commit;
    const stateBytes = state.base.length + (state.delta?.length ?? 0);
    const newBase = commit.baseChanged ? createHash('sha256').update(state.base).digest('hex') : undefined;
    // one transaction: the state, the version and the end of the lease land together or not at all
    return this.db.write(async (tx) => {
      const updated = await tx.execute({
        sql: `UPDATE sessions SET engine = ?, state_bytes = ?, version = version + 1, calls = calls + 1,
                base_digest = coalesce(?, base_digest), last_used_at = ?, expires_at = ? + ttl_ms,
                lease_owner = NULL, lease_until = NULL
              WHERE id = ? AND lease_owner = ? AND version = ?`,
        args: [
          state.engine,
          stateBytes,
          newBase ?? null,
          commit.now,
          commit.now,
          id,
          owner,
          commit.fromVersion,
        ],
      });
      if (updated.rowsAffected !== 1) return false;
      if (newBase) {
        await tx.execute({
          sql: 'INSERT INTO session_bases (digest, bytes) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING',
          args: [newBase, state.base],
        });
        await tx.execute(DROP_UNUSED_BASES);
      }
      if (state.delta) {
        await tx.execute({
          sql: `INSERT INTO session_deltas (session_id, bytes) VALUES (?, ?)
                ON CONFLICT (session_id) DO UPDATE SET bytes = excluded.bytes`,
          args: [id, state.delta],
        });
      } else {
        await tx.execute({ sql: 'DELETE FROM session_deltas WHERE session_id = ?', args: [id] });
      }
      return true;
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
      await tx.execute({ sql: 'DELETE FROM session_deltas WHERE session_id = ?', args: [id] });
      const deleted = (await tx.execute({ sql: 'DELETE FROM sessions WHERE id = ?', args: [id] }))
        .rowsAffected;
      if (deleted) await tx.execute(DROP_UNUSED_BASES);
      return deleted === 1;
    });
  }

  async deleteExpired(now: number): Promise<number> {
    return this.db.write((tx) => this.#dropExpired(tx, now));
  }

  /** Expired sessions go (and what only they used), except one whose call is still running. */
  async #dropExpired(tx: Queryable, now: number): Promise<number> {
    const expired = 'expires_at <= ? AND (lease_until IS NULL OR lease_until <= ?)';
    await tx.execute({
      sql: `DELETE FROM session_deltas WHERE session_id IN (SELECT id FROM sessions WHERE ${expired})`,
      args: [now, now],
    });
    const dropped = (await tx.execute({ sql: `DELETE FROM sessions WHERE ${expired}`, args: [now, now] }))
      .rowsAffected;
    if (dropped) await tx.execute(DROP_UNUSED_BASES);
    return dropped;
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
