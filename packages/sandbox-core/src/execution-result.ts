import type { BackendKind, SessionState } from './execution-request.js';
import type { Limits } from './limits.js';

export type ExecutionStatus =
  | 'ok'
  | 'error'
  | 'timeout'
  | 'out_of_fuel'
  | 'memory_limit'
  | 'output_limit'
  | 'denied'
  | 'cancelled';

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'ok',
  'error',
  'timeout',
  'out_of_fuel',
  'memory_limit',
  'output_limit',
  'denied',
  'cancelled',
];

export interface ExecutionError {
  /** Stable machine-readable kind: `trap:unreachable`, `timeout`, `out_of_fuel`, `policy`, `SyntaxError`, ... */
  kind: string;
  message: string;
  stack?: string;
  /** For limit errors: which limit stopped the code, how much was allowed, how much was used. */
  limit?: { name: keyof Limits; allowed: number; used?: number };
}

export interface RouteDecision {
  /** `hybrid`, or the backend kind every request is pinned to. */
  mode: string;
  /** Why this backend: `explicit`, `mode`, `capability: ...`, `heuristic: ...`, `ratio: ...`, `fallback: ...`. */
  reason: string;
}

export interface ExecutionTiming {
  queuedMs: number;
  compileMs: number;
  runMs: number;
  totalMs: number;
  /** Of `totalMs`, saving a session's state (a session call whose state was saved). */
  saveMs?: number;
}

export interface ExecutionResult {
  status: ExecutionStatus;
  stdout: string;
  stderr: string;
  /** The code's return value (JSON), or an entry function's numeric result. */
  value?: unknown;
  exitCode?: number;
  error?: ExecutionError;
  /** Name of the backend that ran (or refused) the code. */
  backend: BackendKind;
  route?: RouteDecision;
  timing: ExecutionTiming;
  fuelUsed?: number;
  memoryPeakBytes?: number;
  /** True when output was cut at `maxOutputBytes`. */
  truncated: boolean;
  /** Files the code wrote to its in-memory filesystem, when it had one. */
  files?: Record<string, Uint8Array>;
  /** A session run's state after it ended `ok` (`request.session.save`); never set otherwise. */
  state?: SessionState;
}

/** Builds a result with empty output and zero timing; backends fill in what they know. */
export function emptyResult(
  backend: string,
  status: ExecutionStatus,
  error?: ExecutionError,
): ExecutionResult {
  return {
    status,
    stdout: '',
    stderr: '',
    backend,
    timing: { queuedMs: 0, compileMs: 0, runMs: 0, totalMs: 0 },
    truncated: false,
    ...(error ? { error } : {}),
  };
}
