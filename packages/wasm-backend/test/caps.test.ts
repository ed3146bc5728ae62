// Everything a module can make the host hold, capped: tables, the in-memory filesystem (bytes,
// sparse extents, entries, path length), returned files. After each attack the host must be alive.
import { readFileSync } from 'node:fs';
import { componentNew, preview1AdapterCommandPath } from '@bytecodealliance/jco';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/index.js';
import { compileWat } from '../src/wat-compiler.js';
import { printer } from './fixtures/wat.js';

const MiB = 1024 * 1024;
const backend = new WasmBackend({ maxConcurrency: 2 });
afterAll(() => backend.close());
afterEach(async () => {
  const next = await backend.execute({ language: 'wat', code: printer('still alive') });
  expect(next.status).toBe('ok');
});

const TABLE_BOMB = `(module (table 10000000 funcref) (table 10000000 funcref) (table 10000000 funcref)
  (func (export "_start")))`;

describe('tables', () => {
  it('three 10,000,000-element tables: memory_limit before instantiation, the host survives', async () => {
    const result = await backend.execute({ language: 'wat', code: TABLE_BOMB });
    expect(result.status).toBe('memory_limit');
    expect(result.error?.message).toMatch(/30000000 elements.*maxTableElements/);
  });

  it('the same tables inside a component', async () => {
    const adapter = readFileSync(preview1AdapterCommandPath());
    const core = await compileWat(`(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (table 10000000 funcref) (table 10000000 funcref) (table 10000000 funcref)
      (func (export "_start")))`);
    const bytes = await componentNew(core, [['wasi_snapshot_preview1', adapter]]);
    const result = await backend.execute({ language: 'wasm', code: bytes });
    expect(result.status).toBe('memory_limit');
  });

  it('table.grow stops at the cap inside the module (returns -1)', async () => {
    const result = await backend.execute({
      language: 'wat',
      code: `(module (table $t 1 funcref)
        (func (export "grow") (result i32)
          (loop $l (br_if $l (i32.ne (table.grow $t (ref.null func) (i32.const 100000)) (i32.const -1))))
          (table.size $t)))`,
      entry: 'grow',
    });
    expect(result.status).toBe('ok');
    expect(result.value).toBeGreaterThan(900_000);
    expect(result.value).toBeLessThanOrEqual(1_000_000);
  });

  it('a smaller table cap is honoured and named', async () => {
    const small = new WasmBackend({ maxConcurrency: 1, maxTableElements: 1000 });
    try {
      const result = await small.execute({
        language: 'wat',
        code: '(module (table 1001 funcref) (func (export "_start")))',
      });
      expect(result.status).toBe('memory_limit');
      const fits = await small.execute({
        language: 'wat',
        code: '(module (table 1000 funcref) (func (export "_start")))',
      });
      expect(fits.status).toBe('ok');
    } finally {
      await small.close();
    }
  });
});

/** WASI filesystem imports and helpers: $open(ptr, len) -> fd (or exits with the errno). */
const FS = `
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (func $check (param $errno i32) (if (local.get $errno) (then (call $exit (local.get $errno)))))
  ;; opens (creating) the file named at [ptr, ptr+len) for writing; its fd lands at 16
  (func $open (param $ptr i32) (param $len i32) (result i32)
    (call $check (call $path_open (i32.const 3) (i32.const 0) (local.get $ptr) (local.get $len)
      (i32.const 1) (i64.const 0x7fffffff) (i64.const 0x7fffffff) (i32.const 0) (i32.const 16)))
    (i32.load (i32.const 16)))
  ;; writes [ptr, ptr+len) to fd, returns the errno
  (func $write (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))`;

const fsRun = (wat: string, extra: object = {}) =>
  backend.execute({ language: 'wat', code: wat, policy: { allowFilesystem: true }, ...extra });

