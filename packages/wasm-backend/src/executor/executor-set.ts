import { ExecutorConnection } from './executor-connection.js';
import type { ExecutorInit, ExecutorStats } from './executor-protocol.js';
import type { ExecutorCommand, SpawnExecutor } from './spawn-executor.js';

/** Counters summed over executors past and present, so totals survive a restart. */
const STAT_TOTALS = ['crashes', 'recycledWorkers', 'cacheHits', 'cacheMisses'] as const;

/** Wait before replacing an executor that died before it was ready. */
const RESPAWN_DELAY_MS = 1000;

interface Waiter {
  affinity: string;
  resolve: (connection: ExecutorConnection | undefined) => void;
}

export interface ExecutorSetOptions {
  count: number;
  spawn: SpawnExecutor;
  command: ExecutorCommand;
  init: ExecutorInit;
  maxFrameBytes: number;
}

/**
 * The executor processes of one backend: which one takes a request (the one its module hashes
 * to, so its cache is warm, unless that one is much busier), how requests wait when every worker is
 * busy, and how a dead executor is replaced. An executor is only sent as many runs as it has
 * workers, so its deadlines (and the host's backstop) never pay for a queue.
 */
export class ExecutorSet {
  readonly #options: ExecutorSetOptions;
  readonly #perExecutor: number;
  readonly #connections: ExecutorConnection[] = [];
  readonly #waiting: Waiter[] = [];
  /** Runs handed to a connection but not yet sent (between a waiter's wake-up and its `run`). */
  readonly #reserved = new Map<ExecutorConnection, number>();
  readonly #retired: Record<(typeof STAT_TOTALS)[number], number> = {
    crashes: 0,
    recycledWorkers: 0,
    cacheHits: 0,
    cacheMisses: 0,
  };
  #restarts = 0;
  #closed = false;

  constructor(options: ExecutorSetOptions) {
    this.#options = options;
    this.#perExecutor = options.init.maxConcurrency;
    // The first executor boots alone and the others once it is up: booting side by side, they
    // shared the CPU and the first request waited for all of them.
    const first = this.#connect();
    this.#connections.push(first);
    this.started = first.settled.then(() => {
      if (this.#closed) return;
      for (let i = 1; i < options.count; i++) this.#connections.push(this.#connect());
      this.done();
      return Promise.all(this.#connections.map((c) => c.settled)).then(() => undefined);
    });
  }

  /** Resolves once every executor of the first set is ready, or has died trying. */
  readonly started: Promise<void>;

  get connections(): readonly ExecutorConnection[] {
    return this.#connections;
  }

  get restarts(): number {
    return this.#restarts;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * An executor with a free worker for this request, reserved for it (waiting for one if need be);
   * undefined when the signal aborts or the set closes first. Call `sent(connection)` once the
   * request is sent, and `done()` when it has its answer.
   */
  acquire(affinity: string, signal?: AbortSignal): Promise<ExecutorConnection | undefined> {
    if (signal?.aborted || this.#closed) return Promise.resolve(undefined);
    const picked = this.#pick(affinity);
    if (!picked) return this.#wait(affinity, signal);
    // Reserved now, not when the caller resumes: requests acquired in the same tick must see it.
    this.#reserve(picked);
    return Promise.resolve(picked);
  }

  /** The acquired connection has the request now (its load counts it): the reservation ends. */
  sent(connection: ExecutorConnection): void {
    const reserved = this.#reserved.get(connection) ?? 0;
    if (reserved > 0) this.#reserved.set(connection, reserved - 1);
  }

  /** Whether this executor has a worker no request holds or is about to hold. */
  hasFreeWorker(connection: ExecutorConnection): boolean {
    return connection.load + (this.#reserved.get(connection) ?? 0) < this.#perExecutor;
  }

  #reserve(connection: ExecutorConnection): void {
    this.#reserved.set(connection, (this.#reserved.get(connection) ?? 0) + 1);
  }

  /** A request ended: its worker is free for whoever waits, oldest first. */
  done(): void {
    while (this.#waiting.length > 0) {
      const connection = this.#pick(this.#waiting[0]!.affinity);
      if (!connection) return;
      const waiter = this.#waiting.shift()!;
      this.#reserve(connection);
      waiter.resolve(connection);
    }
  }

  #wait(affinity: string, signal: AbortSignal | undefined): Promise<ExecutorConnection | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = { affinity, resolve };
      this.#waiting.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.#waiting.indexOf(waiter);
          if (at >= 0) this.#waiting.splice(at, 1);
          resolve(undefined);
        },
        { once: true },
      );
    });
  }

  #pick(affinity: string): ExecutorConnection | undefined {
    const busy = (c: ExecutorConnection) => c.load + (this.#reserved.get(c) ?? 0);
    let least: ExecutorConnection | undefined;
    for (const c of this.#connections) if (!least || busy(c) < busy(least)) least = c;
    if (!least || busy(least) >= this.#perExecutor) return undefined;
    const preferred = this.#connections[hashIndex(affinity, this.#connections.length)]!;
    return busy(preferred) < this.#perExecutor && busy(preferred) <= busy(least) + 2 ? preferred : least;
  }

  #connect(): ExecutorConnection {
    return new ExecutorConnection({
      spawn: this.#options.spawn,
      command: this.#options.command,
      init: this.#options.init,
      maxFrameBytes: this.#options.maxFrameBytes,
      onDead: (dead) => this.#replace(dead),
    });
  }

  #replace(dead: ExecutorConnection): void {
    const index = this.#connections.indexOf(dead);
    if (index < 0) return;
    for (const key of STAT_TOTALS) this.#retired[key] += dead.stats?.[key] ?? 0;
    if (this.#closed) return;
    this.#restarts++;
    if (dead.ready) {
      this.#connections[index] = this.#connect();
      this.done();
      return;
    }
    // It died before it was ready (a broken install, a jail that refuses it): wait before trying
    // again rather than spin; meanwhile requests sent to it end at once with why it died.
    const retry = setTimeout(() => {
      if (this.#closed || this.#connections[index] !== dead) return;
      this.#connections[index] = this.#connect();
      this.done();
    }, RESPAWN_DELAY_MS);
    retry.unref();
  }

  /** A counter summed over live executors, plus the retired ones' for the running totals. */
  sum(key: keyof ExecutorStats): number {
    const live = this.#connections.reduce((n, c) => n + (c.stats?.[key] ?? 0), 0);
    return live + ((this.#retired as Partial<Record<keyof ExecutorStats, number>>)[key] ?? 0);
  }

  /** Process ids of the live executors. */
  pids(): number[] {
    return this.#connections.flatMap((c) => (c.pid !== undefined && c.alive ? [c.pid] : []));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) waiter.resolve(undefined);
    for (const connection of this.#connections) connection.kill('the wasm backend was closed');
    await Promise.all(this.#connections.map((c) => c.exited));
  }
}

function hashIndex(key: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i += Math.max(1, key.length >> 6))
    h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % n;
}
