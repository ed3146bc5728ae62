import { describe, expect, it } from 'vitest';
import { Errno, OutputLimitExceeded, ProcExit } from './errno.js';
import { GuestMemory, MemoryFault } from './guest-memory.js';
import { i32, PAGE, testContext } from './test-context.js';
import { guardFaults, meterHostWork } from './wasi-context.js';

describe('GuestMemory', () => {
  it('checks every range against the memory size, the last byte included', () => {
    const { ctx } = testContext();
    expect(ctx.memory.range(PAGE - 4, 4)).toBe(PAGE - 4);
    expect(ctx.memory.range(PAGE, 0)).toBe(PAGE);
    expect(ctx.memory.span(PAGE + 100, 0)).toHaveLength(0); // empty: valid anywhere
    ctx.memory.write(i32(0xffff_ffff), new Uint8Array(0));
    expect(() => ctx.memory.range(PAGE - 3, 4)).toThrow(MemoryFault);
    expect(() => ctx.memory.range(PAGE - 8, 4, 8)).toThrow(MemoryFault);
    expect(() => ctx.memory.range(0, -1)).toThrow(MemoryFault);
    expect(() => ctx.memory.range(0, Number.NaN)).toThrow(MemoryFault);
  });

  it('reads a negative i32 pointer as unsigned, so it faults instead of indexing from the end', () => {
    const { ctx } = testContext();
    expect(() => ctx.memory.getU32(i32(0xffff_fffc), 0)).toThrow(MemoryFault);
    expect(() => ctx.memory.span(-1, 1)).toThrow(MemoryFault);
    // a field offset is added after the conversion: it never wraps back to address 0
    expect(() => ctx.memory.getU8(i32(0xffff_ffff), 1)).toThrow(MemoryFault);
  });

  it('faults on every access before bind(), instead of throwing a TypeError', () => {
    const memory = new GuestMemory();
    expect(() => memory.setU32(0, 0, 1)).toThrow(MemoryFault);
    expect(memory.span(0, 0)).toHaveLength(0);
  });

  it('follows the memory when it grows (the old buffer is detached)', () => {
    const { ctx, wasm, view } = testContext();
    expect(() => ctx.memory.setU32(PAGE, 0, 7)).toThrow(MemoryFault);
    wasm.grow(1);
    ctx.memory.setU32(PAGE, 0, 7);
    expect(view().getUint32(PAGE, true)).toBe(7);
  });

  it('follows a shared memory too (growing it keeps the old buffer, only shorter)', () => {
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    const memory = new GuestMemory();
    memory.bind(shared);
    memory.setU32(0, 0, 1);
    shared.grow(1);
    memory.setU32(PAGE, 0, 9);
    expect(new DataView(shared.buffer).getUint32(PAGE, true)).toBe(9);
  });

  it('hands out empty ranges even while its cached buffer is detached by a grow', () => {
    const { ctx, wasm } = testContext();
    ctx.memory.setU8(0, 0, 1);
    wasm.grow(1);
    expect(ctx.memory.span(0, 0)).toHaveLength(0);
    expect(ctx.memory.string(0, 0)).toBe('');
    ctx.memory.zero(0, 0);
    ctx.memory.write(0, new Uint8Array(0));
    expect(ctx.memory.getU8(0, 0)).toBe(1);
  });

  it('forgets the old memory when bound to another', () => {
    const { ctx } = testContext();
    ctx.memory.setU32(0, 0, 1);
    const other = new WebAssembly.Memory({ initial: 1 });
    ctx.memory.bind(other);
    ctx.memory.setU32(0, 0, 2);
    expect(new DataView(other.buffer).getUint32(0, true)).toBe(2);
  });

  it('decodes UTF-8, also from a shared memory', () => {
    const shared = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    new Uint8Array(shared.buffer).set(new TextEncoder().encode('héllo'), 10);
    const memory = new GuestMemory();
    memory.bind(shared);
    expect(memory.string(10, 6)).toBe('héllo');
  });

  it('checks a whole iovec list before handing out any buffer', () => {
    const { ctx, iovecs } = testContext();
    const count = iovecs(100, [
      [1000, 4],
      [PAGE - 2, 4],
    ]);
    const seen: number[] = [];
    expect(() => ctx.memory.forEachIovec(100, count, (part) => seen.push(part.length))).toThrow(MemoryFault);
    expect(seen).toEqual([]);
  });

  it('refuses a huge iovec count for a write at once, without walking it', () => {
    const { ctx } = testContext();
    let calls = 0;
    expect(() => ctx.memory.forEachIovec(0, i32(0xffff_ffff), () => calls++)).toThrow(MemoryFault);
    expect(calls).toBe(0);
  });

  it('walks a huge iovec count for a read only while there are bytes to place', () => {
    const { ctx } = testContext();
    expect(ctx.memory.scatter(0, i32(0xffff_ffff), new Uint8Array(0))).toBe(0);
    // all-zero memory: every iovec is empty, until the list runs off the end of memory
    expect(() => ctx.memory.scatter(0, i32(0xffff_ffff), new Uint8Array(1))).toThrow(MemoryFault);
  });

  it('passes zero-length iovecs through, each as its own part', () => {
    const { ctx, iovecs } = testContext();
    const count = iovecs(100, [
      [0, 0],
      [0, 0],
      [500, 3],
    ]);
    const lengths: number[] = [];
    ctx.memory.forEachIovec(100, count, (part) => lengths.push(part.length));
    expect(lengths).toEqual([0, 0, 3]);
  });

  it('scatters a source across iovecs and stops when it runs out', () => {
    const { ctx, iovecs, bytes } = testContext();
    const count = iovecs(100, [
      [1000, 2],
      [2000, 10],
    ]);
    expect(ctx.memory.scatter(100, count, Uint8Array.from([1, 2, 3, 4, 5]))).toBe(5);
    expect([...bytes().subarray(1000, 1002)]).toEqual([1, 2]);
    expect([...bytes().subarray(2000, 2004)]).toEqual([3, 4, 5, 0]);
  });
});

describe('guardFaults', () => {
  const guarded = guardFaults({
    fault: () => {
      throw new MemoryFault();
    },
    exit: (): never => {
      throw new ProcExit(3);
    },
    flood: (): never => {
      throw new OutputLimitExceeded(10);
    },
    ok: (a: number, b: number) => a + b,
  });

  it('turns a memory fault into EFAULT and lets the run-ending throws pass', () => {
    expect(guarded.fault()).toBe(Errno.FAULT);
    expect(() => guarded.exit()).toThrow(ProcExit);
    expect(() => guarded.flood()).toThrow(OutputLimitExceeded);
    expect(guarded.ok(2, 3)).toBe(5);
  });
});

describe('meterHostWork', () => {
  it('charges one unit per 64 bytes a call addressed, after it returns, and lets the charge end the run', () => {
    const { ctx } = testContext();
    const charges: number[] = [];
    ctx.chargeFuel = (units) => {
      charges.push(units);
      if (charges.reduce((a, b) => a + b, 0) > 100) throw new Error('out of fuel');
    };
    const calls = meterHostWork(ctx, {
      touch: (len: number) => {
        ctx.memory.zero(0, len);
        return Errno.SUCCESS;
      },
    });
    expect(calls.touch(63)).toBe(Errno.SUCCESS); // under one unit: free, like a short memory.fill
    expect(calls.touch(64 * 10)).toBe(Errno.SUCCESS);
    expect(charges).toEqual([10]);
    expect(() => calls.touch(64 * 100)).toThrow('out of fuel');
    expect(charges).toEqual([10, 100]);
  });
});
