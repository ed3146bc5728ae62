import { Errno, ProcExit } from './errno.js';
import { u32 } from './guest-memory.js';
import { guardFaults, type WasiContext } from './wasi-context.js';
import { EVENT, EVENTTYPE, SUBCLOCKFLAGS_ABSTIME, SUBSCRIPTION } from './wasi-layouts.js';

/**
 * `poll_oneoff`, `proc_*`, and `sock_*` (refused: the sandbox has no network). Polling knows only
 * clocks: a descriptor subscription is ready at once with EBADF; otherwise it sleeps until the
 * earliest clock (a deterministic run only advances its clock) and reports the clocks due by then,
 * as POSIX poll does. No subscription at all is EINVAL.
 */
const MAX_WAIT_NS = 2n ** 63n - 1n;

export function pollProcFunctions(ctx: WasiContext) {
  return guardFaults({
    poll_oneoff: (input: number, output: number, count: number, eventsOut: number) => {
      const { memory } = ctx;
      const n = u32(count);
      if (n === 0) return Errno.INVAL;
      memory.range(input, n * SUBSCRIPTION.BYTES);
      memory.range(output, n * EVENT.BYTES);
      memory.range(eventsOut, 4);
      // Every subscription is read before any event is written: the two areas may overlap. Kept in
      // typed arrays (17 bytes each), not an object per subscription: a module may ask for millions.
      const userdata = new BigUint64Array(n);
      const waits = new BigInt64Array(n);
      const tags = new Uint8Array(n);
      let others = 0;
      let horizon: bigint | undefined;
      for (let i = 0; i < n; i++) {
        const sub = i * SUBSCRIPTION.BYTES;
        const tag = memory.getU8(input, sub + SUBSCRIPTION.TAG);
        tags[i] = tag;
        userdata[i] = memory.getU64(input, sub + SUBSCRIPTION.USERDATA);
        if (tag !== EVENTTYPE.CLOCK) {
          others++;
          continue;
        }
        const timeout = memory.getU64(input, sub + SUBSCRIPTION.CLOCK_TIMEOUT);
        const flags = memory.getU16(input, sub + SUBSCRIPTION.CLOCK_FLAGS);
        const raw =
          flags & SUBCLOCKFLAGS_ABSTIME
            ? timeout - ctx.clock.nowNs(memory.getU32(input, sub + SUBSCRIPTION.CLOCK_ID))
            : timeout;
        // A u64 timeout past i64 is "never" in practice: held at the largest wait, not wrapped.
        const wait = raw > MAX_WAIT_NS ? MAX_WAIT_NS : raw;
        waits[i] = wait;
        if (horizon === undefined || wait < horizon) horizon = wait;
      }
      // With a descriptor ready (as an error) nothing waits; else the earliest clock is waited for.
      if (others > 0 || horizon === undefined) horizon = 0n;
      if (horizon > 0n) ctx.clock.sleep(horizon);
      let ready = 0;
      for (let i = 0; i < n; i++) {
        const tag = tags[i]!;
        if (tag === EVENTTYPE.CLOCK && waits[i]! > horizon) continue;
        const event = ready * EVENT.BYTES;
        memory.zero(output, EVENT.BYTES, event);
        memory.setU64(output, event + EVENT.USERDATA, userdata[i]!);
        memory.setU8(output, event + EVENT.TYPE, tag);
        if (tag !== EVENTTYPE.CLOCK) memory.setU16(output, event + EVENT.ERROR, Errno.BADF);
        ready++;
      }
      memory.setU32(eventsOut, 0, ready);
      return Errno.SUCCESS;
    },
    proc_exit: (code: number): never => {
      throw new ProcExit(code);
    },
    proc_raise: () => Errno.NOSYS,

    sock_accept: () => Errno.NOTCAPABLE,
    sock_recv: () => Errno.NOTCAPABLE,
    sock_send: () => Errno.NOTCAPABLE,
    sock_shutdown: () => Errno.NOTCAPABLE,
  });
}
