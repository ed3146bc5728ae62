import { Errno, ProcExit } from './errno.js';
import { u32 } from './guest-memory.js';
import { guardFaults, type WasiContext } from './wasi-context.js';
import { EVENT, EVENTTYPE, SUBCLOCKFLAGS_ABSTIME, SUBSCRIPTION } from './wasi-layouts.js';

/**
 * `poll_oneoff`, `proc_*`, and `sock_*` (refused: the sandbox has no network). Polling only knows
 * clocks: it sleeps until the latest one (a deterministic run only advances its clock) and reports
 * every clock as fired; a descriptor subscription is answered at once with EBADF.
 */
export function pollProcFunctions(ctx: WasiContext) {
  return guardFaults({
    poll_oneoff: (input: number, output: number, count: number, eventsOut: number) => {
      const { memory } = ctx;
      const n = u32(count);
      memory.range(input, n * SUBSCRIPTION.BYTES);
      memory.range(output, n * EVENT.BYTES);
      memory.range(eventsOut, 4);
      let sleepNs = 0n;
      for (let i = 0; i < n; i++) {
        const sub = i * SUBSCRIPTION.BYTES;
        const event = i * EVENT.BYTES;
        // The whole subscription is read before its event is written: the two may overlap.
        const userdata = memory.getU64(input, sub + SUBSCRIPTION.USERDATA);
        const tag = memory.getU8(input, sub + SUBSCRIPTION.TAG);
        if (tag === EVENTTYPE.CLOCK) {
          const timeout = memory.getU64(input, sub + SUBSCRIPTION.CLOCK_TIMEOUT);
          const flags = memory.getU16(input, sub + SUBSCRIPTION.CLOCK_FLAGS);
          const wait =
            flags & SUBCLOCKFLAGS_ABSTIME
              ? timeout - ctx.clock.nowNs(memory.getU32(input, sub + SUBSCRIPTION.CLOCK_ID))
              : timeout;
          if (wait > sleepNs) sleepNs = wait;
        }
        memory.zero(output, EVENT.BYTES, event);
        memory.setU64(output, event + EVENT.USERDATA, userdata);
        memory.setU8(output, event + EVENT.TYPE, tag);
        if (tag !== EVENTTYPE.CLOCK) memory.setU16(output, event + EVENT.ERROR, Errno.BADF);
      }
      if (sleepNs > 0n) ctx.clock.sleep(sleepNs);
      memory.setU32(eventsOut, 0, n);
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
