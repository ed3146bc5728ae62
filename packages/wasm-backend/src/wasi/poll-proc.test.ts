import { describe, expect, it } from 'vitest';
import { Errno, ProcExit } from './errno.js';
import { pollProcFunctions } from './poll-proc.js';
import { i32, PAGE, testContext } from './test-context.js';
import { EVENT, EVENTTYPE, SUBCLOCKFLAGS_ABSTIME, SUBSCRIPTION } from './wasi-layouts.js';

const IN = 1000;
const OUT = 3000;
const COUNT = 8;

interface Sub {
  userdata: bigint;
  tag: number;
  clockId?: number;
  timeout?: bigint;
  absolute?: boolean;
}

function setup(deterministic = true, pages?: number) {
  const t = testContext({ deterministic, ...(pages ? { pages } : {}) });
  const fns = pollProcFunctions(t.ctx);
  const subscribe = (at: number, subs: Sub[]) => {
    subs.forEach((sub, i) => {
      const base = at + i * SUBSCRIPTION.BYTES;
      t.view().setBigUint64(base + SUBSCRIPTION.USERDATA, sub.userdata, true);
      t.view().setUint8(base + SUBSCRIPTION.TAG, sub.tag);
      t.view().setUint32(base + SUBSCRIPTION.CLOCK_ID, sub.clockId ?? 1, true);
      t.view().setBigUint64(base + SUBSCRIPTION.CLOCK_TIMEOUT, sub.timeout ?? 0n, true);
      t.view().setUint16(base + SUBSCRIPTION.CLOCK_FLAGS, sub.absolute ? SUBCLOCKFLAGS_ABSTIME : 0, true);
    });
    return subs.length;
  };
  const event = (at: number, i: number) => {
    const base = at + i * EVENT.BYTES;
    return {
      userdata: t.u64(base + EVENT.USERDATA),
      error: t.view().getUint16(base + EVENT.ERROR, true),
      type: t.view().getUint8(base + EVENT.TYPE),
    };
  };
  return { ...t, fns, subscribe, event };
}

