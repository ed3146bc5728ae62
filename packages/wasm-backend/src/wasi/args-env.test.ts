import { describe, expect, it } from 'vitest';
import { argsEnvFunctions } from './args-env.js';
import { Errno } from './errno.js';
import { i32, PAGE, testContext } from './test-context.js';

function setup(args: string[] = ['prog', 'é'], env: Record<string, string> = { A: '1', KEY: 'v=w' }) {
  const t = testContext();
  return { ...t, fns: argsEnvFunctions(t.ctx, { args, env }) };
}

describe('args and environment', () => {
  it('reports counts and NUL-terminated UTF-8 sizes', () => {
    const { fns, u32 } = setup();
    expect(fns.args_sizes_get(0, 4)).toBe(Errno.SUCCESS);
    expect([u32(0), u32(4)]).toEqual([2, 5 + 3]); // "prog\0" + "é\0" (é is two bytes)
    expect(fns.environ_sizes_get(8, 12)).toBe(Errno.SUCCESS);
    expect([u32(8), u32(12)]).toEqual([2, 4 + 8]); // "A=1\0" + "KEY=v=w\0"
  });

  it('writes the strings back to back and a pointer to each', () => {
    const { fns, u32, text } = setup();
    expect(fns.args_get(0, 100)).toBe(Errno.SUCCESS);
    expect([u32(0), u32(4)]).toEqual([100, 105]);
    expect(text(100, 8)).toBe('prog\0é\0');
    expect(fns.environ_get(0, 200)).toBe(Errno.SUCCESS);
    expect([u32(0), u32(4)]).toEqual([200, 204]);
    expect(text(200, 12)).toBe('A=1\0KEY=v=w\0');
  });

  it('has nothing to write for an empty list', () => {
    const { fns, u32, snapshot, bytes } = setup([], {});
    const before = snapshot();
    expect(fns.environ_get(i32(0xffff_fff0), i32(0xffff_fff0))).toBe(Errno.SUCCESS);
    expect(bytes()).toEqual(before);
    expect(fns.environ_sizes_get(0, 4)).toBe(Errno.SUCCESS);
    expect([u32(0), u32(4)]).toEqual([0, 0]);
  });

  it('faults, writing nothing, when the pointer array or the buffer does not fit', () => {
    const { fns, snapshot, bytes } = setup();
    const before = snapshot();
    expect(fns.args_get(PAGE - 4, 100)).toBe(Errno.FAULT); // room for one pointer of two
    expect(fns.args_get(0, PAGE - 7)).toBe(Errno.FAULT); // room for 7 of 8 bytes
    expect(fns.args_get(i32(0x8000_0000), 100)).toBe(Errno.FAULT);
    expect(fns.args_sizes_get(0, PAGE)).toBe(Errno.FAULT);
    expect(fns.environ_sizes_get(-4, 0)).toBe(Errno.FAULT);
    expect(bytes()).toEqual(before);
  });
});
