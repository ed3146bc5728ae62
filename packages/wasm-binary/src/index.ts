export { ByteReader, ByteWriter, WasmDecodeError } from './leb128.js';
export {
  binaryKind,
  customSections,
  type ExportEntry,
  exportedFuncType,
  type FuncType,
  type ImportEntry,
  type MemoryLimits,
  type ModuleInfo,
  PAGE_BYTES,
  readLimits,
  readModuleInfo,
  readSections,
  type Section,
  type ValType,
  WASM_MAGIC,
  writeLimits,
} from './module-info.js';
export { appendToVector, rebuildModule, sectionPayload } from './rebuild-module.js';
