import { describe, expect, it } from 'vitest';
import { compileWat } from '../wat-compiler.js';
import { Errno, OutputLimitExceeded, ProcExit } from './errno.js';
import { type WasiHostOptions, WasiPreview1Host } from './wasi-preview1-host.js';

const WASI = 'wasi_snapshot_preview1';

function host(options: Partial<WasiHostOptions> = {}) {
  return new WasiPreview1Host({
    args: ['prog'],
    env: {},
    stdin: new TextEncoder().encode('ping'),
    maxOutputBytes: 1024,
    allowConsole: true,
    deterministic: true,
    ...options,
  });
}

/** Instantiates `wat` against `wasi`, binds its exported memory, runs `_start`; returns the exit code. */
async function run(wasi: WasiPreview1Host, wat: string): Promise<number> {
  const module = new WebAssembly.Module((await compileWat(wat)) as Uint8Array<ArrayBuffer>);
  const names = WebAssembly.Module.imports(module).map((i) => i.name);
  const instance = new WebAssembly.Instance(module, { [WASI]: wasi.imports(names) });
  wasi.bind(instance.exports.memory as WebAssembly.Memory);
  try {
    (instance.exports._start as () => void)();
    return 0;
  } catch (error) {
    if (error instanceof ProcExit) return error.code;
    throw error;
  }
}

describe('WasiPreview1Host', () => {
  it('runs a real module: stdin echoed to stdout, a file written, an exit code', async () => {
    const wasi = host({ files: {} });
    const code = await run(
      wasi,
      `(module
        (import "${WASI}" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
        (import "${WASI}" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
        (import "${WASI}" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
        (import "${WASI}" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (data (i32.const 200) "out.txt")
        (func (export "_start")
          (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 16))
          (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
          (i32.store (i32.const 4) (i32.load (i32.const 8)))
          (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
          (drop (call $open (i32.const 3) (i32.const 0) (i32.const 200) (i32.const 7) (i32.const 1)
            (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 12)))
          (drop (call $write (i32.load (i32.const 12)) (i32.const 0) (i32.const 1) (i32.const 8)))
          (call $exit (i32.const 7))))`,
    );
    expect(code).toBe(7);
    expect(wasi.stdoutText()).toBe('ping');
    expect(wasi.fs?.writtenFiles()).toEqual({
      files: { '/out.txt': new TextEncoder().encode('ping') },
      truncated: false,
    });
  });

  it('answers ENOSYS for unknown names, Object.prototype names included', async () => {
    const wasi = host();
    const names = ['no_such_call', 'constructor', '__proto__', 'valueOf', 'toString', 'hasOwnProperty'];
    const imports = wasi.imports(names);
    expect(Object.keys(imports)).toEqual(names);
    for (const name of names) expect(imports[name]!(), name).toBe(Errno.NOSYS);
    const code = await run(
      wasi,
      `(module
        (import "${WASI}" "valueOf" (func $v (result i32)))
        (import "${WASI}" "__proto__" (func $p (result i32)))
        (import "${WASI}" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start") (call $exit (i32.add (call $v) (call $p)))))`,
    );
    expect(code).toBe(2 * Errno.NOSYS);
  });

  it('shares one state between import objects (one per WASI namespace)', () => {
    const wasi = host();
    const memory = new WebAssembly.Memory({ initial: 1 });
    wasi.bind(memory);
    const view = new DataView(memory.buffer);
    view.setUint32(0, 100, true);
    view.setUint32(4, 2, true);
    const [a, b] = [wasi.imports(['fd_read']), wasi.imports(['fd_read'])];
    a.fd_read!(...([0, 0, 1, 8] as never[]));
    b.fd_read!(...([0, 0, 1, 8] as never[]));
    expect(new TextDecoder().decode(new Uint8Array(memory.buffer, 100, 2))).toBe('ng');
  });

  it('reports output and result truncation', () => {
    const wasi = host({ maxOutputBytes: 4, resultFd: 9, maxResultBytes: 2 });
    const memory = new WebAssembly.Memory({ initial: 1 });
    wasi.bind(memory);
    new Uint8Array(memory.buffer).set(new TextEncoder().encode('abcdef'), 100);
    new DataView(memory.buffer).setUint32(0, 100, true);
    new DataView(memory.buffer).setUint32(4, 6, true);
    const { fd_write } = wasi.imports(['fd_write']) as Record<string, (...args: number[]) => number>;
    expect(wasi.resultText()).toBeUndefined();
    expect(fd_write!(9, 0, 1, 8)).toBe(Errno.SUCCESS);
    expect([wasi.resultText(), wasi.resultTruncated]).toEqual(['ab', true]);
    expect(() => fd_write!(1, 0, 1, 8)).toThrow(OutputLimitExceeded);
    expect([wasi.stdoutText(), wasi.stderrText(), wasi.truncated]).toEqual(['abcd', '', true]);
  });

  it('answers EFAULT, not a host exception, when called before bind()', () => {
    const wasi = host();
    const { args_sizes_get, sched_yield } = wasi.imports(['args_sizes_get', 'sched_yield']);
    expect(args_sizes_get!(...([0, 4] as never[]))).toBe(Errno.FAULT);
    expect(sched_yield!()).toBe(Errno.SUCCESS);
  });
});

