import { afterAll, describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/index.js';
import { compileWat } from '../src/wat-compiler.js';
import { PRELUDE, printer } from './fixtures/wat.js';

const backend = new WasmBackend({ maxConcurrency: 4 });
afterAll(() => backend.close());

const WASI_ARGS_ENV = `
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; prints the buffer [1024, 1024+size) filled by *_get, NULs turned into newlines
  (func $dump (param $size i32) (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $size)))
      (if (i32.eqz (i32.load8_u (i32.add (i32.const 1024) (local.get $i))))
        (then (i32.store8 (i32.add (i32.const 1024) (local.get $i)) (i32.const 10))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (local.get $size))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))`;

describe('WasmBackend', () => {
  it('runs a module given as bytes or base64 and reports where it ran', async () => {
    const bytes = await compileWat(printer('from bytes'));
    const fromBytes = await backend.execute({ language: 'wasm', code: bytes });
    expect(fromBytes).toMatchObject({ status: 'ok', stdout: 'from bytes\n', backend: 'wasm', exitCode: 0 });
    const fromBase64 = await backend.execute({
      language: 'wasm',
      code: Buffer.from(bytes).toString('base64'),
    });
    expect(fromBase64.stdout).toBe('from bytes\n');
  });

  it('calls a named entry with numeric args, i64 included, and reports its return values', async () => {
    const code = `(module
      (func (export "mul64") (param i64 i64) (result i64) (i64.mul (local.get 0) (local.get 1)))
      (func (export "divmod") (param i32 i32) (result i32 i32)
        (i32.div_u (local.get 0) (local.get 1)) (i32.rem_u (local.get 0) (local.get 1)))
      (func (export "half") (param f64) (result f64) (f64.mul (local.get 0) (f64.const 0.5))))`;
    expect(
      (await backend.execute({ language: 'wat', code, entry: 'mul64', input: [3_000_000, 5_000_000] })).value,
    ).toBe(15_000_000_000_000);
    expect((await backend.execute({ language: 'wat', code, entry: 'divmod', input: [17, 5] })).value).toEqual(
      [3, 2],
    );
    expect((await backend.execute({ language: 'wat', code, entry: 'half', input: [5] })).value).toBe(2.5);
    const divByZero = await backend.execute({ language: 'wat', code, entry: 'divmod', input: [1, 0] });
    expect(divByZero.error?.kind).toBe('trap:integer_divide_by_zero');
  });

  it('rejects bad entry requests with the field named', async () => {
    const code = '(module (func (export "f") (param i32) (result i32) (local.get 0)))';
    await expect(backend.execute({ language: 'wat', code, entry: 'nope' })).rejects.toMatchObject({
      field: 'entry',
    });
    await expect(backend.execute({ language: 'wat', code, entry: 'f', input: ['x'] })).rejects.toMatchObject({
      field: 'input',
    });
    await expect(backend.execute({ language: 'wat', code, entry: 'f', input: [1, 2] })).rejects.toMatchObject(
      {
        field: 'input',
      },
    );
    await expect(backend.execute({ language: 'wat', code })).rejects.toMatchObject({ field: 'entry' });
    await expect(backend.execute({ language: 'javascript', code: '1' })).rejects.toMatchObject({
      field: 'language',
    });
  });

  it('proc_exit ends the run with its exit code', async () => {
    const code = (
      n: number,
    ) => `(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (func (export "_start") (call $exit (i32.const ${n})) unreachable))`;
    expect(await backend.execute({ language: 'wat', code: code(0) })).toMatchObject({
      status: 'ok',
      exitCode: 0,
    });
    const failed = await backend.execute({ language: 'wat', code: code(3) });
    expect(failed).toMatchObject({ status: 'error', exitCode: 3, error: { kind: 'exit' } });
  });

  it('gives the code only the args and env the request passes, never the host environment', async () => {
    process.env.MEMORY_MCP_HOST_SECRET = 'hunter2';
    const argsCode = `(module ${WASI_ARGS_ENV}
      (func (export "_start") (drop (call $args_sizes (i32.const 16) (i32.const 20)))
        (drop (call $args_get (i32.const 512) (i32.const 1024))) (call $dump (i32.load (i32.const 20)))))`;
    const envCode = `(module ${WASI_ARGS_ENV}
      (func (export "_start") (drop (call $env_sizes (i32.const 16) (i32.const 20)))
        (drop (call $env_get (i32.const 512) (i32.const 1024))) (call $dump (i32.load (i32.const 20)))))`;
    const args = await backend.execute({ language: 'wat', code: argsCode, args: ['--flag', 'two words'] });
    expect(args.stdout).toBe('main.wasm\n--flag\ntwo words\n');
    const env = await backend.execute({ language: 'wat', code: envCode, env: { GREETING: 'hi' } });
    expect(env.stdout).toBe('GREETING=hi\n');
    const none = await backend.execute({ language: 'wat', code: envCode });
    expect(none.stdout).toBe('');
    const denied = await backend.execute({
      language: 'wat',
      code: envCode,
      env: { A: 'b' },
      policy: { allowEnv: false },
    });
    expect(denied.stdout).toBe('');
    delete process.env.MEMORY_MCP_HOST_SECRET;
  });

  it('clocks and randomness are real by default and fixed under policy.deterministic', async () => {
    const code = `(module
      (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
      (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "sample") (result i64 i64 i64)
        (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 0)))
        (drop (call $random (i32.const 8) (i32.const 16)))
        (i64.load (i32.const 0)) (i64.load (i32.const 8)) (i64.load (i32.const 16))))`;
    const run = (deterministic: boolean) =>
      backend.execute({ language: 'wat', code, entry: 'sample', policy: { deterministic } });
    const [a, b] = await Promise.all([run(true), run(true)]);
    expect(a.value).toEqual(b.value);
    const [c, d] = await Promise.all([run(false), run(false)]);
    expect((c.value as unknown[])[1]).not.toEqual((d.value as unknown[])[1]);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const realClock = BigInt((c.value as Array<number | string>)[0]!);
    expect(realClock > nowNs - 60_000_000_000n && realClock < nowNs + 60_000_000_000n).toBe(true);
  });

  it('with the filesystem allowed: reads seeded files, writes new ones, returns what it wrote', async () => {
    const code = `(module
      (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) "in.txt")
      (data (i32.const 110) "out/copy.txt")
      (data (i32.const 130) "../../etc/passwd")
      (func (export "_start") (local $n i32)
        ;; open in.txt for reading, read up to 256 bytes at 1024
        (if (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 6) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 40))
          (then unreachable))
        (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 256))
        (drop (call $read (i32.load (i32.const 40)) (i32.const 0) (i32.const 1) (i32.const 44)))
        (local.set $n (i32.load (i32.const 44)))
        ;; create out/copy.txt (directory seeded by the request) and write what we read, twice
        (if (call $open (i32.const 3) (i32.const 0) (i32.const 110) (i32.const 12) (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 48))
          (then unreachable))
        (i32.store (i32.const 4) (local.get $n))
        (drop (call $write (i32.load (i32.const 48)) (i32.const 0) (i32.const 1) (i32.const 52)))
        (drop (call $write (i32.load (i32.const 48)) (i32.const 0) (i32.const 1) (i32.const 52)))
        (drop (call $close (i32.load (i32.const 48))))
        ;; escaping the preopen is refused with NOTCAPABLE (76)
        (if (i32.ne (call $open (i32.const 3) (i32.const 0) (i32.const 130) (i32.const 16) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 40)) (i32.const 76))
          (then unreachable))))`;
    const result = await backend.execute({
      language: 'wat',
      code,
      policy: { allowFilesystem: true },
      files: { 'in.txt': 'seeded!', 'out/.keep': '' },
    });
    expect(result.status, JSON.stringify(result.error)).toBe('ok');
    expect(Object.keys(result.files ?? {})).toEqual(['/out/copy.txt']);
    expect(Buffer.from(result.files!['/out/copy.txt']!).toString()).toBe('seeded!seeded!');
  });

  it('caches compiled modules by content hash', async () => {
    const code = printer('cached');
    const before = backend.stats();
    await backend.execute({ language: 'wat', code });
    await backend.execute({ language: 'wat', code });
    const after = backend.stats();
    expect(after.cacheMisses - before.cacheMisses).toBe(1);
    expect(after.cacheHits - before.cacheHits).toBe(1);
  });

  it('reads input as JSON on stdin for commands, and explicit stdin wins', async () => {
    const echo = `(module
      (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
      ${PRELUDE}
      (func (export "_start")
        (i32.store (i32.const 16) (i32.const 1024)) (i32.store (i32.const 20) (i32.const 4096))
        (drop (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)))
        (call $print (i32.const 1024) (i32.load (i32.const 24)))))`;
    expect((await backend.execute({ language: 'wat', code: echo, input: { a: [1, 2] } })).stdout).toBe(
      '{"a":[1,2]}',
    );
    expect((await backend.execute({ language: 'wat', code: echo, input: 1, stdin: 'raw' })).stdout).toBe(
      'raw',
    );
  });

  it('reports metrics', async () => {
    const stats = backend.stats();
    expect(stats.total).toBeGreaterThan(5);
    expect(stats.ok + stats.failed).toBe(stats.total);
    expect(stats.poolSize).toBe(4);
    expect(stats.avgRunMs).toBeGreaterThan(0);
    expect(stats.p95RunMs).toBeGreaterThanOrEqual(0);
    expect((await backend.health()).healthy).toBe(true);
  });
});

describe('WasmBackend health', () => {
  it('turns unhealthy when workers cannot run a trivial module, and each crash is an error result', async () => {
    const broken = new WasmBackend({
      maxConcurrency: 2,
      warmWorkers: 0,
      workerUrl: new URL('./fixtures/crashing-worker.mjs', import.meta.url),
    });
    try {
      for (let i = 0; i < 3; i++) {
        const result = await broken.execute({ language: 'wat', code: printer('x') });
        expect(result.status).toBe('error');
        expect(result.error).toMatchObject({
          kind: 'worker_crash',
          message: expect.stringMatching(/code 3/),
        });
      }
      const health = await broken.health();
      expect(health.healthy).toBe(false);
      expect(health.message).toMatch(/cannot run a trivial module/);
    } finally {
      await broken.close();
    }
  });

  it('five crashes that requests cause leave health() healthy', async () => {
    // The fixture is the real worker, except that it dies on a request whose stdin says so: the
    // stand-in for a request that kills its worker with its own resource use.
    const backend = new WasmBackend({
      maxConcurrency: 2,
      healthFreshMs: 0,
      workerUrl: new URL('./fixtures/crash-on-request-worker.mjs', import.meta.url),
    });
    try {
      for (let i = 0; i < 5; i++) {
        const result = await backend.execute({ language: 'wat', code: printer('x'), stdin: 'crash-me' });
        expect(result.status).toBe('error');
        expect(result.error?.kind).toBe('worker_crash');
      }
      expect(backend.stats().crashes).toBe(5);
      const health = await backend.health();
      expect(health).toMatchObject({ healthy: true });
    } finally {
      await backend.close();
    }
  });
});
