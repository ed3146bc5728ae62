import type { ExecutionRequest, Language } from './execution-request.js';
import type { ExecutionResult } from './execution-result.js';

export type IsolationLevel = 'process' | 'worker' | 'wasm' | 'in-process';
export type NetworkIsolation = 'namespace' | 'guard' | 'none' | 'no-network-api';

export interface BackendCapabilities {
  /** Every language this backend runs; requests in any of them may be routed here. */
  languages: Language[];
  /** What separates the code from the host. */
  isolation: IsolationLevel;
  /** How outbound network is prevented. */
  networkIsolation: NetworkIsolation;
  /** Whether the backend meters deterministic fuel. */
  fuel: boolean;
  /** Whether the code may use Node APIs (`require`, `process`, `Buffer`, ...). */
  nodeApis: boolean;
  /** How many executions this backend runs at once before queueing internally. */
  maxConcurrency: number;
  /**
   * The walls actually up around the code, by name (e.g. `mount-namespace`, `rlimit-data`,
   * `node-permission-model`), so an operator sees what protects them. Absent when unknown.
   */
  walls?: readonly string[];
  /**
   * Whether the backend can save a run's whole state and start a later run from it
   * (`request.session`, `result.state`): what `UnifiedSandbox` sessions run on.
   */
  sessions?: boolean;
}

export interface BackendHealth {
  healthy: boolean;
  /** Human-readable reason when unhealthy, or a short status. */
  message?: string;
  /** Backend-specific gauges and counters (pool size, cache hits, crashes, ...). */
  details?: Record<string, unknown>;
}

/**
 * A sandbox backend. `execute` never throws for the code's own failures: those are results.
 * It throws only when the request is invalid (`InvalidRequestError`) or the host is broken.
 */
export interface Backend {
  /** The contract version this backend implements; `UnifiedSandbox` refuses any other. */
  readonly specificationVersion: 'v1';
  /** The backend's kind, e.g. `node`, `wasm`, `quickjs`: lowercase letters, digits and dashes. */
  readonly name: string;
  capabilities(): BackendCapabilities;
  execute(request: ExecutionRequest): Promise<ExecutionResult>;
  health(): Promise<BackendHealth>;
  /** Releases every process, worker and handle. Idempotent. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using backend = ...`. */
  [Symbol.asyncDispose](): Promise<void>;
}
