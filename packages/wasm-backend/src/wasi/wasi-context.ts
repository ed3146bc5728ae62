import { Errno } from './errno.js';
import type { FdTable } from './fd-table.js';
import { type GuestMemory, MemoryFault } from './guest-memory.js';
import type { HostClock } from './host-clock.js';
import type { MemoryFs } from './memory-fs.js';

/** What the API groups share: the module's memory, its descriptors, its filesystem, its clocks. */
export interface WasiContext {
  readonly memory: GuestMemory;
  readonly fds: FdTable;
  /** Absent when the run has no filesystem: path calls then answer ENOTCAPABLE. */
  readonly fs: MemoryFs | undefined;
  readonly clock: HostClock;
  /**
   * Charges fuel for work done on the module's behalf; throws to end the run when the budget is
   * gone. Unset (no charge) until the run's instance is known.
   */
  chargeFuel?: (units: number) => void;
}

/** Bytes of guest memory a host call may address per unit of fuel, as `memory.fill` pays. */
export const HOST_BYTES_PER_FUEL = 64;

/** A WASI import as the module calls it: numbers and bigints in, an errno out. */
export type WasiFunction = (...args: never[]) => number;

/** A call as the wrappers forward it: nine arguments, the most a preview 1 function takes. */
type Call = (...args: unknown[]) => number;
type Around = (
  call: Call,
  a?: unknown,
  b?: unknown,
  c?: unknown,
  d?: unknown,
  e?: unknown,
  f?: unknown,
  g?: unknown,
  h?: unknown,
  i?: unknown,
) => number;

/**
 * Wraps every function of a group with `around`. Nine fixed parameters passed on one by one, not
 * a rest array: a wrapper is on every call a module makes, so it allocates nothing, and no
 * preview 1 function takes more than nine (path_open); missing ones pass as undefined.
 */
function wrapEach<T extends Record<string, WasiFunction>>(functions: T, around: Around): T {
  const wrapped: Record<string, WasiFunction> = {};
  for (const [name, fn] of Object.entries(functions)) {
    const call = fn as Call;
    wrapped[name] = (
      a?: unknown,
      b?: unknown,
      c?: unknown,
      d?: unknown,
      e?: unknown,
      f?: unknown,
      g?: unknown,
      h?: unknown,
      i?: unknown,
    ) => around(call, a, b, c, d, e, f, g, h, i);
  }
  return wrapped as T;
}

/**
 * Wraps each function so the bytes of guest memory it addressed are charged as fuel after it
 * returns (one unit per 64 bytes, like `memory.fill`): a loop of `random_get` over 64 MiB runs out
 * of fuel, not out of time. Deterministic: the same calls address the same bytes.
 */
export function meterHostWork<T extends Record<string, WasiFunction>>(ctx: WasiContext, functions: T): T {
  return wrapEach(functions, (call, a, b, c, d, e, f, g, h, i) => {
    const before = ctx.memory.touched;
    const result = call(a, b, c, d, e, f, g, h, i);
    const units = Math.floor((ctx.memory.touched - before) / HOST_BYTES_PER_FUEL);
    if (units > 0) ctx.chargeFuel?.(units);
    return result;
  });
}

/**
 * Wraps each function so an out-of-bounds pointer answers EFAULT instead of throwing into the
 * host. `ProcExit` and `OutputLimitExceeded` still pass: they are how a run ends.
 */
export function guardFaults<T extends Record<string, WasiFunction>>(functions: T): T {
  return wrapEach(functions, (call, a, b, c, d, e, f, g, h, i) => {
    try {
      return call(a, b, c, d, e, f, g, h, i);
    } catch (error) {
      if (error instanceof MemoryFault) return Errno.FAULT;
      throw error;
    }
  });
}