describe('poll_oneoff', () => {
  it('sleeps (here: advances time) until the earliest clock and reports the clocks due by then', () => {
    const { fns, subscribe, event, u32, ctx } = setup();
    const count = subscribe(IN, [
      { userdata: 22n, tag: EVENTTYPE.CLOCK, timeout: 9_000_000n },
      { userdata: 11n, tag: EVENTTYPE.CLOCK, timeout: 5_000_000n },
      { userdata: 33n, tag: EVENTTYPE.CLOCK, timeout: 5_000_000n },
    ]);
    expect(fns.poll_oneoff(IN, OUT, count, COUNT)).toBe(Errno.SUCCESS);
    expect(u32(COUNT)).toBe(2);
    expect([event(OUT, 0), event(OUT, 1)]).toEqual([
      { userdata: 11n, error: 0, type: EVENTTYPE.CLOCK },
      { userdata: 33n, error: 0, type: EVENTTYPE.CLOCK },
    ]);
    // 5 ms of sleep, then the reading's own 1 µs step
    expect(ctx.clock.nowNs(1)).toBe(5_000_000n + 1_000n);
  });

  it('with a descriptor subscription beside a clock, answers the descriptor at once and sleeps not', () => {
    const { fns, subscribe, event, u32, ctx } = setup();
    const count = subscribe(IN, [
      { userdata: 1n, tag: EVENTTYPE.CLOCK, timeout: 9_000_000n },
      { userdata: 2n, tag: EVENTTYPE.FD_READ },
    ]);
    expect(fns.poll_oneoff(IN, OUT, count, COUNT)).toBe(Errno.SUCCESS);
    expect(u32(COUNT)).toBe(1);
    expect(event(OUT, 0)).toEqual({ userdata: 2n, error: Errno.BADF, type: EVENTTYPE.FD_READ });
    expect(ctx.clock.nowNs(1)).toBe(1_000n);
  });

  it('waits for an absolute deadline only as long as is left until it', () => {
    const { fns, subscribe, ctx } = setup();
    const count = subscribe(IN, [{ userdata: 1n, tag: EVENTTYPE.CLOCK, timeout: 50_000n, absolute: true }]);
    expect(fns.poll_oneoff(IN, OUT, count, COUNT)).toBe(Errno.SUCCESS);
    // the deadline was read at 1 µs, so 49 µs were slept; the next reading is 1 µs later
    expect(ctx.clock.nowNs(1)).toBe(51_000n);
  });

  it('answers descriptor subscriptions at once with EBADF', () => {
    const { fns, subscribe, event, ctx } = setup();
    const count = subscribe(IN, [
      { userdata: 7n, tag: EVENTTYPE.FD_READ },
      { userdata: 8n, tag: EVENTTYPE.FD_WRITE },
    ]);
    expect(fns.poll_oneoff(IN, OUT, count, COUNT)).toBe(Errno.SUCCESS);
    expect(event(OUT, 0)).toEqual({ userdata: 7n, error: Errno.BADF, type: EVENTTYPE.FD_READ });
    expect(event(OUT, 1)).toEqual({ userdata: 8n, error: Errno.BADF, type: EVENTTYPE.FD_WRITE });
    expect(ctx.clock.nowNs(1)).toBe(1_000n); // no sleep
  });

  it('reads each subscription whole before writing its event over it', () => {
    const { fns, subscribe, event } = setup();
    const count = subscribe(IN, [{ userdata: 5n, tag: EVENTTYPE.FD_READ }]);
    expect(fns.poll_oneoff(IN, IN, count, COUNT)).toBe(Errno.SUCCESS);
    expect(event(IN, 0)).toEqual({ userdata: 5n, error: Errno.BADF, type: EVENTTYPE.FD_READ });
  });

  it('answers EINVAL for zero subscriptions, as the specification says', () => {
    const { fns, u32, view } = setup();
    view().setUint32(COUNT, 99, true);
    expect(fns.poll_oneoff(IN, OUT, 0, COUNT)).toBe(Errno.INVAL);
    expect(u32(COUNT)).toBe(99);
  });

  it('faults, writing nothing, on a huge count or an array past the end', () => {
    const { fns, subscribe, snapshot, bytes } = setup();
    subscribe(IN, [{ userdata: 1n, tag: EVENTTYPE.CLOCK, timeout: 1n }]);
    const before = snapshot();
    expect(fns.poll_oneoff(IN, OUT, i32(0xffff_ffff), COUNT)).toBe(Errno.FAULT);
    expect(fns.poll_oneoff(IN, PAGE - EVENT.BYTES + 1, 1, COUNT)).toBe(Errno.FAULT);
    expect(fns.poll_oneoff(PAGE - 8, OUT, 1, COUNT)).toBe(Errno.FAULT);
    expect(fns.poll_oneoff(IN, OUT, 1, -4)).toBe(Errno.FAULT);
    expect(bytes()).toEqual(before);
  });

  it('really sleeps when not deterministic', () => {
    const { fns, subscribe } = setup(false);
    const count = subscribe(IN, [{ userdata: 1n, tag: EVENTTYPE.CLOCK, timeout: 20_000_000n }]);
    const started = performance.now();
    expect(fns.poll_oneoff(IN, OUT, count, COUNT)).toBe(Errno.SUCCESS);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
  });
});

describe('process and sockets', () => {
  it('proc_exit unwinds with the code; proc_raise is not implemented', () => {
    const { fns } = setup();
    expect(() => fns.proc_exit(3)).toThrow(expect.objectContaining({ code: 3 }));
    expect(() => fns.proc_exit(-1)).toThrow(ProcExit);
    expect(fns.proc_raise()).toBe(Errno.NOSYS);
  });

  it('refuses every socket call: the sandbox has no network', () => {
    const { fns } = setup();
    expect([fns.sock_accept(), fns.sock_recv(), fns.sock_send(), fns.sock_shutdown()]).toEqual(
      Array(4).fill(Errno.NOTCAPABLE),
    );
  });
});

describe('poll_oneoff under hostile counts', () => {
  it('a million subscriptions (48 MB of them) are answered without an object per subscription', () => {
    const { fns, view } = setup(true, 800);
    const n = 1_000_000;
    // all zero bytes: relative clocks with timeout 0, so every one is due at once; the count lands
    // past the subscriptions
    const count = n * SUBSCRIPTION.BYTES;
    view().setUint32(count, 0, true);
    expect(fns.poll_oneoff(0, 0, n, count)).toBe(Errno.SUCCESS);
    expect(view().getUint32(count, true)).toBe(n);
  });

  it('a u64 timeout past the i64 range never wraps into "due now"', () => {
    const { fns, subscribe, u32 } = setup();
    const count = subscribe(IN, [
      { userdata: 1n, tag: EVENTTYPE.CLOCK, timeout: 2n ** 64n - 1n },
      { userdata: 2n, tag: EVENTTYPE.CLOCK, timeout: 1_000n },
    ]);
    expect(fns.poll_oneoff(IN, OUT, count, COUNT)).toBe(Errno.SUCCESS);
    expect(u32(COUNT)).toBe(1);
  });
});
