import { describe, expect, it } from 'vitest';
import { OutputCap, utf8SafeCut } from './output-cap.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('OutputCap', () => {
  it('keeps both streams apart under one shared cap', () => {
    const cap = new OutputCap({ maxBytes: 100 });
    expect(cap.write('stdout', bytes('hello\n'))).toBe(true);
    expect(cap.write('stderr', bytes('oops\n'))).toBe(true);
    expect(cap.text('stdout')).toBe('hello\n');
    expect(cap.text('stderr')).toBe('oops\n');
    expect(cap.truncated).toBe(false);
    expect(cap.chargedBytes).toBe(16); // both writes are under the 8-byte floor
  });

  it('cuts at the cap on a UTF-8 boundary and refuses everything after', () => {
    const cap = new OutputCap({ maxBytes: 10, floorBytesPerWrite: 0 });
    expect(cap.write('stdout', bytes('abcdefgh'))).toBe(true);
    // 'é' is two bytes; only one byte of room is left after 'ab' would not fit either.
    expect(cap.write('stdout', bytes('éé'))).toBe(false);
    expect(cap.text('stdout')).toBe('abcdefghé');
    expect(cap.truncated).toBe(true);
    expect(cap.write('stderr', bytes('x'))).toBe(false);
    expect(cap.text('stderr')).toBe('');
    expect(cap.chargedBytes).toBe(10);
  });

  it('charges a floor per write, so a flood of empty writes reaches the cap', () => {
    const cap = new OutputCap({ maxBytes: 4096 });
    let calls = 0;
    while (cap.write('stdout', new Uint8Array(0))) calls++;
    expect(calls).toBe(4096 / 8);
    expect(cap.truncated).toBe(true);
    expect(cap.bytes('stdout').length).toBe(0);
  });

  it('holds a million one-byte writes in one buffer of at most the cap', () => {
    const cap = new OutputCap({ maxBytes: 4 * 1024 * 1024, floorBytesPerWrite: 1 });
    const one = bytes('x');
    for (let i = 0; i < 1_000_000; i++) cap.write('stdout', one);
    expect(cap.bytes('stdout').length).toBe(1_000_000);
    expect(cap.truncated).toBe(false);
  });

  it('never keeps a partial character', () => {
    for (let limit = 0; limit <= 12; limit++) {
      const data = bytes('a€b😀c');
      const cut = utf8SafeCut(data, limit);
      expect(cut).toBeLessThanOrEqual(limit);
      expect(new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(0, cut))).toBeTypeOf('string');
    }
  });
});