describe('no input makes a call throw into the host', () => {
  // Arguments a hostile module would pick: the edges of i32 and i64, small descriptors, near-end pointers.
  const I32 = [0, 1, 3, 4, 8, 24, 64, 65_535, 65_536, 65_530, -1, -8, 2 ** 31 - 1, -(2 ** 31), 0x1000_0000];
  const I64 = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 40n, 100n];

  it('returns an errno (or ends the run with ProcExit / OutputLimitExceeded) for every call and argument', () => {
    let seed = 0x2545f491;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const wasi = host({ files: { 'a/b': 'hello' }, maxOutputBytes: 1 << 20, resultFd: 7 });
    const memory = new WebAssembly.Memory({ initial: 1 });
    wasi.bind(memory);
    const table = wasi.imports(FUNCTIONS.map(([name]) => name));
    let calls = 0;
    for (let round = 0; round < 400; round++) {
      // memory full of plausible pointers and lengths, so iovecs and structs point somewhere
      const view = new DataView(memory.buffer);
      for (let at = 0; at < 4096; at += 4) view.setInt32(at, pick(I32), true);
      for (const [name, signature] of FUNCTIONS) {
        const args = [...signature].map((kind) => (kind === 'j' ? pick(I64) : pick(I32)));
        calls++;
        try {
          const result = table[name]!(...(args as never[]));
          expect(typeof result, `${name}(${args.join(', ')})`).toBe('number');
        } catch (error) {
          const expected = error instanceof ProcExit || error instanceof OutputLimitExceeded;
          expect(expected, `${name}(${args.join(', ')}) threw ${String(error)}`).toBe(true);
        }
      }
    }
    expect(calls).toBe(400 * FUNCTIONS.length);
  });
});

/** Every implemented call with its signature: `i` an i32 argument, `j` an i64. */
const FUNCTIONS: Array<[string, string]> = [
  ['args_get', 'ii'],
  ['args_sizes_get', 'ii'],
  ['environ_get', 'ii'],
  ['environ_sizes_get', 'ii'],
  ['clock_res_get', 'ii'],
  ['clock_time_get', 'iji'],
  ['random_get', 'ii'],
  ['sched_yield', ''],
  ['proc_exit', 'i'],
  ['proc_raise', 'i'],
  ['poll_oneoff', 'iiii'],
  ['fd_write', 'iiii'],
  ['fd_read', 'iiii'],
  ['fd_pread', 'iiiji'],
  ['fd_pwrite', 'iiiji'],
  ['fd_seek', 'ijii'],
  ['fd_tell', 'ii'],
  ['fd_close', 'i'],
  ['fd_fdstat_get', 'ii'],
  ['fd_fdstat_set_flags', 'ii'],
  ['fd_fdstat_set_rights', 'ijj'],
  ['fd_prestat_get', 'ii'],
  ['fd_prestat_dir_name', 'iii'],
  ['fd_sync', 'i'],
  ['fd_datasync', 'i'],
  ['fd_advise', 'ijji'],
  ['fd_allocate', 'ijj'],
  ['fd_filestat_get', 'ii'],
  ['fd_filestat_set_size', 'ij'],
  ['fd_filestat_set_times', 'ijji'],
  ['fd_readdir', 'iiiji'],
  ['fd_renumber', 'ii'],
  ['path_open', 'iiiiijjii'],
  ['path_filestat_get', 'iiiii'],
  ['path_filestat_set_times', 'iiiijji'],
  ['path_create_directory', 'iii'],
  ['path_remove_directory', 'iii'],
  ['path_unlink_file', 'iii'],
  ['path_rename', 'iiiiii'],
  ['path_link', 'iiiiiii'],
  ['path_symlink', 'iiiii'],
  ['path_readlink', 'iiiiii'],
  ['sock_accept', 'iii'],
  ['sock_recv', 'iiiiii'],
  ['sock_send', 'iiiii'],
  ['sock_shutdown', 'ii'],
];

describe('wasi_unstable (preview 0)', () => {
  it("takes fd_seek's whence in preview 0's order and does not offer preview 1's filestat layout", () => {
    const wasi = host({ files: { '/a': 'hello' } });
    const memory = new WebAssembly.Memory({ initial: 1 });
    wasi.bind(memory);
    const view = new DataView(memory.buffer);
    new Uint8Array(memory.buffer).set(new TextEncoder().encode('a'), 100);
    type Fn = (...args: Array<number | bigint>) => number;
    const p0 = wasi.imports(['path_open', 'fd_seek', 'fd_filestat_get'], 'wasi_unstable') as Record<
      string,
      Fn
    >;
    const rights = 0x1fffffffn;
    expect(p0.path_open!(3, 0, 100, 1, 0, rights, rights, 0, 8)).toBe(Errno.SUCCESS);
    const fd = view.getUint32(8, true);
    const seek = (offset: bigint, whence: number) => {
      expect(p0.fd_seek!(fd, offset, whence, 16)).toBe(Errno.SUCCESS);
      return view.getBigUint64(16, true);
    };
    expect(seek(2n, 2)).toBe(2n); // preview 0 SET
    expect(seek(1n, 0)).toBe(3n); // preview 0 CUR
    expect(seek(0n, 1)).toBe(5n); // preview 0 END
    expect(p0.fd_seek!(fd, 0n, 3, 16)).toBe(Errno.INVAL);
    expect(p0.fd_filestat_get!(fd, 32)).toBe(Errno.NOSYS);
    // the same host under preview 1 keeps preview 1's order
    const p1 = wasi.imports(['fd_seek'], WASI) as Record<string, Fn>;
    expect(p1.fd_seek!(fd, 1n, 0, 16)).toBe(Errno.SUCCESS);
    expect(view.getBigUint64(16, true)).toBe(1n);
  });
});
