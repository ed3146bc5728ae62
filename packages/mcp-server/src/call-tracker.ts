/**
 * The tool calls in flight across every session of one process, so a shutdown can stop taking
 * new calls, let running ones finish for a grace period, then cancel the rest (each still gets
 * its answer, saying it was cancelled) before the process exits.
 */
export class CallTracker {
  readonly #active = new Set<AbortController>();
  readonly #idle = new Set<() => void>();
  #accepting = true;

  get accepting(): boolean {
    return this.#accepting;
  }

  get inFlight(): number {
    return this.#active.size;
  }

  /**
   * Starts tracking one call, from the moment its request arrives until its answer is written;
   * its signal aborts when the shutdown grace period runs out.
   */
  begin(): { signal: AbortSignal; end(): void } {
    const controller = new AbortController();
    this.#active.add(controller);
    return {
      signal: controller.signal,
      end: () => {
        this.#active.delete(controller);
        if (this.#active.size === 0) for (const wake of [...this.#idle]) wake();
      },
    };
  }

  /**
   * Refuses new calls, waits up to `graceMs` for running ones, then aborts the rest and waits for
   * them to answer. Returns how many finished in time and how many were cancelled.
   */
  async drain(graceMs: number): Promise<{ finished: number; cancelled: number }> {
    this.#accepting = false;
    const started = this.#active.size;
    if (started === 0) return { finished: 0, cancelled: 0 };
    const idle = () =>
      new Promise<void>((resolve) => {
        if (this.#active.size === 0) return resolve();
        const wake = () => {
          this.#idle.delete(wake);
          resolve();
        };
        this.#idle.add(wake);
      });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([idle(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    const cancelled = this.#active.size;
    for (const controller of this.#active) controller.abort(new Error('the server is shutting down'));
    await idle();
    return { finished: started - cancelled, cancelled };
  }
}
