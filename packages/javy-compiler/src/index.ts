/** Re-exported from `@memory-mcp/sandbox-core`, where the result-channel contract lives. */
export { RESULT_CHANNEL_SECTION } from '@memory-mcp/sandbox-core';
export {
  buildDynamicModule,
  buildStaticModule,
  ENGINE_IMPORT,
  RESULT_FD,
} from './build-modules.js';
export { compileToBytecode } from './bytecode-compiler.js';
export { type CompileCache, MemoryCompileCache } from './compile-cache.js';
export { type EngineFiles, loadEngine } from './engine-files.js';
export { JavyCliCompiler, type JavyCliCompilerOptions } from './javy-cli-compiler.js';
export { createCompiler, QuickJsCompiler, type QuickJsCompilerOptions } from './quickjs-compiler.js';
export { checkSyntax } from './syntax-check.js';
