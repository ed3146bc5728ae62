import { randomBytes, randomUUID } from 'node:crypto';
import { InvalidRequestError } from '../errors/invalid-request-error.js';
import { SessionError } from '../errors/session-error.js';
import type { ExecutionRequest, SessionState } from '../execution-request.js';
import type { ExecutionResult } from '../execution-result.js';
import type { Limits } from '../limits.js';
import { MemorySessionStore, type SessionInfo, type SessionStore } from './session-store.js';

/** Caps on sessions. Every one has a documented default and can be configured. */
export interface SessionLimits {
  /** Live sessions at once. Default 100. */
  maxSessions: number;
  /** Largest saved state of one session, compressed (base and delta together), in bytes. Default 32 MiB. */
  maxStateBytes: number;
  /** Idle time after which a session expires, when its creator names none, in ms. Default 24 hours. */
  ttlMs: number;
  /** Longest idle TTL a creator may ask for, in ms. Default 7 days. */
  maxTtlMs: number;
}

export const DEFAULT_SESSION_LIMITS: Readonly<SessionLimits> = Object.freeze({
  maxSessions: 100,
  maxStateBytes: 32 * 1024 * 1024,
  ttlMs: 24 * 60 * 60 * 1000,
  maxTtlMs: 7 * 24 * 60 * 60 * 1000,
});

export interface SessionManagerOptions extends Partial<SessionLimits> {
  /** Where sessions live. Default: this process's memory (`MemorySessionStore`). */
  store?: SessionStore;
  /** The clock (tests). Default `Date.now`. */
  now?: () => number;
  /** How often expired sessions are removed, in ms. Default 60,000; 0 turns the sweep off. */
  sweepIntervalMs?: number;
  /** A call's deadline when neither it nor its session names one (the sandbox's), in ms. Default 60,000. */
  defaultTimeoutMs?: number;
  /** Bytes of saved states this process keeps for hot sessions. Default 256 MiB. */
  stateCacheBytes?: number;
  /** How often a running call renews its session's lease, in ms. Default 10,000. */
  leaseRenewMs?: number;
}

export interface CreateSessionOptions {
  /** Idle time to live in ms, at most `maxTtlMs`. Default `ttlMs`. */
  ttlMs?: number;
  /** Limits every call in the session starts from. */
  limits?: Partial<Limits>;
  label?: string;
}

/** What a session call adds to its result. */
export interface SessionCallInfo {
  id: string;
  /** The session's version after the call: one more than before when the state was saved. */
  version: number;
  /** Whether this call's end state is now the session's (only calls that end `ok` are kept). */
  saved: boolean;
  stateBytes: number;
}

/** How much longer than the call's own deadline its lease lasts (slow starts, a slow store). */
const LEASE_GRACE_MS = 30_000;
/**
 * A running call renews its lease this often (by default), so a call that waits in a backend's
 * queue or runs past its estimate keeps the session (a renewal the store refuses is caught at
 * commit, as a `conflict`).
 */
const LEASE_RENEW_MS = 10_000;
/** States kept in this process, so a hot session's next call reads no blobs: at most this many sessions. */
const STATE_CACHE_SESSIONS = 64;
const DEFAULT_STATE_CACHE_BYTES = 256 * 1024 * 1024;

/**
 * Sessions over any `SessionStore`: create, fork, list, delete, and run a call in a session. A
 * call starts from the session's last saved state and saves the state it ends in only when it
 * ends `ok`; anything else leaves the session as it was. Calls in one session run one at a time:
 * in this process they queue, and across processes sharing a store the second is refused as
 * `busy` while the first holds the lease.
 */
export class SessionManager {
  readonly limits: SessionLimits;
  readonly store: SessionStore;
  readonly #now: () => number;
  readonly #owner = randomUUID();
  readonly #queues = new Map<string, Promise<unknown>>();
  /** The last state this process saw per session, by version: a hot session's blobs stay here. */
  readonly #states = new Map<string, { version: number; state: SessionState; bytes: number }>();
  #stateBytes = 0;
  readonly #stateCacheBytes: number;
  readonly #defaultTimeoutMs: number;
  readonly #leaseRenewMs: number;
  readonly #sweep: NodeJS.Timeout | undefined;

