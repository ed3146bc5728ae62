import { readModuleInfo } from '@memory-mcp/wasm-binary';
import { capMemory } from '../binary/cap-memory.js';
import { capModuleTables, compileModule } from '../engine/module-pipeline.js';
import { checkComponent, validateAndInstrument } from '../engine/prepare-module.js';
import { sha256 } from '../result-channel/result-channel-registry.js';
import { transpileComponent } from './transpile-component.js';

/** A component made ready to run: its glue (untrusted code, run only in a worker) and core modules. */
export interface PreparedComponent {
  js: string;
  jsHash: string;
  modules: Record<string, WebAssembly.Module>;
  minPages: number;
  /** The most table elements any core module asks for at instantiation. */
  tableElements: number;
  missingImports: string[];
  /** Bytes of code held, for the cache's budget. */
  size: number;
}

/**
 * Refuses unsafe names before jco sees the component, transpiles it, then puts every core module
 * through the same steps as a plain module (validation, fuel, memory and table caps). Runs in a
 * worker thread under the request's deadline.
 */
export async function prepareComponent(
  bytes: Uint8Array,
  { capPages, maxTableElements }: { capPages: number; maxTableElements: number },
): Promise<PreparedComponent> {
  checkComponent(bytes);
  const transpiled = await transpileComponent(bytes);
  const prepared: PreparedComponent = {
    js: transpiled.js,
    jsHash: sha256(transpiled.js),
    modules: {},
    minPages: 0,
    tableElements: 0,
    missingImports: transpiled.missingImports,
    size: transpiled.js.length,
  };
  for (const [name, core] of Object.entries(transpiled.coreModules)) {
    const instrumented = await validateAndInstrument(core, 'core module of the component');
    const capped = capMemory(instrumented.bytes, readModuleInfo(instrumented.bytes), capPages);
    const tables = capModuleTables(capped.bytes, maxTableElements);
    prepared.minPages = Math.max(prepared.minPages, capped.minPages);
    prepared.tableElements = Math.max(prepared.tableElements, tables.initialElements);
    if (capped.exceeds || tables.exceeds) continue;
    prepared.modules[name] = await compileModule(tables.bytes);
    prepared.size += tables.bytes.length;
  }
  return prepared;
}
