import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BackendUnavailableError } from '@memory-mcp/sandbox-core';
import { readStateHead } from '../session/state-header.js';
import {
  WORKER_MODULE_CACHE,
  type WorkerMessage,
  type WorkerReply,
  type WorkerSetup,
} from './worker-protocol.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export type PoolOutcome<Reply = WorkerReply> =
  | { kind: 'reply'; reply: Reply }
  | { kind: 'timeout'; elapsedMs: number }
  | { kind: 'cancelled' }
  /** The worker died; `outOfMemory` when V8 stopped it at its heap limit. */
  | { kind: 'crashed'; message: string; outOfMemory?: boolean };

export interface WorkerPoolOptions {
  /** Most workers alive at once. */
  size: number;
  /** Workers started eagerly. Default 1. */
  warm?: number;
  /** Override the worker script (tests, bundlers). */
  workerUrl?: URL;
  /** Handed to every worker (plain data): the JavaScript compiler it loads. */
  setup?: WorkerSetup;
}

interface Slot {
  worker: Worker;
  job?: Job;
  /** Set when we terminate the worker on purpose (deadline, cancel, close). */
  retiring: boolean;
  /** The worker has loaded and said so: only then does it take jobs, so no deadline pays for a boot. */
  ready: boolean;
  /** When it last finished a job: the longest-idle worker goes first, so a worker that just
   * finished has time to prepare its next instance. */
  idleSince: number;
  /** Linked modules this worker already holds (by key), so they are not posted again. */
  knownLinks: Set<string>;
  /**
   * Digests of session states this worker keeps a live engine instance in (the worker's own
   * bound, in the same order): the session's next run goes here when it is free, and skips the restore.
   */
  parked: Set<string>;
}

/** As many as the worker keeps (`MAX_PARKED` in the worker). */
const PARKED_PER_WORKER = 4;

/** The state a run starts from (its top layer's digest), if it is a session run. */
function restoredDigest(message: DistributiveOmit<WorkerMessage, 'id'>): string | undefined {
  if (!('session' in message) || !message.session?.restore) return undefined;
  const { base, delta } = message.session.restore;
  return readStateHead(delta ?? base)?.digest;
}

interface Job {
  message: DistributiveOmit<WorkerMessage, 'id'>;
  timeoutMs: number;
  signal?: AbortSignal;
  resolve: (outcome: PoolOutcome) => void;
  timer?: NodeJS.Timeout;
  started?: number;
  onAbort?: () => void;
}

export interface PoolStats {
  size: number;
  alive: number;
  busy: number;
  queued: number;
  crashes: number;
  /** Workers terminated on purpose (deadline or cancellation) and replaced. */
  recycled: number;
}

