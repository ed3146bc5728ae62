import type { SessionState } from '../execution-request.js';
import type { Limits } from '../limits.js';

/** What is known of a session without its state. Times are milliseconds since the epoch. */
export interface SessionInfo {
  /** Unguessable (192 random bits): whoever holds it can use the session. */
  id: string;
  createdAt: number;
  lastUsedAt: number;
  /** Idle expiry: `lastUsedAt + ttlMs`. Past it the session is gone. */
  expiresAt: number;
  ttlMs: number;
  /** Saved states so far: 0 until a call ends `ok`, then one more per such call. */
  version: number;
  /** Calls run in the session, whatever their status. */
  calls: number;
  /** Bytes of the saved state (base and delta), 0 before the first save. */
  stateBytes: number;
  /** The engine the state belongs to, once there is one. */
  engine?: string;
  /** The session this one was forked from. */
  forkedFrom?: string;
  /** Limits every call in the session starts from (a call's own limits override them). */
  limits?: Partial<Limits>;
  /** The caller's name for it, if any. */
  label?: string;
}

/** The outcome of taking a session for one call. */
export type LeaseOutcome =
  | { kind: 'taken'; info: SessionInfo; state?: SessionState }
  | { kind: 'busy' }
  | { kind: 'missing' };

/** What a call that ended `ok` writes back. */
export interface SessionCommit {
  state: SessionState;
  /** False when `state.base` is the base the call started from: only the delta needs writing. */
  baseChanged: boolean;
  /** The version the call started from; the commit refuses if the session moved past it. */
  fromVersion: number;
  now: number;
}

/**
 * Where sessions live: in memory for one process (`MemorySessionStore`), or a database shared by
 * several server instances (the MCP server's libSQL store). Every method is atomic on its own.
 * A lease marks the one call running in a session; it ends with `commit` or `release`, or lapses
 * at `until` (a crashed holder never locks a session for good).
 */
export interface SessionStore {
  /** Adds a session unless `maxSessions` live ones exist (expired ones do not count). */
  insert(info: SessionInfo, maxSessions: number, now: number): Promise<boolean>;
  /** A new session starting from `sourceId`'s last saved state; `missing` or `full` when it cannot. */
  fork(
    sourceId: string,
    info: SessionInfo,
    maxSessions: number,
    now: number,
  ): Promise<'ok' | 'missing' | 'full'>;
  /** The live session, without its state. */
  get(id: string, now: number): Promise<SessionInfo | undefined>;
  /**
   * Takes the session for one call until `until`, unless another lease is live. Returns its state
   * too, unless `haveVersion` is its current version (the caller holds that state already).
   */
  lease(id: string, owner: string, until: number, now: number, haveVersion?: number): Promise<LeaseOutcome>;
  /** Saves a call's state, counts the call, refreshes the expiry and ends the lease; false when the lease was lost. */
  commit(id: string, owner: string, commit: SessionCommit): Promise<boolean>;
  /** Ends the lease without saving (the call did not end `ok`); counts the call and refreshes the expiry. */
  release(id: string, owner: string, now: number): Promise<void>;
  /** Live sessions, most recently used first. */
  list(now: number, limit: number): Promise<SessionInfo[]>;
  delete(id: string): Promise<boolean>;
  /** Removes expired sessions; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

interface Held {
  info: SessionInfo;
  state?: SessionState;
  lease?: { owner: string; until: number };
}

/** Sessions in this process's memory: gone when it exits. The default for library use. */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Held>();

  async insert(info: SessionInfo, maxSessions: number, now: number): Promise<boolean> {
    await this.deleteExpired(now);
    if (this.#sessions.size >= maxSessions) return false;
    this.#sessions.set(info.id, { info: { ...info } });
    return true;
  }

  async fork(sourceId: string, info: SessionInfo, maxSessions: number, now: number) {
    const source = this.#live(sourceId, now);
    if (!source) return 'missing' as const;
    await this.deleteExpired(now);
    if (this.#sessions.size >= maxSessions) return 'full' as const;
    const copy: SessionInfo = {
      ...info,
      version: source.info.version,
      stateBytes: source.info.stateBytes,
      ...(source.info.engine ? { engine: source.info.engine } : {}),
    };
    this.#sessions.set(info.id, { info: copy, ...(source.state ? { state: source.state } : {}) });
    return 'ok' as const;
  }

  async get(id: string, now: number): Promise<SessionInfo | undefined> {
    const held = this.#live(id, now);
    return held ? { ...held.info } : undefined;
  }

  async lease(
    id: string,
    owner: string,
    until: number,
    now: number,
    haveVersion?: number,
  ): Promise<LeaseOutcome> {
    const held = this.#live(id, now);
    if (!held) return { kind: 'missing' };
    if (held.lease && held.lease.until > now && held.lease.owner !== owner) return { kind: 'busy' };
    held.lease = { owner, until };
    const info = { ...held.info };
    return held.state && haveVersion !== info.version
      ? { kind: 'taken', info, state: held.state }
      : { kind: 'taken', info };
  }

  async commit(id: string, owner: string, commit: SessionCommit): Promise<boolean> {
    const held = this.#sessions.get(id);
    if (!held || held.lease?.owner !== owner || held.info.version !== commit.fromVersion) return false;
    held.state = commit.state;
    held.info = {
      ...held.info,
      version: held.info.version + 1,
      calls: held.info.calls + 1,
      lastUsedAt: commit.now,
      expiresAt: commit.now + held.info.ttlMs,
      stateBytes: commit.state.base.length + (commit.state.delta?.length ?? 0),
      engine: commit.state.engine,
    };
    held.lease = undefined;
    return true;
  }

  async release(id: string, owner: string, now: number): Promise<void> {
    const held = this.#sessions.get(id);
    if (!held || held.lease?.owner !== owner) return;
    held.lease = undefined;
    held.info = {
      ...held.info,
      calls: held.info.calls + 1,
      lastUsedAt: now,
      expiresAt: now + held.info.ttlMs,
    };
  }

  async list(now: number, limit: number): Promise<SessionInfo[]> {
    await this.deleteExpired(now);
    return [...this.#sessions.values()]
      .map((held) => ({ ...held.info }))
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt)
      .slice(0, limit);
  }

  async delete(id: string): Promise<boolean> {
    return this.#sessions.delete(id);
  }

  async deleteExpired(now: number): Promise<number> {
    let removed = 0;
    for (const [id, held] of this.#sessions) {
      // a session with a call running is not taken from under it
      if (held.info.expiresAt <= now && !(held.lease && held.lease.until > now)) {
        this.#sessions.delete(id);
        removed++;
      }
    }
    return removed;
  }

  #live(id: string, now: number): Held | undefined {
    const held = this.#sessions.get(id);
    if (!held) return undefined;
    if (held.info.expiresAt <= now && !(held.lease && held.lease.until > now)) {
      this.#sessions.delete(id);
      return undefined;
    }
    return held;
  }
}
