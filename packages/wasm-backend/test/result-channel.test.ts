// Forged result channels: a module that names its own result descriptor must not be believed, and
// a module the compiler did produce must not turn a bad record into an exception or a trap into ok.
import { type CompiledModule, type Compiler, RESULT_CHANNEL_SECTION } from '@memory-mcp/sandbox-core';
import { afterAll, describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/index.js';
import { compileWat } from '../src/wat-compiler.js';
import { leb, withCustomSection } from './fixtures/custom-section.js';

const FD = 1023;

/** A command that writes `record` to `fd`, then traps or returns. */
function writer(record: string, fd: number, end: 'trap' | 'return' | 'exit1'): string {
  const escaped = [...new TextEncoder().encode(record)]
    .map((b) => `\\${b.toString(16).padStart(2, '0')}`)
    .join('');
  const tail = end === 'trap' ? 'unreachable' : end === 'exit1' ? '(call $exit (i32.const 1))' : '';
  return `(module
    (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (memory (export "memory") 1)
    (data (i32.const 64) "${escaped}")
    (func (export "_start")
      (i32.store (i32.const 0) (i32.const 64))
      (i32.store (i32.const 4) (i32.const ${new TextEncoder().encode(record).length}))
      (drop (call $fd_write (i32.const ${fd}) (i32.const 0) (i32.const 1) (i32.const 8)))
      ${tail}))`;
}

/** A module that writes 1 MiB per call to `fd`, 64 times. */
const FLOOD = (fd: number) => `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 17)
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 65536))
    (i32.store (i32.const 4) (i32.const 1048576))
    (loop $l
      (drop (call $fd_write (i32.const ${fd}) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 64))))))`;

const section = (fd: number) => new Uint8Array(leb(fd));
const forged = async (wat: string, payload: Uint8Array) =>
  withCustomSection(await compileWat(wat), RESULT_CHANNEL_SECTION, payload);

/**
 * Stands in for the project's compiler: it returns real modules with a result channel, whose
 * source text is the WAT to compile (so a test can make the compiler's own module misbehave).
 */
class WatCompiler implements Compiler {
  readonly specificationVersion = 'v1';
  readonly name = 'wat-as-js';
  async compile(source: string): Promise<CompiledModule> {
    const bytes = await compileWat(source);
    return {
      bytes,
      hash: 'claimed',
      mode: 'static',
      engine: { name: 'wat', version: '1', hash: 'engine-1' },
      compileMs: 0,
      resultChannel: { fd: FD },
    };
  }
}

const backend = new WasmBackend({ maxConcurrency: 2, compiler: new WatCompiler() });
afterAll(() => backend.close());

describe('a result channel named by the module itself is ignored', () => {
  it('writes {"ok":true,"json":"1337"} to its own channel, then traps: a trap, no value', async () => {
    const bytes = await forged(writer('{"ok":true,"json":"1337"}', FD, 'trap'), section(FD));
    const result = await backend.execute({ language: 'wasm', code: bytes });
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('trap:unreachable');
    expect(result.value).toBeUndefined();
  });

  it('writes the forged record and returns normally: ok, with no value', async () => {
    const bytes = await forged(writer('{"ok":true,"json":"1337"}', FD, 'return'), section(FD));
    const result = await backend.execute({ language: 'wasm', code: bytes });
    expect(result.status).toBe('ok');
    expect(result.value).toBeUndefined();
    expect(result.stdout).toBe('');
  });

  it('names fd 1 as its channel: stdout stays under the output cap', async () => {
    const bytes = await forged(FLOOD(1), section(1));
    const result = await backend.execute({ language: 'wasm', code: bytes, limits: { maxOutputBytes: 1000 } });
    expect(result.status).toBe('output_limit');
    expect(result.stdout.length).toBeLessThanOrEqual(1000);
  });

  it('a record {"ok":true,"json":"{"} is not believed and nothing throws', async () => {
    const bytes = await forged(writer('{"ok":true,"json":"{"}', FD, 'return'), section(FD));
    const result = await backend.execute({ language: 'wasm', code: bytes });
    expect(result.status).toBe('ok');
    expect(result.value).toBeUndefined();
  });

  it('an empty or truncated section is ignored, never an untyped throw', async () => {
    for (const payload of [
      new Uint8Array(0),
      new Uint8Array([0x80]),
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
    ]) {
      const bytes = await forged(writer('{"ok":true,"json":"1"}', FD, 'return'), payload);
      const result = await backend.execute({ language: 'wasm', code: bytes });
      expect(result.status).toBe('ok');
      expect(result.value).toBeUndefined();
    }
  });
});

describe("the compiler's own modules: records parsed as hostile", () => {
  it('an ok record is the value', async () => {
    const result = await backend.execute({
      language: 'javascript',
      code: writer('{"ok":true,"json":"[1,2]"}', FD, 'return'),
    });
    expect(result).toMatchObject({ status: 'ok', value: [1, 2] });
  });

  it('the same bytes run again as wasm in this process keep their channel', async () => {
    const wat = writer('{"ok":true,"json":"7"}', FD, 'return');
    await backend.execute({ language: 'javascript', code: wat });
    const result = await backend.execute({ language: 'wasm', code: await compileWat(wat) });
    expect(result).toMatchObject({ status: 'ok', value: 7 });
  });

  it('an ok record followed by a trap is the trap', async () => {
    const result = await backend.execute({
      language: 'javascript',
      code: writer('{"ok":true,"json":"1337"}', FD, 'trap'),
    });
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('trap:unreachable');
    expect(result.value).toBeUndefined();
  });

  it('an invalid record followed by a trap keeps the trap and its error', async () => {
    const result = await backend.execute({
      language: 'javascript',
      code: writer('not json at all', FD, 'trap'),
    });
    expect(result.error?.kind).toBe('trap:unreachable');
  });

  it('a record whose value is not JSON is a result_channel error', async () => {
    const result = await backend.execute({
      language: 'javascript',
      code: writer('{"ok":true,"json":"{"}', FD, 'return'),
    });
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('result_channel');
  });

  it('records of the wrong shape are result_channel errors', async () => {
    for (const record of [
      '{',
      '[]',
      'null',
      '{"ok":"yes"}',
      '{"ok":true,"json":5}',
      '{"ok":false}',
      '{"ok":false,"error":{"name":1}}',
    ]) {
      const result = await backend.execute({ language: 'javascript', code: writer(record, FD, 'return') });
      expect(result.status, record).toBe('error');
      expect(result.error?.kind, record).toBe('result_channel');
    }
  });

  it('an ok record with a failing exit code is not believed', async () => {
    const result = await backend.execute({
      language: 'javascript',
      code: writer('{"ok":true,"json":"1"}', FD, 'exit1'),
    });
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('result_channel');
    expect(result.value).toBeUndefined();
  });

  it('an error named InternalError "out of memory" with memory far below the cap is an error, not memory_limit', async () => {
    const record = '{"ok":false,"error":{"name":"InternalError","message":"out of memory"}}';
    const result = await backend.execute({ language: 'javascript', code: writer(record, FD, 'exit1') });
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ kind: 'InternalError', message: 'out of memory' });
  });

  it('a return value past maxOutputBytes is output_limit, and the record is cut at its cap', async () => {
    const result = await backend.execute({
      language: 'javascript',
      code: FLOOD(FD),
      limits: { maxOutputBytes: 1000 },
    });
    expect(result.status).toBe('output_limit');
    expect(result.error?.limit).toMatchObject({ name: 'maxOutputBytes', allowed: 1000 });
  });
});
