export interface CompileOptions {
  /** `static`: one self-contained module; `dynamic`: bytecode-only module linked against a shared engine. */
  mode?: 'static' | 'dynamic';
  /** File name used in error messages and stack traces. */
  filename?: string;
}

export interface CompiledModule {
  /** The WebAssembly module bytes. */
  bytes: Uint8Array;
  /** SHA-256 (hex) of `bytes`: the module id. */
  hash: string;
  mode: 'static' | 'dynamic';
  /** Which engine built it (name, version, engine hash), so caches can key on it. */
  engine: { name: string; version: string; hash: string };
  /** Modules a `dynamic` module imports, by import module name. */
  imports?: Record<string, Uint8Array>;
  compileMs: number;
  /**
   * When set, the module writes one JSON record to this WASI file descriptor when it finishes:
   * `{ "ok": true, "json"?: string, "description"?: string }` or
   * `{ "ok": false, "error": { "name", "message", "stack"? } }`. Code running inside cannot reach
   * the descriptor, so printing cannot forge a result.
   */
  resultChannel?: { fd: number };
  /**
   * Some of `imports`, shipped already metered for fuel by `@memory-mcp/wasm-backend`'s
   * instrumenter at `version` (its `FUEL_METERING_VERSION`): metering a large engine at every start
   * is waste. A backend whose instrumenter has exactly that version may run these bytes instead of
   * metering `imports[name]` itself; any other backend ignores them.
   */
  metered?: { version: string; imports: Record<string, MeteredModule> };
  /**
   * What a `dynamic` module's `_start` does, for a host that can do it without compiling and
   * instantiating the module: allocate `bytecode.length` bytes with the `memory_mcp_alloc` export
   * of the module linked as `link`, copy `bytecode` there, call its `memory_mcp_eval_bytecode(ptr,
   * length)` and exit with the code it returns. A host that does not know this shape runs `bytes`.
   */
  direct?: { link: string; bytecode: Uint8Array };
}

/** A module metered ahead of time: its bytes and what metering learned about it. */
export interface MeteredModule {
  bytes: Uint8Array;
  hasStart: boolean;
  maxStaticCharge: number;
  /**
   * All the module's mutable state is its memory and its exported globals (no table can change,
   * every mutable global is exported): a host may reset a used instance to its initial state (copy
   * the initial memory back, restore the globals) instead of instantiating anew. The compiler's
   * build checks this; a backend trusts it only together with the rest of `metered`.
   */
  resettable?: boolean;
}

/**
 * Name of the custom section in which a compiler declares its result channel (one u32 LEB128: the
 * descriptor). A backend honours it only for modules its own compiler produced.
 */
export const RESULT_CHANNEL_SECTION = 'memory-mcp:result-fd';

/** The record a compiled module writes on its result channel (see `CompiledModule.resultChannel`). */
export type ResultRecord =
  | { ok: true; json?: string; description?: string }
  | { ok: false; error: { name: string; message: string; stack?: string } };

/** Turns source text into a WebAssembly module. Compile errors throw `CompileError`. */
export interface Compiler {
  /** The contract version this compiler implements. */
  readonly specificationVersion: 'v1';
  readonly name: string;
  compile(source: string, options?: CompileOptions): Promise<CompiledModule>;
}
