import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import { type ModuleInfo, readModuleInfo, WasmDecodeError } from '@memory-mcp/wasm-binary';
import { capMemory } from '../binary/cap-memory.js';
import { capTables } from '../binary/cap-tables.js';
import type { RunMessage } from '../pool/worker-protocol.js';
import { validateAndInstrument } from './prepare-module.js';

const WASI_NAMESPACES = new Set(['wasi_snapshot_preview1', 'wasi_unstable']);

/** What the module pipeline asks of one core module. */
export interface ModulePipelineOptions {
  /** The memory cap, in 64 KiB pages: memory maxima are rewritten to it. */
  capPages: number;
  /** Table elements the module may hold, all its tables together. */
  maxTableElements: number;
  /** Import modules that linked modules satisfy at run time (not the host). */
  linkNames?: string[];
  /**
   * The bytes are already metered by this instrumenter (a trusted compiler's engine, see
   * `CompiledModule.metered`): skip validating and metering them again.
   */
  metered?: { hasStart: boolean; maxStaticCharge: number; resettable?: boolean };
}

/**
 * A core module made ready to run: validated, metered, capped, compiled, with what a run needs to
 * know about it. Structured-clone safe, so a worker prepares it and the engine caches it.
 */
export interface PreparedModule {
  /** Undefined when a cap refuses the module before instantiation (see minPages, tableElements). */
  module: WebAssembly.Module | undefined;
  /** The module's types, imports and exports (section payloads dropped: they are not needed). */
  info: ModuleInfo;
  minPages: number;
  /** Table elements the module asks for at instantiation (over the table cap: not compiled). */
  tableElements: number;
  hasStart: boolean;
  maxStaticCharge: number;
  importedMemory?: RunMessage['importedMemory'];
  memoryExport?: string;
  /** Imports the sandbox does not provide, e.g. `env.foo (func)`. */
  missingImports: string[];
  wasiImports: Record<string, string[]>;
  /** Bytes of the rewritten module, for a cache's budget. */
  codeBytes: number;
  /** A used instance may be reset instead of replaced (see `MeteredModule.resettable`). */
  resettable?: boolean;
}

/**
 * Validate, meter fuel, cap memory and tables, compile, and sort the imports: every step that reads
 * untrusted module bytes, in one place. Runs in a worker thread under the request's deadline, so a
 * module that is slow to instrument or compile costs only its own run. Every failure of the module
 * is an `InvalidRequestError` on `code`.
 */
export async function prepareModule(
  bytes: Uint8Array,
  options: ModulePipelineOptions,
): Promise<PreparedModule> {
  const { capPages, maxTableElements, linkNames = [], metered } = options;
  const instrumented = metered ? { bytes, ...metered } : await validateAndInstrument(bytes);
  const info = readModuleInfo(instrumented.bytes);
  const capped = capMemory(instrumented.bytes, info, capPages);
  const tables = capModuleTables(capped.bytes, maxTableElements);
  const prepared: PreparedModule = {
    module: undefined,
    info: { ...info, sections: [] },
    minPages: capped.minPages,
    tableElements: tables.initialElements,
    hasStart: instrumented.hasStart,
    maxStaticCharge: instrumented.maxStaticCharge,
    missingImports: [],
    wasiImports: {},
    codeBytes: tables.bytes.length,
  };
  if (capped.memoryExport) prepared.memoryExport = capped.memoryExport;
  if (metered?.resettable) prepared.resettable = true;
  for (const imp of info.imports) {
    if (linkNames.includes(imp.module)) continue;
    if (WASI_NAMESPACES.has(imp.module) && imp.kind === 'func') {
      const names = prepared.wasiImports[imp.module] ?? [];
      names.push(imp.name);
      prepared.wasiImports[imp.module] = names;
    } else if (imp.kind === 'memory' && capped.importedMemory) {
      prepared.importedMemory = {
        module: imp.module,
        name: imp.name,
        initial: capped.importedMemory.min,
        maximum: capped.importedMemory.max ?? capPages,
        shared: capped.importedMemory.shared,
      };
    } else {
      prepared.missingImports.push(`${imp.module}.${imp.name} (${imp.kind})`);
    }
  }
  if (!capped.exceeds && !tables.exceeds) prepared.module = await compileModule(tables.bytes);
  return prepared;
}

/** `WebAssembly.compile`, its failures as the request's fault. */
export async function compileModule(bytes: Uint8Array): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw new InvalidRequestError('code', `invalid module: ${(error as Error).message}`);
  }
}

export function capModuleTables(bytes: Uint8Array, budget: number): ReturnType<typeof capTables> {
  try {
    return capTables(bytes, budget);
  } catch (error) {
    if (WasmDecodeError.isInstance(error))
      throw new InvalidRequestError('code', `malformed module: ${error.message}`);
    throw error;
  }
}
