// JavaScript compiled inside the executor (option `executorCompiler`): the host never parses it,
// the deadline covers the compile, and a compile that will not end costs the host nothing.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/index.js';

const compilerModule = new URL('./fixtures/wat-compiler-module.mjs', import.meta.url).href;

/** Writes `record` to the result channel (fd 1023) and returns. */
const reporter = (record: string) => `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) ${JSON.stringify(record)})
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const ${record.length}))
    (drop (call $fd_write (i32.const 1023) (i32.const 0) (i32.const 1) (i32.const 8)))))`;

describe('a compiler loaded by the executor', () => {
  it("runs JavaScript through the executor's compiler, with its result channel", async () => {
    const backend = new WasmBackend({ executors: 1, executorCompiler: { module: compilerModule } });
    try {
      expect(backend.capabilities().languages).toContain('javascript');
      const result = await backend.execute({
        language: 'javascript',
        code: reporter('{"ok":true,"json":"42"}'),
      });
      expect(result).toMatchObject({ status: 'ok', value: 42 });
      const invalid = await backend
        .execute({ language: 'javascript', code: '(module' })
        .catch((e: unknown) => e);
      expect((invalid as Error).name).toBe('InvalidRequestError');
    } finally {
      await backend.close();
    }
  });

  it('a compile that holds the executor past the deadline is a timeout; the host loop stays free; the next run works', async () => {
    const backend = new WasmBackend({
      executors: 1,
      backstopGraceMs: 500,
      executorCompiler: { module: compilerModule, options: { blockMs: 4000 } },
    });
    try {
      await backend.execute({ language: 'wat', code: '(module (func (export "_start")))' });
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const result = await backend.execute({
        language: 'javascript',
        code: reporter('{"ok":true}'),
        limits: { timeoutMs: 200 },
      });
      lag.disable();
      expect(result.status).toBe('timeout');
      expect(result.error?.limit).toMatchObject({ name: 'timeoutMs', allowed: 200 });
      expect(lag.max / 1e6).toBeLessThan(100); // a hang guard: the 4 s block is in the executor
      const next = await backend.execute({ language: 'wat', code: '(module (func (export "_start")))' });
      expect(next.status).toBe('ok');
      expect(backend.stats().executorRestarts).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it('a compiler module that cannot be loaded: JavaScript requests are error results, wasm still runs', async () => {
    const backend = new WasmBackend({
      executors: 1,
      executorCompiler: { module: new URL('./fixtures/no-such-compiler.mjs', import.meta.url).href },
    });
    try {
      const js = await backend.execute({ language: 'javascript', code: 'return 1' });
      expect(js.status).toBe('error');
      expect(js.error?.message).toMatch(/could not load its JavaScript compiler/);
      const wat = await backend.execute({ language: 'wat', code: '(module (func (export "_start")))' });
      expect(wat.status).toBe('ok');
    } finally {
      await backend.close();
    }
  });
});
