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
export function pollProcFunctions(ctx: WasiContext) {
  return guardFaults({
    poll_oneoff: (input: number, output: number, count: number, eventsOut: number) => {
      const { memory } = ctx;
      const n = u32(count);
      if (n === 0) return Errno.INVAL;
      memory.range(input, n * SUBSCRIPTION.BYTES);
      memory.range(output, n * EVENT.BYTES);
      memory.range(eventsOut, 4);
      // Every subscription is read before any event is written: the two areas may overlap.
      const subs: Array<{ userdata: bigint; tag: number; wait: bigint }> = [];
      for (let i = 0; i < n; i++) {
        const sub = i * SUBSCRIPTION.BYTES;
        const tag = memory.getU8(input, sub + SUBSCRIPTION.TAG);
        let wait = 0n;
        if (tag === EVENTTYPE.CLOCK) {
          const timeout = memory.getU64(input, sub + SUBSCRIPTION.CLOCK_TIMEOUT);
          const flags = memory.getU16(input, sub + SUBSCRIPTION.CLOCK_FLAGS);
          wait =
            flags & SUBCLOCKFLAGS_ABSTIME
              ? timeout - ctx.clock.nowNs(memory.getU32(input, sub + SUBSCRIPTION.CLOCK_ID))
              : timeout;
        }
        subs.push({ userdata: memory.getU64(input, sub + SUBSCRIPTION.USERDATA), tag, wait });
      }
      const clocks = subs.filter((s) => s.tag === EVENTTYPE.CLOCK);
      const others = subs.length - clocks.length;
      // With a descriptor ready (as an error) nothing waits; else the earliest clock is waited for.
      let horizon = others > 0 ? 0n : clocks[0]!.wait;
      for (const clock of clocks) if (others === 0 && clock.wait < horizon) horizon = clock.wait;
      if (horizon > 0n) ctx.clock.sleep(horizon);
      let ready = 0;
      for (const s of subs) {
        if (s.tag === EVENTTYPE.CLOCK && s.wait > horizon) continue;
        const event = ready * EVENT.BYTES;
        memory.zero(output, EVENT.BYTES, event);
        memory.setU64(output, event + EVENT.USERDATA, s.userdata);
        memory.setU8(output, event + EVENT.TYPE, s.tag);
        if (s.tag !== EVENTTYPE.CLOCK) memory.setU16(output, event + EVENT.ERROR, Errno.BADF);
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
