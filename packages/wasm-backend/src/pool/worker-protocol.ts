import type { CompiledModule, CompileOptions } from '@memory-mcp/sandbox-core';
import type { ValType } from '@memory-mcp/wasm-binary';
import type { PreparedComponent } from '../component/component-pipeline.js';
import type { ComponentRun } from '../component/run-component.js';
import type { PreparedModule } from '../engine/module-pipeline.js';
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
  /** After a clean run, reset the instance (memory and exported globals) for the next run. */
  resettable?: boolean;
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
  /**
   * Run this instead of a main module: allocate its length with the `memory_mcp_alloc` export of
   * the link named `link`, copy it there, call `memory_mcp_eval_bytecode(ptr, length)` and exit
   * with the code it returns (what a compiler's dynamic module does in `_start`).
   */
  bytecode?: { link: string; bytes: Uint8Array };
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
  /**
   * A session run: restore the resettable link's state from `restore` before the run, and when
   * `save` is set and the run ends well, answer with its state (at most `maxStateBytes`).
   */
  session?: { restore?: { base: Uint8Array; delta?: Uint8Array }; save: boolean; maxStateBytes: number };
}

export type RunOutcome =
  | 'ok'
  | 'exit'
  | 'trap'
  | 'output_limit'
  | 'memory_limit'
  | 'link_error'
  | 'out_of_fuel'
  /** A session's state could not be restored or saved (`error.kind` says why). */
  | 'session_state';

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
  /** Time spent saving the session's state, when it was saved. */
  saveMs?: number;
  memoryBytes?: number;
  /** What the code wrote to its result channel. */
  result?: string;
  /** The result channel carried more than `maxResultBytes`; `result` is cut. */
  resultTruncated?: boolean;
  /** Fuel consumed (budget minus what is left); may pass the budget by at most one charge. */
  fuelUsed?: number;
  files?: Record<string, Uint8Array>;
  /** The engine's state after a session run that ended well and asked for it. */
  state?: { base?: Uint8Array; delta?: Uint8Array };
}

/** What the backend asks a worker to run for a WASI preview 2 component. */
export interface ComponentMessage extends ComponentRun {
  id: number;
  component: true;
}

/**
 * What a worker prepares before a run: every step that reads untrusted bytes or source (WAT
 * parsing, JavaScript compiling, component transpiling, validation, fuel, caps, compilation) runs in
 * a worker under the request's deadline, never on the thread that talks to the host.
 */
export type PrepareSource =
  | { kind: 'wasm'; bytes: Uint8Array; linkNames?: string[] }
  | { kind: 'wat'; text: string }
  | { kind: 'component'; bytes: Uint8Array }
  /** `knownLinks`: cache keys of linked modules the engine holds already (not sent back). */
  | { kind: 'javascript'; source: string; knownLinks: string[] }
  /** Compile only, for storage (`compile_to_wasm`): the compiler's module comes back as it is. */
  | { kind: 'compile'; source: string; options?: CompileOptions };

export interface PrepareMessage {
  id: number;
  prepare: PrepareSource;
  capPages: number;
  maxTableElements: number;
}

/** A linked module a JavaScript job needs, prepared unless the engine holds its key already. */
export interface PreparedLink {
  name: string;
  key: string;
  prepared?: PreparedModule;
}

export type Prepared =
  | { kind: 'module'; module: PreparedModule }
  | { kind: 'compiled'; compiled: CompiledModule }
  | { kind: 'component'; component: PreparedComponent }
  | {
      kind: 'javascript';
      /**
       * The compiled module, prepared; omitted when `direct` runs the bytecode in its place
       * (nothing to validate, meter or compile: the module is never instantiated).
       */
      main?: PreparedModule;
      /** The compiler's `direct`: the bytecode the module's `_start` would hand to its link. */
      direct?: { link: string; bytecode: Uint8Array };
      /** SHA-256 of the compiled main module's bytes. */
      bytesHash: string;
      engineHash: string;
      /** The result channel the compiler declared for the module it produced. */
      resultFd?: number;
      links: PreparedLink[];
    };

export type PrepareReply = { id: number } & (
  | { prepared: Prepared }
  /** The request's fault: an `InvalidRequestError` on `field`. */
  | { invalid: { field: string; message: string } }
  /** The JavaScript did not compile (a `CompileError`): the run's SyntaxError. */
  | { compileError: string }
  /** The worker could not do the job for a reason that is not the request's. */
  | { failed: string }
);

/** What the pool hands every worker at start (plain data): the JavaScript compiler it loads. */
export interface WorkerSetup {
  compiler?: { module: string; exportName?: string; options?: Record<string, unknown> };
}

export type WorkerMessage = RunMessage | ComponentMessage | PrepareMessage;
export type WorkerReply = RunReply | PrepareReply;