  constructor(options: SessionManagerOptions = {}) {
    this.limits = {
      maxSessions: options.maxSessions ?? DEFAULT_SESSION_LIMITS.maxSessions,
      maxStateBytes: options.maxStateBytes ?? DEFAULT_SESSION_LIMITS.maxStateBytes,
      // the default TTL never passes the longest one allowed
      ttlMs: Math.min(
        options.ttlMs ?? DEFAULT_SESSION_LIMITS.ttlMs,
        options.maxTtlMs ?? Math.max(options.ttlMs ?? 0, DEFAULT_SESSION_LIMITS.maxTtlMs),
      ),
      maxTtlMs: options.maxTtlMs ?? DEFAULT_SESSION_LIMITS.maxTtlMs,
    };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value <= 0) {
        throw new InvalidRequestError(`sessions.${name}`, `must be a positive whole number, got ${value}`);
      }
    }
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
    this.#stateCacheBytes = options.stateCacheBytes ?? DEFAULT_STATE_CACHE_BYTES;
    this.#leaseRenewMs = options.leaseRenewMs ?? LEASE_RENEW_MS;
    for (const [name, value] of [
      ['defaultTimeoutMs', this.#defaultTimeoutMs],
      ['stateCacheBytes', this.#stateCacheBytes],
      ['leaseRenewMs', this.#leaseRenewMs],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new InvalidRequestError(`sessions.${name}`, `must be a whole number >= 0, got ${value}`);
      }
    }
    this.store = options.store ?? new MemorySessionStore();
    this.#now = options.now ?? Date.now;
    const every = options.sweepIntervalMs ?? 60_000;
    if (every > 0) {
      this.#sweep = setInterval(() => void this.sweep().catch(() => {}), every);
      this.#sweep.unref();
    }
  }

  async create(options: CreateSessionOptions = {}): Promise<SessionInfo> {
    const info = this.#newInfo(options);
    if (!(await this.store.insert(info, this.limits.maxSessions, info.createdAt))) throw this.#full();
    return info;
  }

  /** A new session that starts from `id`'s last saved state; the two are independent afterwards. */
  async fork(id: string, options: CreateSessionOptions = {}): Promise<SessionInfo> {
    const source = await this.get(id);
    const info = this.#newInfo({
      ...(source.limits ? { limits: source.limits } : {}),
      ttlMs: source.ttlMs,
      ...options,
    });
    info.forkedFrom = id;
    const outcome = await this.store.fork(id, info, this.limits.maxSessions, info.createdAt);
    if (outcome === 'missing') throw notFound(id);
    if (outcome === 'full') throw this.#full();
    return (await this.store.get(info.id, this.#now())) ?? info;
  }

  /** The live session, or `SessionError` `not_found`. */
  async get(id: string): Promise<SessionInfo> {
    checkId(id);
    const info = await this.store.get(id, this.#now());
    if (!info) throw notFound(id);
    return info;
  }

  list(limit = 100): Promise<SessionInfo[]> {
    return this.store.list(this.#now(), Math.max(1, Math.min(limit, 1000)));
  }

  async delete(id: string): Promise<boolean> {
    checkId(id);
    this.#forget(id);
    return this.store.delete(id);
  }

  /** Removes expired sessions now (it also happens every `sweepIntervalMs`). */
  sweep(): Promise<number> {
    return this.store.deleteExpired(this.#now());
  }

  /**
   * Runs `request` in session `id` through `execute` (a sandbox's routing and limits): one call at
   * a time per session. Throws `SessionError` (`not_found`, `busy`, `conflict`); the code's own
   * failures are results, and leave the session as it was.
   */
  run(
    id: string,
    request: ExecutionRequest,
    execute: (request: ExecutionRequest) => Promise<ExecutionResult>,
  ): Promise<ExecutionResult & { session: SessionCallInfo }> {
    checkId(id);
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const next = previous.then(
      () => this.#runNow(id, request, execute),
      () => this.#runNow(id, request, execute),
    );
    const tail = next.catch(() => {});
    this.#queues.set(id, tail);
    void tail.then(() => {
      if (this.#queues.get(id) === tail) this.#queues.delete(id);
    });
    return next;
  }

  async #runNow(
    id: string,
    request: ExecutionRequest,
    execute: (request: ExecutionRequest) => Promise<ExecutionResult>,
  ): Promise<ExecutionResult & { session: SessionCallInfo }> {
    const now = this.#now();
    const cached = this.#states.get(id);
    // the lease starts here, after this process's queue for the session; it is renewed while the
    // call runs, so its length is an estimate (the session's own deadline is known only below)
    let timeoutMs = request.limits?.timeoutMs ?? this.#defaultTimeoutMs;
    const lease = await this.store.lease(
      id,
      this.#owner,
      now + timeoutMs + LEASE_GRACE_MS,
      now,
      cached?.version,
    );
    if (lease.kind === 'missing') throw notFound(id);
    if (lease.kind === 'busy') {
      throw new SessionError(
        'busy',
        `session ${id} is running another call (on another server instance); retry when it ends`,
        id,
      );
    }
    const { info } = lease;
    let state: SessionState | undefined;
    if (info.version > 0) {
      state = lease.state ?? (cached?.version === info.version ? cached.state : undefined);
      if (!state) {
        await this.store.release(id, this.#owner, now);
        throw new SessionError('conflict', `session ${id}'s saved state could not be read`, id);
      }
    }
    timeoutMs = request.limits?.timeoutMs ?? info.limits?.timeoutMs ?? this.#defaultTimeoutMs;
    let renewing: Promise<unknown> = Promise.resolve();
    const renew = setInterval(
      () => {
        const at = this.#now();
        renewing = this.store
          .lease(id, this.#owner, at + timeoutMs + LEASE_GRACE_MS, at, info.version)
          .catch(() => {});
      },
      Math.max(1, this.#leaseRenewMs),
    );
    renew.unref();
    // a renewal still in flight must land before the lease ends, or it would take the lease again
    const stopRenewing = async () => {
      clearInterval(renew);
      await renewing;
    };
    let result: ExecutionResult;
    try {
      result = await execute({
        ...request,
        ...(info.limits || request.limits ? { limits: { ...info.limits, ...request.limits } } : {}),
        session: {
          ...(state ? { restore: state } : {}),
          save: true,
          maxStateBytes: this.limits.maxStateBytes,
        },
      });
    } catch (error) {
      await stopRenewing();
      await this.store.release(id, this.#owner, this.#now()).catch(() => {});
      throw error;
    }
    await stopRenewing();
    const { state: ended, ...plain } = result;
    if (plain.status !== 'ok' || !ended) {
      await this.store.release(id, this.#owner, this.#now());
      return { ...plain, session: { id, version: info.version, saved: false, stateBytes: info.stateBytes } };
    }
    const stateBytes = ended.base.length + (ended.delta?.length ?? 0);
    if (stateBytes > this.limits.maxStateBytes) {
      // a backend that ignored the cap: the state is refused here as it would have been there
      await this.store.release(id, this.#owner, this.#now());
      return {
        ...plain,
        status: 'memory_limit',
        error: {
          kind: 'session_state_limit',
          message: `the session's state is ${stateBytes} bytes, over its ${this.limits.maxStateBytes}-byte cap; the session is left as it was`,
        },
        session: { id, version: info.version, saved: false, stateBytes: info.stateBytes },
      };
    }
    let committed: boolean;
    try {
      committed = await this.store.commit(id, this.#owner, {
        state: ended,
        baseChanged: ended.base !== state?.base,
        fromVersion: info.version,
        now: this.#now(),
      });
    } catch (error) {
      // the code ran: say so, rather than let a store error read as if nothing had
      throw new SessionError(
        'conflict',
        `the call in session ${id} ended ok, but its state could not be saved (${error instanceof Error ? error.message : String(error)}); the session is as it was before the call`,
        id,
      );
    }
    if (!committed) {
      throw new SessionError(
        'conflict',
        `the call in session ${id} ended ok, but the session was deleted, expired or taken over meanwhile: its state was not kept`,
        id,
      );
    }
    this.#remember(id, info.version + 1, ended);
    return { ...plain, session: { id, version: info.version + 1, saved: true, stateBytes } };
  }

  #remember(id: string, version: number, state: SessionState): void {
    this.#forget(id);
    const bytes = state.base.length + (state.delta?.length ?? 0);
    // within a count and a byte budget, the least recently saved first out
    if (bytes > this.#stateCacheBytes / 4) return;
    this.#states.set(id, { version, state, bytes });
    this.#stateBytes += bytes;
    for (const oldest of this.#states.keys()) {
      if (this.#states.size <= STATE_CACHE_SESSIONS && this.#stateBytes <= this.#stateCacheBytes) break;
      this.#forget(oldest);
    }
  }

  #forget(id: string): void {
    const held = this.#states.get(id);
    if (!held) return;
    this.#states.delete(id);
    this.#stateBytes -= held.bytes;
  }

  /** Bytes of saved states this process holds for hot sessions (at most `stateCacheBytes`). */
  get cachedStateBytes(): number {
    return this.#stateBytes;
  }

  #newInfo(options: CreateSessionOptions): SessionInfo {
    const ttlMs = options.ttlMs ?? this.limits.ttlMs;
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > this.limits.maxTtlMs) {
      throw new InvalidRequestError('ttlMs', `must be a whole number of ms in 1..${this.limits.maxTtlMs}`);
    }
    if (options.label !== undefined && (typeof options.label !== 'string' || options.label.length > 200)) {
      throw new InvalidRequestError('label', 'must be a string of at most 200 characters');
    }
    const now = this.#now();
    return {
      id: `ses_${randomBytes(24).toString('base64url')}`,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + ttlMs,
      ttlMs,
      version: 0,
      calls: 0,
      stateBytes: 0,
      ...(options.limits ? { limits: { ...options.limits } } : {}),
      ...(options.label !== undefined ? { label: options.label } : {}),
    };
  }

  #full(): SessionError {
    return new SessionError(
      'limit',
      `there are ${this.limits.maxSessions} sessions, the most allowed: delete one (delete_session) or let one expire`,
    );
  }

  /** Stops the expiry sweep. */
  close(): void {
    if (this.#sweep) clearInterval(this.#sweep);
  }
}

const ID = /^ses_[A-Za-z0-9_-]{32}$/;

function checkId(id: string): void {
  if (typeof id !== 'string' || !ID.test(id)) throw notFound(String(id).slice(0, 80));
}

function notFound(id: string): SessionError {
  return new SessionError('not_found', `no live session ${id} (never created, deleted, or expired)`, id);
}