describe('the in-memory filesystem', () => {
  it('fd_seek to 256 MiB and a 1-byte write: ENOSPC, nothing allocated', async () => {
    const result = await fsRun(`(module ${FS} (memory (export "memory") 1)
      (data (i32.const 100) "big")
      (func (export "_start") (local $fd i32)
        (local.set $fd (call $open (i32.const 100) (i32.const 3)))
        (call $check (call $fd_seek (local.get $fd) (i64.const 268435456) (i32.const 0) (i32.const 24)))
        (call $exit (call $write (local.get $fd) (i32.const 100) (i32.const 1)))))`);
    expect(result.exitCode).toBe(51); // NOSPC
    expect(result.files?.['/big']?.length ?? 0).toBe(0);
  });

  it('repeated 16 MiB writes stop at the 64 MiB cap; returned files stay within maxOutputBytes', async () => {
    const result = await fsRun(
      `(module ${FS} (memory (export "memory") 257)
      (data (i32.const 100) "f")
      (func (export "_start") (local $fd i32) (local $i i32) (local $errno i32)
        (local.set $fd (call $open (i32.const 100) (i32.const 1)))
        (loop $l
          (local.set $errno (call $write (local.get $fd) (i32.const 65536) (i32.const 16777216)))
          (if (local.get $errno) (then (call $exit (i32.add (i32.const 1000) (local.get $i)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 40))))))`,
      { limits: { memoryBytes: 64 * MiB } },
    );
    expect(result.exitCode).toBe(1004); // four writes fit 64 MiB, the fifth is refused
    expect(result.truncated).toBe(true);
    expect(result.files).toEqual({});
  });

  it('creating files in a loop stops at the entry cap', async () => {
    const result = await fsRun(`(module ${FS} (memory (export "memory") 1)
      (func (export "_start") (local $i i32) (local $errno i32)
        (loop $l
          ;; the name: four letters a..p from the counter's nibbles
          (i32.store8 (i32.const 100) (i32.add (i32.const 97) (i32.and (local.get $i) (i32.const 15))))
          (i32.store8 (i32.const 101) (i32.add (i32.const 97) (i32.and (i32.shr_u (local.get $i) (i32.const 4)) (i32.const 15))))
          (i32.store8 (i32.const 102) (i32.add (i32.const 97) (i32.and (i32.shr_u (local.get $i) (i32.const 8)) (i32.const 15))))
          (i32.store8 (i32.const 103) (i32.add (i32.const 97) (i32.and (i32.shr_u (local.get $i) (i32.const 12)) (i32.const 15))))
          (local.set $errno (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 4)
            (i32.const 1) (i64.const 0x7fffffff) (i64.const 0x7fffffff) (i32.const 0) (i32.const 16)))
          (if (local.get $errno) (then (call $exit (local.get $errno))))
          ;; closed at once: the entry cap, not the open-descriptor cap, is what this loop meets
          (drop (call $fd_close (i32.load (i32.const 16))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 65535))))))`);
    expect(result.exitCode).toBe(51);
    expect(Object.keys(result.files ?? {}).length).toBeLessThan(10_000);
  });

  it('opening without closing stops at 1,024 open descriptors (EMFILE)', async () => {
    const result = await fsRun(`(module ${FS} (memory (export "memory") 1)
      (data (i32.const 100) "f")
      (func (export "_start") (local $errno i32)
        (loop $l
          (local.set $errno (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 1)
            (i32.const 1) (i64.const 0x7fffffff) (i64.const 0x7fffffff) (i32.const 0) (i32.const 16)))
          (if (local.get $errno) (then (call $exit (local.get $errno))))
          (br $l))))`);
    expect(result.exitCode).toBe(33);
  });

  it('a path longer than 4,096 bytes is ENAMETOOLONG', async () => {
    const result = await fsRun(`(module ${FS} (memory (export "memory") 1)
      (func (export "_start")
        (memory.fill (i32.const 100) (i32.const 97) (i32.const 5000))
        (call $exit (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 5000)
          (i32.const 1) (i64.const 0x7fffffff) (i64.const 0x7fffffff) (i32.const 0) (i32.const 16)))))`);
    expect(result.exitCode).toBe(37);
  });

  it('fd_readdir with cookie -1 answers an empty read, not a host exception', async () => {
    const result = await fsRun(`(module ${FS} (memory (export "memory") 1)
      (data (i32.const 100) "x")
      (func (export "_start")
        (drop (call $open (i32.const 100) (i32.const 1)))
        (call $check (call $fd_readdir (i32.const 3) (i32.const 200) (i32.const 256) (i64.const -1) (i32.const 24)))
        (call $exit (i32.add (i32.const 100) (i32.load (i32.const 24))))))`);
    expect(result.exitCode).toBe(100);
  });
});
