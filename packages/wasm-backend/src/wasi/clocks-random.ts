import { Errno } from './errno.js';
import { u32 } from './guest-memory.js';
import { guardFaults, type WasiContext } from './wasi-context.js';
import { CLOCK } from './wasi-layouts.js';

/** Every clock reports 1 µs resolution: what the deterministic clock steps by. */
const RESOLUTION_NS = 1_000n;
/** `crypto.getRandomValues` fills at most 65,536 bytes per call (Web Crypto's quota). */
const RANDOM_CHUNK_BYTES = 65_536;
/**
 * Small reads are served from CSPRNG bytes fetched ahead, one `getRandomValues` per pool: an engine
 * asks for 4 bytes at a time (four times per JS run), and each call into Web Crypto costs more than
 * the bytes. Every byte is handed out once and wiped from the pool as it goes.
 */
const POOL_BYTES = 4096;
const POOLED_READ_MAX = 256;
const pool = new Uint8Array(POOL_BYTES);
let poolOffset = POOL_BYTES;

/** Fills `target` with cryptographically secure random bytes. */
export function secureRandomFill(target: Uint8Array): void {
  if (target.length <= POOLED_READ_MAX) {
    if (poolOffset + target.length > POOL_BYTES) {
      crypto.getRandomValues(pool);
      poolOffset = 0;
    }
    const end = poolOffset + target.length;
    target.set(pool.subarray(poolOffset, end));
    pool.fill(0, poolOffset, end);
    poolOffset = end;
    return;
  }
  for (let i = 0; i < target.length; i += RANDOM_CHUNK_BYTES) {
    crypto.getRandomValues(target.subarray(i, i + RANDOM_CHUNK_BYTES));
  }
}

/** The xorshift32 seed of a deterministic run (the golden-ratio constant; any non-zero value works). */
const DETERMINISTIC_SEED = 0x9e3779b9;

/** `clock_*`, `random_get` and `sched_yield`: real or, for a deterministic run, repeatable. */
export function clocksRandomFunctions(ctx: WasiContext) {
  let rng = DETERMINISTIC_SEED;
  const validClock = (id: number) => u32(id) <= CLOCK.THREAD_CPUTIME;

  return guardFaults({
    clock_res_get: (id: number, out: number) => {
      if (!validClock(id)) return Errno.INVAL;
      ctx.memory.setU64(out, 0, RESOLUTION_NS);
      return Errno.SUCCESS;
    },
    clock_time_get: (id: number, _precision: bigint, out: number) => {
      if (!validClock(id)) return Errno.INVAL;
      ctx.memory.range(out, 8);
      ctx.memory.setU64(out, 0, ctx.clock.nowNs(u32(id)));
      return Errno.SUCCESS;
    },
    random_get: (buf: number, len: number) => {
      const target = ctx.memory.span(buf, u32(len));
      if (!ctx.clock.deterministic) {
        secureRandomFill(target);
        return Errno.SUCCESS;
      }
      for (let i = 0; i < target.length; i++) {
        // xorshift32: a fixed sequence, the same for every deterministic run
        rng ^= rng << 13;
        rng ^= rng >>> 17;
        rng ^= rng << 5;
        target[i] = rng & 0xff;
      }
      return Errno.SUCCESS;
    },
    sched_yield: () => Errno.SUCCESS,
  });
}
