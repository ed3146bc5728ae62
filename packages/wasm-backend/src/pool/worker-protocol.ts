import type { ValType } from '@memory-mcp/wasm-binary';
import type { ComponentRun } from '../component/run-component.js';
import type { FsLimits } from '../wasi/memory-fs.js';

/**
 * Modules a worker keeps by key. The pool stops sending a module once the worker holds it, and
 * both sides stop adding at this bound, in the same order (main module, then links).
 */
export const WORKER_MODULE_CACHE = 256;

/** A module instantiated before the main one, whose exports the main module imports by `name`. */
export interface LinkedModule {
  name: string;
  /** Stable identity of `module` across messages (each message carries a fresh clone of it). */
  key: string;
  /** Omitted when the worker already holds this module under `key`. */
  module?: WebAssembly.Module;
  wasiImports: Record<string, string[]>;
  memoryExport?: string;
  hasStart: boolean;
}

/** What the backend asks a worker to run. Everything here is structured-clone safe. */
export interface RunMessage {
  /** Modules to instantiate first (a dynamic module's engine). */
  links?: LinkedModule[];
  /** Collect writes to this descriptor as the result channel (only for the compiler's own modules). */
  resultFd?: number;
  /** Most bytes the result channel may carry. */
  maxResultBytes?: number;
  id: number;
  /** Omitted when the worker already holds this module under `moduleKey`. */
  module?: WebAssembly.Module;
  moduleKey?: string;
  /** Names the module imports from each WASI preview 1 namespace. */
  wasiImports: Record<string, string[]>;
  /** An imported memory the host must create, as `{ module, name, initial, maximum, shared }`. */
  importedMemory?: { module: string; name: string; initial: number; maximum: number; shared: boolean };
  /** Export name of the module's memory (the sandbox adds one when the module has none). */
  memoryExport?: string;
  /** Call this export with `entryArgs` instead of `_start`. */
  entry?: string;
  entryArgs?: Array<number | bigint>;
  entryResults?: ValType[];
  /** Fuel budget for the run; the module is instrumented and exports its counter. */
  fuel: number;
  /** The instrumented module had a start function, exported for the worker to run after setting fuel. */
  hasStart: boolean;
  stdin: Uint8Array;
  args: string[];
  env: Record<string, string>;
  files?: Record<string, string | Uint8Array>;
  fsLimits?: FsLimits;
  allowConsole: boolean;
  deterministic: boolean;
  maxOutputBytes: number;
  memoryCapBytes: number;
}

export type RunOutcome =
  | 'ok'
  | 'exit'
  | 'trap'
  | 'output_limit'
  | 'memory_limit'
  | 'link_error'
  | 'out_of_fuel';

/** What a worker answers. */
export interface RunReply {
  id: number;
  outcome: RunOutcome;
  exitCode?: number;
  value?: unknown;
  stdout: string;
  stderr: string;
  truncated: boolean;
  error?: { kind: string; message: string };
  runMs: number;
  instantiateMs: number;
  memoryBytes?: number;
  /** What the code wrote to its result channel. */
  result?: string;
  /** The result channel carried more than `maxResultBytes`; `result` is cut. */
  resultTruncated?: boolean;
  /** Fuel consumed (budget minus what is left); may pass the budget by at most one charge. */
  fuelUsed?: number;
  files?: Record<string, Uint8Array>;
}

/** What the backend asks a worker to run for a WASI preview 2 component. */
export interface ComponentMessage extends ComponentRun {
  id: number;
  component: true;
}

export type WorkerMessage = RunMessage | ComponentMessage;