/** Resolves the worker script beside this bundle; from sources (tests) it uses the built one. */
function defaultWorkerUrl(): URL {
  const beside = new URL('./wasm-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/wasm-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new BackendUnavailableError('wasm', 'wasm-worker.js not found: build the package first (pnpm build)');
}

/**
 * A pool of warm worker threads. Each job runs on one worker; a job past its deadline (or
 * cancelled) has its worker terminated and replaced, so a runaway module never blocks the pool.
 */
export class WorkerPool {
  readonly size: number;
  readonly #url: URL;
  readonly #setup: WorkerSetup;
  readonly #slots = new Set<Slot>();
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;
  crashes = 0;
  recycled = 0;
  /** `performance.now()` of the last answer any worker gave (a worker that answers is alive). */
  lastAnswerAt = Number.NEGATIVE_INFINITY;

  constructor(options: WorkerPoolOptions) {
    this.size = Math.max(1, options.size);
    this.#url = options.workerUrl ?? defaultWorkerUrl();
    this.#setup = options.setup ?? {};
    // One worker boots first; the other warm ones once it is ready, so the first to be needed is
    // not slowed by booting beside them.
    const warm = Math.min(this.size, options.warm ?? 1);
    this.#warmLater = Math.max(0, warm - 1);
    if (warm > 0) this.#spawn();
  }

  /** Warm workers still to start once the first is ready. */
  #warmLater: number;

  run(
    message: DistributiveOmit<WorkerMessage, 'id'>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<PoolOutcome> {
    if (this.#closed)
      return Promise.reject(new BackendUnavailableError('wasm', 'the wasm backend is closed'));
    if (signal?.aborted) return Promise.resolve({ kind: 'cancelled' });
    return new Promise((resolve) => {
      const job: Job = { message, timeoutMs, resolve };
      if (signal) {
        job.signal = signal;
        job.onAbort = () => this.#cancel(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  stats(): PoolStats {
    let busy = 0;
    for (const slot of this.#slots) if (slot.job) busy++;
    return {
      size: this.size,
      alive: this.#slots.size,
      busy,
      queued: this.#queue.length,
      crashes: this.crashes,
      recycled: this.recycled,
    };
  }

  #spawn(): Slot {
    const worker = new Worker(this.#url, {
      // 8 MiB of native stack: QuickJS stops runaway recursion at 768 KiB of its own stack, and V8's
      // optimized frames for the engine's interpreter need about 5 MiB of native stack by then; 4 MiB
      // turned a catchable RangeError into an uncatchable stack-overflow trap once the engine was hot
      resourceLimits: { maxOldGenerationSizeMb: 256, stackSizeMb: 8 },
      workerData: this.#setup,
      stdout: false,
      stderr: false,
    });
    const slot: Slot = {
      worker,
      retiring: false,
      ready: false,
      idleSince: 0,
      knownLinks: new Set(),
      parked: new Set(),
    };
    worker.on('message', (reply: WorkerReply | { ready: true }) => {
      if ('ready' in reply) {
        slot.ready = true;
        // An idle worker must not keep the process alive; a booting or busy one does.
        worker.unref();
        for (; this.#warmLater > 0 && !this.#closed; this.#warmLater--) {
          if (this.#slots.size < this.size) this.#spawn();
        }
        this.#dispatch();
      } else this.#onReply(slot, reply);
    });
    worker.on('error', (error) =>
      this.#onCrash(
        slot,
        `worker error: ${error.message}`,
        (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY',
      ),
    );
    worker.on('exit', (code) => this.#onCrash(slot, `worker exited with code ${code}`));
    this.#slots.add(slot);
    return slot;
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot: Slot | undefined;
      let booting = 0;
      const wanted = restoredDigest(this.#queue[0]!.message);
      for (const candidate of this.#slots) {
        if (!candidate.ready) booting++;
        else if (!candidate.job && !candidate.retiring && (!slot || candidate.idleSince < slot.idleSince))
          slot = candidate;
      }
      // a session's run goes to the free worker that holds its engine instance as the last run left it
      if (wanted !== undefined) {
        for (const candidate of this.#slots) {
          if (candidate.ready && !candidate.job && !candidate.retiring && candidate.parked.has(wanted)) {
            slot = candidate;
            break;
          }
        }
      }
      if (!slot) {
        // Start workers for the jobs that no booting worker will take; each takes one when ready.
        while (booting < this.#queue.length && this.#slots.size < this.size) {
          this.#spawn();
          booting++;
        }
        return;
      }
      const job = this.#queue.shift()!;
      this.#start(slot, job);
    }
  }

  #start(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.ref();
    job.started = performance.now();
    job.timer = setTimeout(
      () => {
        this.#finish(slot, { kind: 'timeout', elapsedMs: performance.now() - job.started! });
        this.#retire(slot);
      },
      Math.min(job.timeoutMs, 2 ** 31 - 1),
    );
    let message = job.message;
    if ('moduleKey' in message && message.moduleKey) {
      if (slot.knownLinks.has(message.moduleKey)) message = { ...message, module: undefined };
      else if (slot.knownLinks.size < WORKER_MODULE_CACHE) slot.knownLinks.add(message.moduleKey);
    }
    if ('links' in message && message.links) {
      const links = message.links.map((link) => {
        if (slot.knownLinks.has(link.key)) return { ...link, module: undefined };
        if (slot.knownLinks.size < WORKER_MODULE_CACHE) slot.knownLinks.add(link.key);
        return link;
      });
      message = { ...message, links };
    }
    slot.worker.postMessage({ ...message, id: this.#nextId++ });
  }

  #onReply(slot: Slot, reply: WorkerReply): void {
    if (!slot.job || slot.retiring) return;
    this.lastAnswerAt = performance.now();
    // A worker that evaluated a component's glue (JavaScript generated from the component) takes
    // no one else's job afterwards: whatever that code left in the worker's realm dies with it.
    const ranGlue = 'component' in slot.job.message;
    this.#finish(slot, { kind: 'reply', reply });
    if (ranGlue) this.#retire(slot);
    else this.#dispatch();
  }

  #finish(slot: Slot, outcome: PoolOutcome): void {
    const job = slot.job;
    if (!job) return;
    slot.job = undefined;
    const restored = restoredDigest(job.message);
    if (restored !== undefined) slot.parked.delete(restored); // taken by this run, if it was here
    const state = outcome.kind === 'reply' && 'state' in outcome.reply ? outcome.reply.state : undefined;
    const digest = state ? readStateHead(state.delta ?? state.base)?.digest : undefined;
    if (digest !== undefined) {
      slot.parked.add(digest);
      if (slot.parked.size > PARKED_PER_WORKER) slot.parked.delete(slot.parked.values().next().value!);
    }
    slot.worker.unref();
    slot.idleSince = performance.now();
    clearTimeout(job.timer);
    if (job.signal && job.onAbort) job.signal.removeEventListener('abort', job.onAbort);
    job.resolve(outcome);
  }

  #cancel(job: Job): void {
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      job.resolve({ kind: 'cancelled' });
      return;
    }
    for (const slot of this.#slots) {
      if (slot.job === job) {
        this.#finish(slot, { kind: 'cancelled' });
        this.#retire(slot);
        return;
      }
    }
  }

  /** Terminates a worker on purpose and starts its replacement. */
  #retire(slot: Slot): void {
    slot.retiring = true;
    this.#slots.delete(slot);
    this.recycled++;
    void slot.worker.terminate();
    if (!this.#closed) {
      this.#spawn();
      this.#dispatch();
    }
  }

  #onCrash(slot: Slot, message: string, outOfMemory = false): void {
    if (slot.retiring || !this.#slots.has(slot)) return;
    this.#slots.delete(slot);
    this.crashes++;
    this.#finish(slot, { kind: 'crashed', message, ...(outOfMemory ? { outOfMemory } : {}) });
    if (!this.#closed) this.#dispatch();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.resolve({ kind: 'cancelled' });
    const slots = [...this.#slots];
    this.#slots.clear();
    for (const slot of slots) {
      slot.retiring = true;
      this.#finish(slot, { kind: 'cancelled' });
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }
}
