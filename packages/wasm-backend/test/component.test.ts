// WASI preview 2 components, built in the test setup from core modules with jco's componentNew
// and its preview1 command adapter (nothing is downloaded).
import { readFileSync } from 'node:fs';
import { componentNew, preview1AdapterCommandPath } from '@bytecodealliance/jco';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/index.js';
import { compileWat } from '../src/wat-compiler.js';
import { PRELUDE } from './fixtures/wat.js';

const backend = new WasmBackend({ maxConcurrency: 2 });
afterAll(() => backend.close());

let adapter: Uint8Array;
beforeAll(async () => {
  adapter = readFileSync(preview1AdapterCommandPath());
}, 60_000);

async function component(wat: string): Promise<Uint8Array> {
  return componentNew(await compileWat(wat), [['wasi_snapshot_preview1', adapter]]);
}

const hello = (text: string) => `(module ${PRELUDE}
  (data (i32.const 64) "${text}\\n")
  (func (export "_start") (call $print (i32.const 64) (i32.const ${text.length + 1}))))`;

describe('WASI preview 2 components', () => {
  it('runs a wasi:cli/run command with stdout captured', async () => {
    const bytes = await component(hello('hello from a component'));
    expect(Array.from(bytes.subarray(4, 8))).toEqual([13, 0, 1, 0]);
    const recycled = backend.stats().recycledWorkers;
    const result = await backend.execute({ language: 'wasm', code: bytes });
    expect(result.status, JSON.stringify(result.error)).toBe('ok');
    expect(result.stdout).toBe('hello from a component\n');
    expect(result.fuelUsed).toBeGreaterThan(0);
    expect(result.exitCode).toBe(0);
    // The worker that evaluated the glue is retired, never reused for another request.
    await backend.execute({ language: 'wat', code: '(module (func (export "_start")))' });
    expect(backend.stats().recycledWorkers).toBeGreaterThan(recycled);
  });

  it('reads stdin (input as JSON) and reports exit codes', async () => {
    const echo = await component(`(module
      (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      ${PRELUDE}
      (func (export "_start")
        (i32.store (i32.const 16) (i32.const 1024)) (i32.store (i32.const 20) (i32.const 4096))
        (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
        (call $print (i32.const 1024) (i32.load (i32.const 24)))
        (call $exit (i32.const 7))))`);
    const result = await backend.execute({ language: 'wasm', code: echo, input: { from: 'stdin' } });
    expect(result.stdout).toBe('{"from":"stdin"}');
    // wasi:cli/exit carries only success or failure, so the adapter turns proc_exit(7) into 1.
    expect(result).toMatchObject({ status: 'error', exitCode: 1, error: { kind: 'exit' } });
  });

  it('applies the same limits: output cap, fuel, deadline, memory cap', async () => {
    const flood = await component(`(module ${PRELUDE}
      (func (export "_start") (loop $l (call $print (i32.const 0) (i32.const 1024)) (br $l))))`);
    const flooded = await backend.execute({
      language: 'wasm',
      code: flood,
      limits: { maxOutputBytes: 5000 },
    });
    expect(flooded).toMatchObject({ status: 'output_limit', truncated: true });
    expect(Buffer.byteLength(flooded.stdout)).toBeLessThanOrEqual(5000);

    const spin = await component(`(module ${PRELUDE} (func (export "_start") (loop $l (br $l))))`);
    const fuel = await backend.execute({ language: 'wasm', code: spin, limits: { fuel: 100_000 } });
    expect(fuel.status).toBe('out_of_fuel');
    const clock = await backend.execute({
      language: 'wasm',
      code: spin,
      limits: { fuel: 1e15, timeoutMs: 300 },
    });
    expect(clock.status).toBe('timeout');

    const big = await component(`(module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 4000) (func (export "_start")))`);
    const capped = await backend.execute({
      language: 'wasm',
      code: big,
      limits: { memoryBytes: 64 * 1024 * 1024 },
    });
    expect(capped.status).toBe('memory_limit');
  });

  it('gives a component no filesystem and no host environment', async () => {
    process.env.MEMORY_MCP_COMPONENT_SECRET = 'nope';
    const probe = await component(`(module
      (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env (param i32 i32) (result i32)))
      ${PRELUDE}
      (func (export "_start")
        ;; no preopen at fd 3 => print "B" (EBADF), and the environment count as a digit
        (if (i32.eqz (call $prestat (i32.const 3) (i32.const 100))) (then unreachable))
        (drop (call $env (i32.const 200) (i32.const 204)))
        (i32.store8 (i32.const 300) (i32.add (i32.const 48) (i32.load (i32.const 200))))
        (call $print (i32.const 300) (i32.const 1))))`);
    const bare = await backend.execute({ language: 'wasm', code: probe });
    expect(bare).toMatchObject({ status: 'ok', stdout: '0' });
    const withEnv = await backend.execute({ language: 'wasm', code: probe, env: { A: '1', B: '2' } });
    expect(withEnv.stdout).toBe('2');
    delete process.env.MEMORY_MCP_COMPONENT_SECRET;
  });

  it('rejects a malformed component with a typed error', async () => {
    const bytes = await component(hello('x'));
    const broken = bytes.slice(0, bytes.length - 10);
    await expect(backend.execute({ language: 'wasm', code: broken })).rejects.toMatchObject({
      name: 'InvalidRequestError',
      field: 'code',
    });
  });
});
