import { readModuleInfo } from '@memory-mcp/wasm-binary';
import { describe, expect, it } from 'vitest';
import { compileWat } from '../wat-compiler.js';
import { capMemory, HIDDEN_MEMORY_EXPORT } from './cap-memory.js';

async function capped(wat: string, maxPages: number) {
  const bytes = await compileWat(wat);
  const result = capMemory(bytes, readModuleInfo(bytes), maxPages);
  return {
    ...result,
    info: readModuleInfo(result.bytes),
    module: result.exceeds ? undefined : new WebAssembly.Module(result.bytes as Uint8Array<ArrayBuffer>),
  };
}

describe('capMemory', () => {
  it('lowers a larger or missing maximum to the cap and keeps a smaller one', async () => {
    expect((await capped('(module (memory 1))', 10)).info.memories[0]).toMatchObject({ min: 1, max: 10 });
    expect((await capped('(module (memory 1 100))', 10)).info.memories[0]).toMatchObject({ min: 1, max: 10 });
    expect((await capped('(module (memory 1 5))', 10)).info.memories[0]).toMatchObject({ min: 1, max: 5 });
  });

  it('reports a module whose initial memory is over the cap', async () => {
    const result = await capped('(module (memory 20))', 10);
    expect(result).toMatchObject({ exceeds: true, minPages: 20 });
  });

  it('caps an imported memory and tells the host its limits', async () => {
    const result = await capped('(module (import "env" "mem" (memory 2)) (func (export "f")))', 8);
    expect(result.importedMemory).toMatchObject({ min: 2, max: 8 });
    expect(result.info.imports[0]?.memory).toMatchObject({ min: 2, max: 8 });
  });

  it('exports an unexported memory under a hidden name, with or without an export section', async () => {
    const none = await capped('(module (memory 1) (func (export "f")) (data (i32.const 0) "x"))', 4);
    expect(none.memoryExport).toBe(HIDDEN_MEMORY_EXPORT);
    expect(WebAssembly.Module.exports(none.module!).map((e) => e.name)).toEqual(['f', HIDDEN_MEMORY_EXPORT]);
    const noExports = await capped('(module (memory 1) (start 0) (func))', 4);
    expect(WebAssembly.Module.exports(noExports.module!)).toEqual([
      { name: HIDDEN_MEMORY_EXPORT, kind: 'memory' },
    ]);
    const already = await capped('(module (memory (export "memory") 1))', 4);
    expect(already.memoryExport).toBe('memory');
    expect(WebAssembly.Module.exports(already.module!)).toHaveLength(1);
  });

  it('leaves a module without memory untouched', async () => {
    const bytes = await compileWat('(module (func (export "f")))');
    expect(capMemory(bytes, readModuleInfo(bytes), 4).bytes).toBe(bytes);
  });
});
