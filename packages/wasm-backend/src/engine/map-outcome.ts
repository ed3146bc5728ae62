import {
  type ExecutionResult,
  type ExecutionStatus,
  emptyResult,
  type Limits,
  limitExceeded,
} from '@memory-mcp/sandbox-core';
import { memoryNearCap } from '../pool/memory-near-cap.js';
import type { PoolOutcome } from '../pool/worker-pool.js';
import type { RunReply } from '../pool/worker-protocol.js';
import { applyResultRecord } from '../result-channel/result-record.js';
import { stateEngineOf } from '../session/state-header.js';

/**
 * One outcome vocabulary to one result: what the pool says about a run (a worker's reply, a
 * deadline, a cancellation, a crash) becomes the `ExecutionResult`, with the limit that stopped it
 * named and the result record, when the run had a channel, applied.
 */
export function mapOutcome(
  outcome: PoolOutcome<RunReply>,
  {
    backend,
    limits,
    fuel,
    restoredBase,
  }: {
    backend: string;
    limits: Limits;
    fuel: number;
    /** A session run's base: a new state that kept it carries this very array. */
    restoredBase?: Uint8Array;
  },
): ExecutionResult {
  if (outcome.kind === 'timeout') {
    return limitResult(backend, {
      name: 'timeoutMs',
      allowed: limits.timeoutMs,
      used: Math.round(outcome.elapsedMs),
      message: `execution passed its ${limits.timeoutMs} ms deadline; its worker was terminated`,
    });
  }
  if (outcome.kind === 'cancelled') {
    return emptyResult(backend, 'cancelled', {
      kind: 'cancelled',
      message: 'the caller cancelled the execution',
    });
  }
  if (outcome.kind === 'crashed') {
    // A worker that reached its heap limit was killed by V8 for what the run held: a memory limit.
    if (outcome.outOfMemory) {
      return limitResult(backend, {
        name: 'memoryBytes',
        allowed: limits.memoryBytes,
        message: `${outcome.message} (the run's worker thread reached its heap limit and was replaced)`,
      });
    }
    return emptyResult(backend, 'error', { kind: 'worker_crash', message: outcome.message });
  }
  const reply = outcome.reply;
  const status = statusOf(reply);
  const result: ExecutionResult = {
    ...emptyResult(backend, status),
    stdout: reply.stdout,
    stderr: reply.stderr,
    truncated: reply.truncated,
  };
  result.timing.runMs = reply.instantiateMs + reply.runMs;
  if (reply.exitCode !== undefined) result.exitCode = reply.exitCode;
  if (reply.value !== undefined) result.value = reply.value;
  if (reply.memoryBytes !== undefined) result.memoryPeakBytes = reply.memoryBytes;
  if (reply.fuelUsed !== undefined) result.fuelUsed = reply.fuelUsed;
  if (reply.files) result.files = reply.files;
  if (reply.resultTruncated) {
    const { status: limited, error } = limitExceeded({
      name: 'maxOutputBytes',
      allowed: limits.maxOutputBytes,
      message: `the return value passed maxOutputBytes (${limits.maxOutputBytes} bytes)`,
    });
    result.status = limited;
    result.error = error;
    return result;
  }
  // A trap stays a trap whatever the module wrote: a record counts only for a normal end.
  if (reply.result !== undefined && (reply.outcome === 'ok' || reply.outcome === 'exit')) {
    applyResultRecord(result, reply.result, {
      outcome: reply.outcome,
      exitCode: reply.exitCode ?? 0,
      memoryBytes: reply.memoryBytes,
      memoryAtCap: memoryNearCap(reply.memoryBytes, limits.memoryBytes),
      limits,
    });
    // a session's new state belongs to a run that ended well, and to nothing else
    const base = reply.state?.base ?? restoredBase;
    const engine = base ? stateEngineOf(base, reply.state?.delta) : undefined;
    if (base && engine && result.status === 'ok') {
      result.state = { base, engine, ...(reply.state?.delta ? { delta: reply.state.delta } : {}) };
      if (reply.saveMs !== undefined) result.timing.saveMs = reply.saveMs;
    }
    return result;
  }
  if (reply.outcome === 'session_state') {
    const error = reply.error ?? { kind: 'session_state_invalid', message: 'the session state failed' };
    result.status =
      error.kind === 'memory_limit' || error.kind === 'session_state_limit' ? 'memory_limit' : 'error';
    result.error = { kind: error.kind, message: error.message };
    return result;
  }
  if (reply.error) {
    const message = reply.error.message;
    if (status === 'memory_limit') {
      result.error = limitExceeded({
        name: 'memoryBytes',
        allowed: limits.memoryBytes,
        used: reply.memoryBytes ?? 0,
        message,
      }).error;
    } else if (status === 'out_of_fuel') {
      result.error = limitExceeded({
        name: 'fuel',
        allowed: fuel,
        used: reply.fuelUsed ?? fuel,
        message,
      }).error;
    } else if (status === 'output_limit') {
      result.error = limitExceeded({
        name: 'maxOutputBytes',
        allowed: limits.maxOutputBytes,
        message,
      }).error;
    } else {
      result.error = { ...reply.error };
    }
  }
  return result;
}

export function limitResult(backend: string, exceeded: Parameters<typeof limitExceeded>[0]): ExecutionResult {
  const { status, error } = limitExceeded(exceeded);
  return emptyResult(backend, status, error);
}

function statusOf(reply: RunReply): ExecutionStatus {
  switch (reply.outcome) {
    case 'ok':
      return 'ok';
    case 'output_limit':
      return 'output_limit';
    case 'memory_limit':
      return 'memory_limit';
    case 'out_of_fuel':
      return 'out_of_fuel';
    default:
      return 'error';
  }
}
