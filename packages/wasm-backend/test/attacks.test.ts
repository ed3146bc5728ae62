// Real attack modules against the wasm backend. After each, the host must be alive and the next
// execution must succeed (checked in afterEach).
import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/index.js';
import { PRELUDE, printer } from './fixtures/wat.js';

const MiB = 1024 * 1024;
const backend = new WasmBackend({ maxConcurrency: 4 });
afterAll(() => backend.close());
afterEach(async () => {
  const next = await backend.execute({ language: 'wat', code: printer('still alive') });
  expect(next.status).toBe('ok');
  expect(next.stdout).toBe('still alive\n');
});

describe('wasm backend under attack', () => {
  it('infinite loop: stopped by fuel, not by the clock', async () => {
    // A deadline far beyond any machine's speed: the status proves fuel, not time, stopped it.
    const result = await backend.execute({
      language: 'wat',
      code: '(module (func (export "_start") (loop $l (br $l))))',
      limits: { timeoutMs: 120_000, fuel: 50_000_000 },
    });
    expect(result.status).toBe('out_of_fuel');
    expect(result.error).toMatchObject({ kind: 'out_of_fuel', limit: { name: 'fuel', allowed: 50_000_000 } });
    expect(result.fuelUsed).toBeGreaterThanOrEqual(50_000_000);
  });

  it('infinite loop with fuel to spare: terminated at the deadline, worker replaced', async () => {
    const before = backend.stats().recycledWorkers;
    const started = performance.now();
    const result = await backend.execute({
      language: 'wat',
      code: '(module (func (export "_start") (loop $l (br $l))))',
      limits: { timeoutMs: 300, fuel: 1e15 },
    });
    expect(result.status).toBe('timeout');
    expect(result.error?.limit).toMatchObject({ name: 'timeoutMs', allowed: 300 });
    expect(performance.now() - started).toBeLessThan(15_000); // a hang guard, not a speed test
    expect(backend.stats().recycledWorkers).toBe(before + 1);
  });

  it('unbounded recursion: a stack-overflow trap, not a crash', async () => {
    const result = await backend.execute({
      language: 'wat',
      code: '(module (func $f (export "_start") (call $f)))',
    });
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('trap:stack_overflow');
  });

  it('memory.grow in a loop: growth stops at the cap and the trap is memory_limit', async () => {
    const result = await backend.execute({
      language: 'wat',
      code: `(module (memory 1)
        (func (export "_start")
          (loop $grow
            (br_if $grow (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
          unreachable))`,
      limits: { memoryBytes: 32 * MiB },
    });
    expect(result.status).toBe('memory_limit');
    expect(result.error?.limit).toMatchObject({ name: 'memoryBytes', allowed: 32 * MiB });
    expect(result.memoryPeakBytes).toBeLessThanOrEqual(32 * MiB);
    expect(result.memoryPeakBytes).toBeGreaterThan(30 * MiB);
  });

  it('memory.grow that ignores failure keeps running inside its cap until the deadline', async () => {
    const result = await backend.execute({
      language: 'wat',
      code: `(module (memory 1) (func (export "_start") (loop $l (drop (memory.grow (i32.const 1))) (br $l))))`,
      limits: { memoryBytes: 8 * MiB, timeoutMs: 300, fuel: 1e15 },
    });
    expect(result.status).toBe('timeout');
  });

  it('a module declaring 1 GiB of memory (with a data segment at the end) is refused before it starts', async () => {
    const result = await backend.execute({
      language: 'wat',
      code: `(module (memory 16385) (data (i32.const 1073741824) "x") (func (export "_start")))`,
    });
    expect(result.status).toBe('memory_limit');
    expect(result.error?.message).toMatch(/initial memory \(16385 pages/);
  });

  it('a data segment past the end of a small memory is a clean error', async () => {
    const result = await backend.execute({
      language: 'wat',
      code: `(module (memory 1) (data (i32.const 1073741824) "x") (func (export "_start")))`,
    });
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('trap:out_of_bounds');
  });

  it('an imported memory is capped too', async () => {
    const result = await backend.execute({
      language: 'wat',
      code: `(module (import "env" "memory" (memory 1))
        (func (export "_start") (loop $g (br_if $g (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable))`,
      limits: { memoryBytes: 4 * MiB },
    });
    expect(result.status).toBe('memory_limit');
    expect(result.memoryPeakBytes).toBe(4 * MiB);
  });

  it('stdout flood: cut at the cap, output_limit', async () => {
    const result = await backend.execute({
      language: 'wat',
      code: `(module ${PRELUDE} (func (export "_start") (loop $l (call $print (i32.const 0) (i32.const 4096)) (br $l))))`,
      limits: { maxOutputBytes: 10_000 },
    });
    expect(result.status).toBe('output_limit');
    expect(result.truncated).toBe(true);
    expect(Buffer.byteLength(result.stdout)).toBe(10_000);
  });

  it('imports the host does not offer: a clear link error, nothing runs', async () => {
    const result = await backend.execute({
      language: 'wat',
      code: `(module (import "env" "system" (func $system (param i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
        (func (export "_start") (drop (call $system (i32.const 0)))))`,
    });
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('link');
    expect(result.error?.message).toContain('env.system (func)');
  });

  it('unknown WASI functions answer ENOSYS instead of reaching the host', async () => {
    const result = await backend.execute({
      language: 'wat',
      entry: 'probe',
      code: `(module (import "wasi_snapshot_preview1" "sock_open" (func $sock_open (param i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "sock_connect" (func $sock_connect (param i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "probe") (result i32 i32)
          (call $sock_open (i32.const 0) (i32.const 0) (i32.const 0))
          (call $sock_connect (i32.const 0) (i32.const 0) (i32.const 0))))`,
    });
    expect(result.status).toBe('ok');
    expect(result.value).toEqual([52, 52]);
  });

  it('malformed bytes: typed InvalidRequestError naming the code', async () => {
    const cases: Array<Uint8Array | string> = [
      new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]),
      new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0xff, 0xff]),
      new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 42, 0]),
      new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 10, 4, 1, 2, 0, 0xff]),
      'not base64 at all!',
    ];
    for (const code of cases) {
      const error = await backend.execute({ language: 'wasm', code }).catch((e: unknown) => e);
      expect(InvalidRequestError.isInstance(error), String(code)).toBe(true);
      expect((error as InvalidRequestError).field).toBe('code');
    }
    const wat = await backend
      .execute({ language: 'wat', code: '(module (func (export "_start") (i32.add)))' })
      .catch((e: unknown) => e);
    expect(InvalidRequestError.isInstance(wat)).toBe(true);
  });

  it('every WASI filesystem call with the filesystem denied answers NOTCAPABLE or BADF', async () => {
    const calls: Array<[string, string, string]> = [
      [
        'path_open',
        '(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)',
        '(i32.const 3) (i32.const 0) (i32.const 200) (i32.const 11) (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 300)',
      ],
      [
        'path_filestat_get',
        '(param i32 i32 i32 i32 i32) (result i32)',
        '(i32.const 3) (i32.const 0) (i32.const 200) (i32.const 11) (i32.const 300)',
      ],
      [
        'path_create_directory',
        '(param i32 i32 i32) (result i32)',
        '(i32.const 3) (i32.const 200) (i32.const 11)',
      ],
      [
        'path_remove_directory',
        '(param i32 i32 i32) (result i32)',
        '(i32.const 3) (i32.const 200) (i32.const 11)',
      ],
      [
        'path_unlink_file',
        '(param i32 i32 i32) (result i32)',
        '(i32.const 3) (i32.const 200) (i32.const 11)',
      ],
      [
        'path_rename',
        '(param i32 i32 i32 i32 i32 i32) (result i32)',
        '(i32.const 3) (i32.const 200) (i32.const 11) (i32.const 3) (i32.const 200) (i32.const 11)',
      ],
      [
        'path_link',
        '(param i32 i32 i32 i32 i32 i32 i32) (result i32)',
        '(i32.const 3) (i32.const 0) (i32.const 200) (i32.const 11) (i32.const 3) (i32.const 200) (i32.const 11)',
      ],
      [
        'path_symlink',
        '(param i32 i32 i32 i32 i32) (result i32)',
        '(i32.const 200) (i32.const 11) (i32.const 3) (i32.const 200) (i32.const 11)',
      ],
      [
        'path_readlink',
        '(param i32 i32 i32 i32 i32 i32) (result i32)',
        '(i32.const 3) (i32.const 200) (i32.const 11) (i32.const 400) (i32.const 10) (i32.const 300)',
      ],
      [
        'path_filestat_set_times',
        '(param i32 i32 i32 i32 i64 i64 i32) (result i32)',
        '(i32.const 3) (i32.const 0) (i32.const 200) (i32.const 11) (i64.const 0) (i64.const 0) (i32.const 0)',
      ],
      ['fd_prestat_get', '(param i32 i32) (result i32)', '(i32.const 3) (i32.const 300)'],
      [
        'fd_prestat_dir_name',
        '(param i32 i32 i32) (result i32)',
        '(i32.const 3) (i32.const 300) (i32.const 10)',
      ],
      [
        'fd_readdir',
        '(param i32 i32 i32 i64 i32) (result i32)',
        '(i32.const 3) (i32.const 400) (i32.const 100) (i64.const 0) (i32.const 300)',
      ],
      ['fd_filestat_get', '(param i32 i32) (result i32)', '(i32.const 3) (i32.const 300)'],
      [
        'fd_read',
        '(param i32 i32 i32 i32) (result i32)',
        '(i32.const 3) (i32.const 0) (i32.const 1) (i32.const 300)',
      ],
      [
        'fd_write',
        '(param i32 i32 i32 i32) (result i32)',
        '(i32.const 4) (i32.const 0) (i32.const 1) (i32.const 300)',
      ],
      [
        'fd_seek',
        '(param i32 i64 i32 i32) (result i32)',
        '(i32.const 3) (i64.const 0) (i32.const 0) (i32.const 300)',
      ],
      ['fd_close', '(param i32) (result i32)', '(i32.const 3)'],
      ['fd_fdstat_get', '(param i32 i32) (result i32)', '(i32.const 3) (i32.const 300)'],
    ];
    const imports = calls
      .map(([name, sig]) => `(import "wasi_snapshot_preview1" "${name}" (func $${name} ${sig}))`)
      .join('\n');
    const body = calls.map(([name, , args]) => `(call $${name} ${args})`).join('\n');
    const result = await backend.execute({
      language: 'wat',
      entry: 'probe',
      code: `(module ${imports}
        (memory (export "memory") 1)
        (data (i32.const 200) "/etc/passwd")
        (func (export "probe") (result ${calls.map(() => 'i32').join(' ')}) ${body}))`,
    });
    expect(result.status, JSON.stringify(result.error)).toBe('ok');
    const errnos = result.value as number[];
    expect(errnos).toHaveLength(calls.length);
    errnos.forEach((errno, i) => {
      expect([8, 76], calls[i]![0]).toContain(errno);
    });
    expect(result.files).toBeUndefined();
  });

  it('allowConsole: false means no stdout: fd_write answers EBADF and nothing is captured', async () => {
    const result = await backend.execute({
      language: 'wat',
      entry: 'write',
      policy: { allowConsole: false },
      code: `(module (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1) (data (i32.const 64) "secret")
        (func (export "write") (result i32)
          (i32.store (i32.const 0) (i32.const 64)) (i32.store (i32.const 4) (i32.const 6))
          (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))`,
    });
    expect(result).toMatchObject({ status: 'ok', value: 8, stdout: '' });
  });

  it('a cancelled execution stops its worker and reports cancelled', async () => {
    const controller = new AbortController();
    const pending = backend.execute({
      language: 'wat',
      code: '(module (func (export "_start") (loop $l (br $l))))',
      limits: { timeoutMs: 10_000 },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const result = await pending;
    expect(result.status).toBe('cancelled');
    expect(performance.now() - started).toBeLessThan(9_000); // well before the 10 s deadline
  });
});
