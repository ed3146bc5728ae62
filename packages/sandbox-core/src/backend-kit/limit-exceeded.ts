import type { ExecutionError, ExecutionStatus } from '../execution-result.js';
import type { Limits } from '../limits.js';

export type LimitName = keyof Limits;

/** The status each limit ends an execution with. */
export const LIMIT_STATUS: Readonly<Record<LimitName, ExecutionStatus>> = Object.freeze({
  timeoutMs: 'timeout',
  memoryBytes: 'memory_limit',
  fuel: 'out_of_fuel',
  maxOutputBytes: 'output_limit',
});

export interface LimitExceeded {
  status: ExecutionStatus;
  error: ExecutionError;
}

/**
 * The status and error for code stopped by a limit: which limit, how much was allowed, how much
 * was used (when known). `kind` equals the status, so callers can switch on either.
 */
export function limitExceeded({
  name,
  allowed,
  used,
  message,
}: {
  name: LimitName;
  allowed: number;
  used?: number;
  message: string;
}): LimitExceeded {
  const status = LIMIT_STATUS[name];
  return {
    status,
    error: {
      kind: status,
      message,
      limit: { name, allowed, ...(used !== undefined && Number.isFinite(used) ? { used } : {}) },
    },
  };
}
