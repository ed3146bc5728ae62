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

  it('a compile that holds its worker past the deadline is a timeout; the executor and the host loop stay free', async () => {
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
      // The compile ran in a worker thread, which the deadline terminated: the executor (and every
      // other run it holds) was never at risk, and the host's backstop never fired.
      expect(backend.stats().executorRestarts).toBe(0);
      expect(backend.stats().recycledWorkers).toBeGreaterThanOrEqual(1);
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

  it('compiles for storage in the executor (compile_to_wasm): the host never runs the compiler, and its modules keep their channel', async () => {
    const backend = new WasmBackend({ executors: 1, executorCompiler: { module: compilerModule } });
    try {
      const compiler = backend.compiler({ name: 'wat-as-js' });
      expect(compiler.name).toBe('wat-as-js');
      const compiled = await compiler.compile(reporter('{"ok":true,"json":"7"}'));
      // Compiled in another process (the executor), not in this one.
      expect(compiled.engine.version).toMatch(/^pid-\d+-ppid-\d+$/);
      expect(compiled.engine.version).not.toContain(`pid-${process.pid}-`);
      // The host rehashes the bytes rather than trusting the claimed hash.
      expect(compiled.hash).toMatch(/^[0-9a-f]{64}$/);
      // Run later as plain bytes (the module store's path): the channel is honoured.
      const run = await backend.execute({ language: 'wasm', code: compiled.bytes });
      expect(run).toMatchObject({ status: 'ok', value: 7 });
      const bad = await compiler.compile('(module').catch((e: unknown) => e);
      expect((bad as Error).name).toBe('CompileError');
    } finally {
      await backend.close();
    }
  });

  it('a compile for storage that passes its deadline is a CompileError, and the executor carries on', async () => {
    const backend = new WasmBackend({
      executors: 1,
      executorCompiler: { module: compilerModule, options: { blockMs: 4000 } },
    });
    try {
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const error = await backend
        .compiler({ timeoutMs: 200 })
        .compile(reporter('{"ok":true}'))
        .catch((e: unknown) => e);
      lag.disable();
      expect((error as Error).name).toBe('CompileError');
      expect((error as Error).message).toMatch(/200 ms deadline/);
      expect(lag.max / 1e6).toBeLessThan(100); // a hang guard: the 4 s block is in the executor
      expect(backend.stats().executorRestarts).toBe(0);
      const wat = await backend.execute({ language: 'wat', code: '(module (func (export "_start")))' });
      expect(wat.status).toBe('ok');
    } finally {
      await backend.close();
    }
  });
});
