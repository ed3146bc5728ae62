import { CancelledError } from './errors/cancelled-error.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { QueueFullError } from './errors/queue-full-error.js';

export interface ConcurrencyLimiterOptions {
  /** Executions allowed to run at once. Default 20. */
  maxConcurrency?: number;
  /** Executions allowed to wait beyond that; one more rejects with `QueueFullError`. Default 1000. */
  maxQueue?: number;
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  settled: boolean;
}

/** A counting semaphore with a bounded FIFO queue and AbortSignal support. */
export class ConcurrencyLimiter {
  readonly maxConcurrency: number;
  readonly maxQueue: number;
  #running = 0;
  #queue: Waiter[] = [];
  #head = 0;

  constructor(options: ConcurrencyLimiterOptions = {}) {
    this.maxConcurrency = positiveInt(options.maxConcurrency ?? 20, 'maxConcurrency');
    this.maxQueue = nonNegativeInt(options.maxQueue ?? 1000, 'maxQueue');
  }

  get inFlight(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Waits for a slot. Resolves to a release function that must be called exactly once. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new CancelledError(signal.reason));
    if (this.#running < this.maxConcurrency && this.queued === 0) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    if (this.queued >= this.maxQueue) return Promise.reject(new QueueFullError(this.maxQueue, this.#running));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, settled: false };
      if (signal) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          if (waiter.settled) return;
          waiter.settled = true;
          reject(new CancelledError(signal.reason));
          this.#compact();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
    });
  }

  /** Runs `task` in a slot. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await task();
    } finally {
      release();
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      this.#dispatch();
    };
  }

  #dispatch(): void {
    while (this.#running < this.maxConcurrency && this.#head < this.#queue.length) {
      const waiter = this.#queue[this.#head++]!;
      if (waiter.settled) continue;
      waiter.settled = true;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      this.#running++;
      waiter.resolve(this.#releaser());
    }
    this.#compact();
  }

  /** Drops settled waiters from the front, and reclaims the array once half of it is consumed. */
  #compact(): void {
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.settled) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    } else if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    }
  }
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidArgumentError({
      argument: name,
      value,
      message: `must be a positive integer, got ${value}`,
    });
  return value;
}

function nonNegativeInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0)
    throw new InvalidArgumentError({
      argument: name,
      value,
      message: `must be an integer >= 0, got ${value}`,
    });
  return value;
}
