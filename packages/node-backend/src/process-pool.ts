import { JailedRunner, type RunnerProfile } from './jailed-runner.js';

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
  readonly #idle: JailedRunner[] = [];
  #starting = 0;
  #closed = false;
  hits = 0;
  misses = 0;

  constructor(
    readonly profile: RunnerProfile,
    readonly size: number,
  ) {
    this.#refill();
  }

  /**
   * A warm process, or undefined when none is ready (the caller starts one cold). Refilling is
   * left to `refillSoon()`: spawning blocks the event loop for a moment, so the caller schedules it
   * after its execution rather than on the hot path.
   */
  take(): JailedRunner | undefined {
    while (this.#idle.length > 0) {
      const process = this.#idle.shift()!;
      if (process.alive) {
        this.hits++;
        return process;
      }
      void process.close();
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
  /** Runners that failed to start in a row; `warm()` gives up at 3 rather than retrying forever. */
  #failures = 0;
  #lastError: unknown;

  #refill(): void {
    if (this.#closed) return;
    while (this.#idle.length + this.#starting < this.size) {
      this.#starting++;
      const process = new JailedRunner(this.profile);
      process.ready.then(
        () => {
          this.#starting--;
          this.#failures = 0;
          if (this.#closed) void process.close();
          else this.#idle.push(process);
        },
        (error: unknown) => {
          this.#starting--;
          this.#failures++;
          this.#lastError = error;
          void process.close();
        },
      );
    }
  }

  #prune(): void {
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      if (!this.#idle[i]!.alive) void this.#idle.splice(i, 1)[0]!.close();
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
    while (!this.#closed && this.#idle.length < this.size) {
      if (this.#failures >= 3) {
        this.#failures = 0;
        throw new Error(`runner processes fail to start: ${(this.#lastError as Error)?.message}`, {
          cause: this.#lastError,
        });
      }
      // A runner that died while idle (or failed to start) is replaced here too.
      this.#prune();
      this.#refill();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const idle = this.#idle.splice(0);
    await Promise.all(idle.map((p) => p.close()));
    while (this.#starting > 0) await new Promise((r) => setTimeout(r, 10));
  }
}
