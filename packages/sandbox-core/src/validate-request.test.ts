import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from './errors/invalid-request-error.js';
import type { ExecutionRequest } from './execution-request.js';
import { MAX_TIMEOUT_MS, validateRequest } from './validate-request.js';

const base: ExecutionRequest = { language: 'javascript', code: 'return 1' };

function fieldOf(request: unknown): string | undefined {
  try {
    validateRequest(request as ExecutionRequest);
    return undefined;
  } catch (error) {
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    return (error as InvalidRequestError).field;
  }
}

describe('validateRequest', () => {
  it('accepts a plain request with every optional field well formed', () => {
    expect(
      fieldOf({
        ...base,
        stdin: 'x',
        entry: 'main',
        files: { '/a': 'text', '/b': new Uint8Array(2) },
        limits: { timeoutMs: MAX_TIMEOUT_MS, fuel: 2 ** 53 - 1, memoryBytes: 1, maxOutputBytes: 1 },
        signal: new AbortController().signal,
      }),
    ).toBeUndefined();
  });

  it('refuses deadlines a timer cannot hold, fractional or unsafe fuel, and non-finite limits', () => {
    expect(fieldOf({ ...base, limits: { timeoutMs: 2 ** 31 } })).toBe('limits.timeoutMs');
    expect(fieldOf({ ...base, limits: { timeoutMs: Number.POSITIVE_INFINITY } })).toBe('limits.timeoutMs');
    expect(fieldOf({ ...base, limits: { timeoutMs: Number.NaN } })).toBe('limits.timeoutMs');
    expect(fieldOf({ ...base, limits: { fuel: 1.5 } })).toBe('limits.fuel');
    expect(fieldOf({ ...base, limits: { fuel: 2 ** 60 } })).toBe('limits.fuel');
  });

  it('refuses files, stdin, entry and signal of the wrong type, naming the field', () => {
    expect(fieldOf({ ...base, files: { '/a': 5 } })).toBe('files./a');
    expect(fieldOf({ ...base, files: ['x'] })).toBe('files');
    expect(fieldOf({ ...base, stdin: 42 })).toBe('stdin');
    expect(fieldOf({ ...base, entry: {} })).toBe('entry');
    expect(fieldOf({ ...base, signal: { aborted: false } })).toBe('signal');
  });
});
