import { describe, expect, it } from 'vitest';
import { clocksRandomFunctions } from './clocks-random.js';
import { Errno } from './errno.js';
import { i32, PAGE, testContext } from './test-context.js';

const EPOCH_2000_NS = 946_684_800_000_000_000n;

function setup(deterministic = true) {
  const t = testContext({ deterministic });
  return { ...t, fns: clocksRandomFunctions(t.ctx) };
}

describe('clocks', () => {
  it('reports a 1 µs resolution for the four clocks and EINVAL for any other id', () => {
    const { fns, u64 } = setup();
    for (const id of [0, 1, 2, 3]) {
      expect(fns.clock_res_get(id, 8)).toBe(Errno.SUCCESS);
      expect(u64(8)).toBe(1000n);
    }
    expect(fns.clock_res_get(4, 8)).toBe(Errno.INVAL);
    expect(fns.clock_res_get(i32(0xffff_ffff), 8)).toBe(Errno.INVAL);
    expect(fns.clock_time_get(i32(0x8000_0000), 0n, 8)).toBe(Errno.INVAL);
  });

  it('is repeatable when deterministic: realtime from 2000-01-01, each reading 1 µs later', () => {
    const { fns, u64 } = setup();
    expect(fns.clock_time_get(0, 0n, 8)).toBe(Errno.SUCCESS);
    expect(u64(8)).toBe(EPOCH_2000_NS + 1000n);
    expect(fns.clock_time_get(1, 0n, 8)).toBe(Errno.SUCCESS);
    expect(u64(8)).toBe(2000n);
  });

  it('reads the real clocks otherwise', () => {
    const { fns, u64 } = setup(false);
    expect(fns.clock_time_get(0, 0n, 8)).toBe(Errno.SUCCESS);
    const wallMs = Number(u64(8) / 1_000_000n);
    expect(Math.abs(wallMs - Date.now())).toBeLessThan(60_000);
    fns.clock_time_get(1, 0n, 16);
    fns.clock_time_get(1, 0n, 24);
    expect(u64(24)).toBeGreaterThanOrEqual(u64(16));
  });

  it('faults on an output pointer past the end, and the deterministic clock does not advance', () => {
    const { fns, u64 } = setup();
    expect(fns.clock_res_get(0, PAGE - 4)).toBe(Errno.FAULT);
    expect(fns.clock_time_get(1, 0n, PAGE - 7)).toBe(Errno.FAULT);
    expect(fns.clock_time_get(1, 0n, -8)).toBe(Errno.FAULT);
    fns.clock_time_get(1, 0n, 0);
    expect(u64(0)).toBe(1000n);
  });
});

describe('random_get', () => {
  it('gives the same bytes to every deterministic run', () => {
    const a = setup();
    const b = setup();
    expect(a.fns.random_get(100, 64)).toBe(Errno.SUCCESS);
    expect(b.fns.random_get(100, 32)).toBe(Errno.SUCCESS);
    expect(b.fns.random_get(132, 32)).toBe(Errno.SUCCESS);
    expect(a.bytes().subarray(100, 164)).toEqual(b.bytes().subarray(100, 164));
    expect(new Set(a.bytes().subarray(100, 164)).size).toBeGreaterThan(16);
  });

  it('fills more than one 64 KiB getRandomValues chunk', () => {
    const t = testContext({ deterministic: false, pages: 3 });
    const fns = clocksRandomFunctions(t.ctx);
    expect(fns.random_get(0, 2 * PAGE + 10)).toBe(Errno.SUCCESS);
    // the tail past the first chunks is filled too (4 KiB of zeros would be a 2^-32768 event)
    expect(
      t
        .bytes()
        .subarray(2 * PAGE - 4096, 2 * PAGE + 10)
        .some((b) => b !== 0),
    ).toBe(true);
    expect(t.bytes()[2 * PAGE + 10]).toBe(0);
  });

  it('small reads come from a pool that never hands out the same bytes twice, across refills', () => {
    const t = testContext({ deterministic: false });
    const fns = clocksRandomFunctions(t.ctx);
    const seen = new Set<string>();
    // 3,000 reads of 8 bytes: 24,000 bytes, so the 4 KiB pool is refilled several times
    for (let i = 0; i < 3000; i++) {
      expect(fns.random_get(64, 8)).toBe(Errno.SUCCESS);
      seen.add(Buffer.from(t.bytes().subarray(64, 72)).toString('hex'));
    }
    // a repeated 64-bit value among 3,000 random ones would be a 2^-40 event; a pool handing out
    // bytes twice (or zeros after a wipe) repeats at once
    expect(seen.size).toBe(3000);
    const counts = new Array(256).fill(0);
    for (const hex of seen) for (const b of Buffer.from(hex, 'hex')) counts[b]++;
    // 24,000 bytes over 256 values: about 94 each; a biased or constant source is far off
    expect(Math.min(...counts)).toBeGreaterThan(40);
    expect(Math.max(...counts)).toBeLessThan(160);
  });

  it('faults, filling nothing, on a range past the end (it used to fill what fit and succeed)', () => {
    const { fns, snapshot, bytes } = setup();
    const before = snapshot();
    expect(fns.random_get(PAGE - 10, 11)).toBe(Errno.FAULT);
    expect(fns.random_get(0, i32(0xffff_ffff))).toBe(Errno.FAULT);
    expect(fns.random_get(i32(0xffff_fff0), 4)).toBe(Errno.FAULT);
    expect(bytes()).toEqual(before);
    expect(fns.random_get(PAGE, 0)).toBe(Errno.SUCCESS);
  });

  it('sched_yield succeeds', () => {
    expect(setup().fns.sched_yield()).toBe(Errno.SUCCESS);
  });
});
