import { describe, expect, it } from 'vitest';
import { limitExceeded } from './limit-exceeded.js';
import { decodeResultValue, encodeResultValue, utf8Length } from './result-value.js';

describe('result values', () => {
  it('round-trips JSON and describes what JSON cannot carry', () => {
    const roundTrip = (value: unknown) => decodeResultValue(encodeResultValue(value));
    expect(roundTrip({ a: [1, 'x', null] })).toEqual({ ok: true, value: { a: [1, 'x', null] } });
    expect(roundTrip(undefined)).toEqual({ ok: true });
    expect(roundTrip(12n)).toEqual({ ok: true, value: '[not JSON] 12n' });
    expect(roundTrip(Symbol('s'))).toEqual({ ok: true, value: '[not JSON] Symbol(s)' });
    expect(roundTrip(function named() {})).toEqual({ ok: true, value: '[not JSON] [Function: named]' });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(roundTrip(cycle)).toMatchObject({
      ok: true,
      value: expect.stringMatching(/^\[not JSON\] \[object Object\]/),
    });
  });

  it('turns hostile records into error values, never exceptions', () => {
    expect(decodeResultValue({ json: '{' })).toEqual({
      ok: false,
      message: 'the return value is not valid JSON',
    });
    expect(decodeResultValue({ json: '[1,2,3]' }, 3)).toMatchObject({ ok: false });
    expect(decodeResultValue({ description: 'x'.repeat(5000) })).toMatchObject({ ok: true });
    expect(
      String((decodeResultValue({ description: 'x'.repeat(5000) }) as { value: string }).value).length,
    ).toBeLessThan(1100);
  });
});

describe('utf8Length', () => {
  it('counts UTF-8 bytes as TextEncoder would, lone surrogates as U+FFFD', () => {
    for (const text of ['', 'abc', 'é', '€'.repeat(900), '😀x', '\ud800', 'a\udc00b', '\ud800\ud800']) {
      expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
    }
  });

  it('caps a return value by its bytes, not its UTF-16 units', () => {
    const euros = JSON.stringify('€'.repeat(900));
    expect(decodeResultValue({ json: euros }, 1000)).toMatchObject({ ok: false });
    expect(decodeResultValue({ json: euros }, 3000)).toMatchObject({ ok: true });
  });
});

describe('limitExceeded', () => {
  it('names the limit and maps it to its status', () => {
    expect(limitExceeded({ name: 'fuel', allowed: 10, used: 11, message: 'fuel ran out' })).toEqual({
      status: 'out_of_fuel',
      error: { kind: 'out_of_fuel', message: 'fuel ran out', limit: { name: 'fuel', allowed: 10, used: 11 } },
    });
    expect(limitExceeded({ name: 'maxOutputBytes', allowed: 5, message: 'x' }).error.limit).toEqual({
      name: 'maxOutputBytes',
      allowed: 5,
    });
    expect(limitExceeded({ name: 'timeoutMs', allowed: 1, message: 'x' }).status).toBe('timeout');
    expect(limitExceeded({ name: 'memoryBytes', allowed: 1, message: 'x' }).status).toBe('memory_limit');
  });
});
