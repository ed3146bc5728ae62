import { describe, expect, it } from 'vitest';
import { classifyExit, type ExitFacts } from './classify-exit.js';

const facts = (over: Partial<ExitFacts>): ExitFacts => ({
  code: 0,
  signal: null,
  stderrTail: '',
  killedByHost: false,
  viaBwrap: true,
  ...over,
});

describe('classifyExit', () => {
  it('turns bwrap 128+N codes back into signals', () => {
    expect(classifyExit(facts({ code: 137 }))).toEqual({ code: null, signal: 'SIGKILL', reason: 'signal' });
    expect(classifyExit(facts({ code: 153 }))).toMatchObject({
      signal: 'SIGXFSZ',
      reason: 'file_size_limit',
    });
    expect(classifyExit(facts({ code: 152 }))).toMatchObject({ signal: 'SIGXCPU', reason: 'cpu_limit' });
    expect(classifyExit(facts({ code: 137, viaBwrap: false }))).toMatchObject({ code: 137, reason: 'exit' });
  });

  it('recognises memory and file-size deaths from the runtime’s last words', () => {
    const oom =
      'FATAL ERROR: Committing semi space failed. Allocation failed - JavaScript heap out of memory';
    expect(classifyExit(facts({ code: 134, stderrTail: oom }))).toMatchObject({
      signal: 'SIGABRT',
      reason: 'memory_limit',
    });
    expect(
      classifyExit(facts({ code: 1, stderrTail: 'RangeError: Array buffer allocation failed' })),
    ).toMatchObject({ reason: 'memory_limit', code: 1 });
    expect(classifyExit(facts({ code: 1, stderrTail: 'Error: EFBIG: file too large, write' }))).toMatchObject(
      {
        reason: 'file_size_limit',
      },
    );
    // A program that caught its RangeError and exited 0 simply exited.
    expect(classifyExit(facts({ code: 0, stderrTail: 'Array buffer allocation failed' })).reason).toBe(
      'exit',
    );
  });

  it('reports host kills and bwrap setup failures', () => {
    expect(classifyExit(facts({ code: null, signal: 'SIGKILL', killedByHost: true })).reason).toBe('killed');
    expect(classifyExit(facts({ code: 1, stderrTail: "bwrap: Can't find source path /x" })).reason).toBe(
      'setup_failed',
    );
    expect(classifyExit(facts({ code: 3 }))).toEqual({ code: 3, signal: null, reason: 'exit' });
  });
});
