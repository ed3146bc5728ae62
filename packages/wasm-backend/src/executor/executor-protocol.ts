import type { CompileOptions, ExecutionResult, Limits } from '@memory-mcp/sandbox-core';
import type { CompileOutcome, EngineRequest, WasmEngineStats } from '../engine/wasm-engine.js';
import type { FsLimits } from '../wasi/memory-fs.js';

/** Engine settings the host sends once, first thing, to each executor. */
export interface ExecutorInit {
  type: 'init';
  maxConcurrency: number;
  warmWorkers: number;
  limits: Limits;
  fuelPerSecond: number;
  cacheBytes?: number;
  maxModuleBytes: number;
  maxTableElements: number;
  fileSystem: FsLimits;
  /** Worker script override (tests, bundlers), as a URL string. */
  workerUrl?: string;
  /** A compiler for `language: 'javascript'` to load inside the executor. */
  compiler?: ExecutorCompiler;
  /** The largest frame the host accepts: an answer past it is sent as that run's failure. */
  maxFrameBytes: number;
}

/**
 * A JavaScript compiler the executor loads itself: `import(module)[exportName](options)` must
 * return a sandbox-core `Compiler`. `module` must resolve from the executor's script: give a
 * `file:` URL (for example `import.meta.resolve('@memory-mcp/javy-compiler')` in the app).
 */
export interface ExecutorCompiler {
  module: string;
  /** Default `createCompiler`. */
  exportName?: string;
  /** Plain data (it crosses a process boundary). */
  options?: Record<string, unknown>;
}

/**
 * A request as it crosses to the executor: no `signal` (cancellation is its own message), and a
 * session's base may be named by `baseDigest` instead of sent, when the executor holds it.
 */
export type WireRequest = Omit<EngineRequest, 'signal' | 'session'> & {
  session?: Omit<NonNullable<EngineRequest['session']>, 'restore'> & {
    restore?: Omit<NonNullable<NonNullable<EngineRequest['session']>['restore']>, 'base'> & {
      base?: Uint8Array;
      baseDigest?: string;
    };
  };
};

export type HostMessage =
  | ExecutorInit
  | { type: 'run'; id: number; request: WireRequest }
  /** Compile JavaScript for storage, in a worker, within `timeoutMs`. */
  | { type: 'compile'; id: number; source: string; options?: CompileOptions; timeoutMs: number }
  | { type: 'cancel'; id: number };

/** Counters of the executor's engine, sent with every answer. */
export type ExecutorStats = Pick<
  WasmEngineStats,
  | 'poolSize'
  | 'busyWorkers'
  | 'aliveWorkers'
  | 'queued'
  | 'crashes'
  | 'recycledWorkers'
  | 'cacheHits'
  | 'cacheMisses'
  | 'cacheEntries'
>;

export type ExecutorMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: ExecutionResult; stats: ExecutorStats }
  /** The request was bad (an `InvalidRequestError` in the engine): the host throws it. */
  | { type: 'invalid'; id: number; field: string; message: string; stats: ExecutorStats }
  /** The engine failed in a way that is not the request's fault. */
  | { type: 'failed'; id: number; message: string; stats: ExecutorStats }
  /** A session run named its base by digest, and this executor no longer holds it: send it again. */
  | { type: 'state-missing'; id: number; stats: ExecutorStats }
  /** How a `compile` ended. */
  | { type: 'compiled'; id: number; outcome: CompileOutcome; stats: ExecutorStats };

/**
 * Bytes of session bases an executor keeps by digest (and the host's mirror of what each executor
 * holds): a session's next call then sends its delta and the base's digest, not the base again.
 */
export const STATE_BASE_CACHE_BYTES = 128 * 1024 * 1024;

/** Largest frame the executor accepts from the host (a module is at most `maxModuleBytes`). */
export const MAX_HOST_FRAME_BYTES = 512 * 1024 * 1024;
