import type { IsolationSupport } from './detect-isolation.js';
import { RunnerProcess, type RunnerProfile } from './runner-process.js';

export interface ProcessPoolStats {
  /** Idle, pre-started processes waiting for a job. */
  idle: number;
  /** Processes being started to refill the pool. */
  starting: number;
  size: number;
  hits: number;
  misses: number;
}

/**
 * Pre-started runner processes for one profile (the default policy). Each is handed out once and
 * never returns; the pool refills in the background.
 */
export class ProcessPool {
  readonly #idle: RunnerProcess[] = [];
  #starting = 0;
  #closed = false;
  hits = 0;
  misses = 0;

  constructor(
    readonly profile: RunnerProfile,
    readonly size: number,
    readonly isolation: IsolationSupport,
  ) {
    this.#refill();
  }

  /**
   * A warm process, or undefined when none is ready (the caller starts one cold). Refilling is
   * left to `refillSoon()`: spawning blocks the event loop for a moment, so the caller schedules it
   * after its execution rather than on the hot path.
   */
  take(): RunnerProcess | undefined {
    while (this.#idle.length > 0) {
      const process = this.#idle.shift()!;
      if (process.alive) {
        this.hits++;
        return process;
      }
    }
    this.misses++;
    return undefined;
  }

  /** Starts replacements for the processes handed out, on a later turn of the event loop. */
  refillSoon(): void {
    if (this.#refillScheduled || this.#closed) return;
    this.#refillScheduled = true;
    setImmediate(() => {
      this.#refillScheduled = false;
      this.#refill();
    });
  }

  #refillScheduled = false;

  #refill(): void {
    if (this.#closed) return;
    while (this.#idle.length + this.#starting < this.size) {
      this.#starting++;
      const process = new RunnerProcess(this.profile, this.isolation);
      process.ready.then(
        () => {
          this.#starting--;
          if (this.#closed) void process.dispose();
          else this.#idle.push(process);
        },
        () => {
          this.#starting--;
          void process.dispose();
        },
      );
    }
  }

  stats(): ProcessPoolStats {
    return {
      idle: this.#idle.length,
      starting: this.#starting,
      size: this.size,
      hits: this.hits,
      misses: this.misses,
    };
  }

  /** Waits until the pool is full (or closed). */
  async warm(): Promise<void> {
    while (!this.#closed && this.#idle.length < this.size) await new Promise((r) => setTimeout(r, 10));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const idle = this.#idle.splice(0);
    await Promise.all(idle.map((p) => p.dispose()));
    while (this.#starting > 0) await new Promise((r) => setTimeout(r, 10));
  }
}
