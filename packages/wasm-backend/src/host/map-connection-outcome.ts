import {
  type ExecutionResult,
  emptyResult,
  InvalidRequestError,
  type Limits,
  limitExceeded,
} from '@memory-mcp/sandbox-core';
import type { ConnectionOutcome } from '../executor/executor-connection.js';

const BACKEND = 'wasm';

/**
 * Outcome mapping on the host: what an executor connection says about a run (an answer, a bad
 * request, a failure, a lost executor, the backstop) becomes the `ExecutionResult`. An answer is
 * checked against the request's limits rather than trusted.
 */
export function mapConnectionOutcome(outcome: ConnectionOutcome, limits: Limits): ExecutionResult {
  switch (outcome.kind) {
    case 'result':
      return withinLimits(outcome.result, limits)
        ? outcome.result
        : emptyResult(BACKEND, 'error', {
            kind: 'executor_error',
            message: "the executor's answer carries more output than the request's limits allow",
          });
    case 'invalid':
      throw new InvalidRequestError(outcome.field, outcome.message);
    case 'failed':
      return emptyResult(BACKEND, 'error', { kind: 'executor_error', message: outcome.message });
    case 'lost': {
      if (!outcome.outOfMemory) {
        return emptyResult(BACKEND, 'error', {
          kind: 'executor_crash',
          message: `${outcome.message}; a fresh executor has taken over`,
        });
      }
      // Out of memory: every run the executor held ends as memory_limit, and the message says the
      // run shared the executor (any of them may have been the cause).
      const { status, error } = limitExceeded({
        name: 'memoryBytes',
        allowed: limits.memoryBytes,
        message: `the executor running this and ${Math.max(0, (outcome.heldRuns ?? 1) - 1)} other run(s) ran out of memory and was replaced: ${outcome.message}`,
      });
      return emptyResult(BACKEND, status, error);
    }
    case 'compiled':
      return emptyResult(BACKEND, 'error', {
        kind: 'executor_error',
        message: 'the executor answered a run with a compile outcome',
      });
    case 'state_missing':
      return emptyResult(BACKEND, 'error', {
        kind: 'executor_error',
        message: "the executor lost the session's base twice in a row",
      });
    case 'timeout': {
      const { status, error } = limitExceeded({
        name: 'timeoutMs',
        allowed: limits.timeoutMs,
        used: Math.round(outcome.elapsedMs),
        message: `execution passed its ${limits.timeoutMs} ms deadline and its executor did not stop it; the executor was replaced`,
      });
      return emptyResult(BACKEND, status, error);
    }
  }
}

/**
 * An executor is trusted to enforce the output caps, but checked anyway: an answer larger than the
 * request allows is refused rather than passed on.
 */
function withinLimits(result: ExecutionResult, limits: Limits): boolean {
  // The cap is on the bytes the module wrote. Decoded, each byte is at most one UTF-16 unit (an
  // invalid byte becomes one U+FFFD), so the string's length bounds it; its UTF-8 length does not.
  const output = result.stdout.length + result.stderr.length;
  const files = Object.entries(result.files ?? {}).reduce(
    (n, [path, f]) => n + f.length + Buffer.byteLength(path),
    0,
  );
  return output <= limits.maxOutputBytes && files <= limits.maxOutputBytes;
}
