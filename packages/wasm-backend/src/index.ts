export {
  ByteReader,
  ByteWriter,
  binaryKind,
  exportedFuncType,
  type FuncType,
  type ModuleInfo,
  PAGE_BYTES,
  readModuleInfo,
  WasmDecodeError,
} from '@memory-mcp/wasm-binary';
export { type CappedModule, capMemory } from './binary/cap-memory.js';
export { DEFAULT_MAX_TABLE_ELEMENTS } from './binary/cap-tables.js';
export { meterModule } from './engine/prepare-module.js';
export {
  type EngineRequest,
  type PrecompiledModule,
  WasmEngine,
  type WasmEngineOptions,
  type WasmEngineStats,
} from './engine/wasm-engine.js';
export type { ExecutorCompiler } from './executor/executor-protocol.js';
export { executorCodeRoots, type JailedExecutorOptions, jailedExecutor } from './executor/jailed-executor.js';
export type { ExecutorCommand, ExecutorProcess, SpawnExecutor } from './executor/spawn-executor.js';
export { EXECUTOR_NICENESS, spawnChildExecutor } from './executor/spawn-executor.js';
export { UnknownOpcodeError } from './fuel/decode-instruction.js';
export { DEFAULT_FUEL_PER_SECOND } from './fuel/fuel-calibration.js';
export {
  FUEL_COSTS,
  FUEL_EXPORT,
  FUEL_INSTRUMENTER_VERSION,
  FUEL_METERING_VERSION,
  type InstrumentedModule,
  type InstrumentOptions,
  instrumentFuel,
  OUT_OF_FUEL_EXPORT,
  START_EXPORT,
} from './fuel/fuel-instrumenter.js';
export { DEFAULT_FS_LIMITS, type FsLimits } from './wasi/memory-fs.js';
export { type WasiHostOptions, WasiPreview1Host } from './wasi/wasi-preview1-host.js';
export { WasmBackend, type WasmBackendOptions, type WasmBackendStats } from './wasm-backend.js';
export { compileWat } from './wat-compiler.js';
