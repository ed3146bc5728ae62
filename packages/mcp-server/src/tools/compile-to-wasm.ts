import type { Compiler } from '@memory-mcp/sandbox-core';
import { compileToWasmOutput } from '../output-schemas.js';
import { compileToWasmInput } from '../schemas.js';
import { defineTool, type ToolContext } from './tool-definition.js';

/** `compile_to_wasm`: offered only when a compiler is configured. */
export const compileToWasmTool = (ctx: ToolContext & { compiler: Compiler }) =>
  defineTool({
    name: 'compile_to_wasm',
    title: 'Compile JavaScript to WebAssembly',
    description: `Compiles JavaScript to a WASI module with ${ctx.compiler.name} and stores it; run it later with execute_agent_code and module_id.`,
    input: compileToWasmInput,
    output: compileToWasmOutput,
    async handler(args) {
      await ctx.store.assertWritable();
      let compiled: Awaited<ReturnType<Compiler['compile']>>;
      try {
        compiled = await ctx.compiler.compile(args.code, args.mode ? { mode: args.mode } : {});
      } catch (error) {
        return { errorText: `compile error: ${(error as Error).message}` };
      }
      await ctx.store.modules.store({
        id: compiled.hash,
        bytes: compiled.bytes,
        engine: `${compiled.engine.name}@${compiled.engine.version}`,
      });
      return {
        structured: {
          module_id: compiled.hash,
          size: compiled.bytes.length,
          mode: compiled.mode,
          engine: compiled.engine,
          compile_ms: compiled.compileMs,
        },
      };
    },
  });
