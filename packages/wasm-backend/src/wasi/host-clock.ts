import { CLOCK } from './wasi-layouts.js';

/** 2000-01-01T00:00:00Z: the realtime clock's start in a deterministic run. */
const DETERMINISTIC_EPOCH_NS = 946_684_800_000_000_000n;
/** Each deterministic reading advances time by 1 µs, so successive readings still differ. */
const DETERMINISTIC_STEP_NS = 1_000n;

/** The clocks of one run, shared by `clock_time_get` and `poll_oneoff`. */
export class HostClock {
  readonly deterministic: boolean;
  #tick = 0n;

  constructor(deterministic: boolean) {
    this.deterministic = deterministic;
  }

  /** Realtime for clock 0, monotonic for any other id (the caller validates ids). */
  nowNs(clockId: number): bigint {
    if (this.deterministic) {
      this.#tick += DETERMINISTIC_STEP_NS;
      return (clockId === CLOCK.REALTIME ? DETERMINISTIC_EPOCH_NS : 0n) + this.#tick;
    }
    if (clockId === CLOCK.REALTIME) {
      return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
    }
    return process.hrtime.bigint();
  }

  /** A deterministic run only advances its clock: the same run takes the same time. */
  sleep(ns: bigint): void {
    if (this.deterministic) {
      this.#tick += ns;
      return;
    }
    // Blocks this worker only; the wall-clock deadline still terminates it.
    const ms = Number(ns / 1_000_000n);
    if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }
}
