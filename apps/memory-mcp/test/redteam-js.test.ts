// Red team, round 2: hostile JavaScript on the wasm backend through the REAL compiler
// (@memory-mcp/javy-compiler in dynamic mode, loaded in the executor's workers), and the
// compile-for-storage path (`backend.compiler()`). It lives in the app, the one package that knows
// both the backend and the compiler. Each test asserts the promise that should hold; tests marked
// `Was a finding, now fixed` exposed a bug when written and now guard its fix.
import {
  CompileError,
  type ExecutionRequest,
  type ExecutionResult,
  InvalidRequestError,
} from '@memory-mcp/sandbox-core';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { javyCompilerModule } from '../src/javy-compiler-module.js';

const MiB = 1024 * 1024;
const COMPILER = {
  module: javyCompilerModule(),
  options: { mode: 'dynamic' },
};

const jsBackend = () => new WasmBackend({ executors: 1, executorCompiler: COMPILER });

/** Sleeps `ms` in poll_oneoff (holds its worker without depending on speed), then prints `done`. */
function sleeper(ms: number): string {
  return `(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "done\\n")
  (func (export "_start")
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const ${ms * 1_000_000}))
    (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))
    (i32.store (i32.const 300) (i32.const 512))
    (i32.store (i32.const 304) (i32.const 5))
    (drop (call $fd_write (i32.const 1) (i32.const 300) (i32.const 1) (i32.const 308)))))`;
}

async function settle(
  backend: WasmBackend,
  request: ExecutionRequest,
): Promise<ExecutionResult | { threw: unknown }> {
  try {
    return await backend.execute(request);
  } catch (error) {
    return { threw: error };
  }
}

/** Promise (1): a result, or a typed InvalidRequestError; never an untyped throw. */
function asResult(outcome: ExecutionResult | { threw: unknown }, what: string): ExecutionResult | undefined {
  if ('threw' in outcome) {
    expect(InvalidRequestError.isInstance(outcome.threw), `${what}: threw ${String(outcome.threw)}`).toBe(
      true,
    );
    return undefined;
  }
  expect(typeof outcome.status, what).toBe('string');
  return outcome;
}

const js = (code: string, limits: ExecutionRequest['limits'] = {}): ExecutionRequest => ({
  language: 'javascript',
  code,
  limits: { timeoutMs: 15_000, ...limits },
});

async function expectAlive(backend: WasmBackend, n = 21): Promise<void> {
  const next = await backend.execute(js(`console.log('alive'); return 1;`));
  expect(next.status).toBe('ok');
  const withInput = await backend.execute({ ...js('return input.n * 2;'), input: { n } });
  expect(withInput).toMatchObject({ status: 'ok', value: n * 2 });
}

// ---------------------------------------------------------------------------------------------
// Findings: each builds its own backend (they kill executors).
// ---------------------------------------------------------------------------------------------

describe('findings: JavaScript results', () => {
  it('a deeply nested return value is a result of its own run, not an executor crash that kills others', async () => {
    // Was a finding, now fixed: `return` of an array nested 5,000 deep (well inside the default 1 MiB output cap:
    // 10 KB of JSON) kills the executor. The worker hands the decoded value to the executor's main
    // thread, whose `send({ type: 'result', ... })` (src/executor/executor-main.ts:122) runs
    // `encodeFrameParts` (src/executor/frame-codec.ts:34): JSON.stringify with a replacer overflows
    // the stack near depth 3,000 ("Maximum call stack size exceeded"). The throw escapes the
    // `.then` handler as an unhandled rejection and the executor exits with code 1: the request
    // comes back as `error.kind: 'executor_crash'`, and every innocent run on that executor
    // (here a WAT run sleeping beside it) dies with it. Round 1 fixed the same overflow for request
    // *inputs* (host side); the executor-to-host direction for *outputs* is still open. Expected:
    // the value is refused (e.g. `result_channel` error or a description) for this run alone.
    const backend = jsBackend();
    try {
      await expectAlive(backend);
      const innocent = backend.execute({
        language: 'wat',
        code: sleeper(1500),
        limits: { timeoutMs: 20_000 },
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const deep = await backend.execute(js('let a = []; for (let i = 0; i < 5000; i++) a = [a]; return a;'));
      expect(deep.error?.kind).not.toBe('executor_crash');
      expect(['ok', 'error', 'output_limit']).toContain(deep.status);
      const other = await innocent;
      expect(other).toMatchObject({ status: 'ok', stdout: 'done\n' });
      expect(backend.stats().executorRestarts).toBe(0);
      await expectAlive(backend);
    } finally {
      await backend.close();
    }
  });
});

describe('JavaScript on the wasm backend (shared backend)', () => {
  let backend: WasmBackend;
  beforeAll(async () => {
    backend = jsBackend();
    await expectAlive(backend);
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('a return value is held to maxOutputBytes in bytes, as stdout is', async () => {
    // Was a finding, now fixed: 900 × '€' is 2,700 bytes of UTF-8 (2,702 bytes of JSON) but 902 UTF-16 code
    // units. With maxOutputBytes 1,000 the same text printed with console.log ends as
    // `output_limit` (the stdout counter counts bytes), but returned it comes back `ok` with the
    // whole string: src/result-channel/result-record.ts:39 compares `record.json.length` (UTF-16
    // code units) with the byte limit, and so does decodeResultValue in sandbox-core
    // (backend-kit result-value.ts, `encoded.json.length > maxBytes`). A value of astral or CJK
    // characters passes the limit by up to 3x. Expected: `output_limit`, as for stdout.
    const printed = await backend.execute(js(`console.log('€'.repeat(900));`, { maxOutputBytes: 1000 }));
    expect(printed.status).toBe('output_limit');
    const returned = await backend.execute(js(`return '€'.repeat(900);`, { maxOutputBytes: 1000 }));
    expect(returned.status).toBe('output_limit');
    expect(returned.value).toBeUndefined();
  });

  it('a heap exhausted by many small objects is reported as memory_limit', async () => {
    // Was a finding, now fixed: pushing small objects until the JS heap reaches a 32 MiB cap ends with
    // memoryPeakBytes exactly at the cap, but as `status: 'error'`, `error.kind: 'thrown'`,
    // `message: 'null'`: QuickJS cannot allocate the InternalError for its own out-of-memory and
    // throws `null`, which the glue (javy-compiler engine/glue.c, report_error) reports as a
    // thrown non-Error; src/result-channel/result-record.ts:59 only maps `InternalError` +
    // /out of memory/ to memory_limit. The cap held (memory never passed it), but the result
    // misreports which limit stopped the run. Expected: `memory_limit` naming memoryBytes.
    const result = await backend.execute(
      js('const a = []; for (;;) a.push({ a: 1, b: [1, 2, 3] });', { memoryBytes: 32 * MiB }),
    );
    expect(result.memoryPeakBytes ?? 0).toBeLessThanOrEqual(32 * MiB);
    expect(result.status).toBe('memory_limit');
    expect(result.error?.limit?.name).toBe('memoryBytes');
  });

  it('memory bombs stay under memoryBytes and end as a result', async () => {
    const cap = 16 * MiB;
    for (const code of [
      'const a = new ArrayBuffer(200 * 1024 * 1024); return a.byteLength;',
      'const a = new Float64Array(64 * 1024 * 1024); return a.length;',
      "let s = 'x'; for (;;) s += s;",
      "return 'y'.repeat(2 ** 28).length;",
      'const parts = []; for (;;) parts.push(new Uint8Array(1024 * 1024));',
    ]) {
      const result = await backend.execute(js(code, { memoryBytes: cap }));
      expect(['memory_limit', 'error'], code).toContain(result.status);
      expect(result.memoryPeakBytes ?? 0, code).toBeLessThanOrEqual(cap);
      expect(result.value, code).toBeUndefined();
    }
    await expectAlive(backend);
  });

  it('CPU bombs end as out_of_fuel within the budget given', async () => {
    for (const code of [
      'for (;;) {}',
      "return /^(a+)+$/.test('a'.repeat(40) + 'b');",
      "return 'x'.repeat(1e5).split('').sort(() => Math.random() - 0.5).join('').length + (function f(n) { return n ? f(n - 1) + f(n - 1) : 1; })(40);",
      'while (true) JSON.parse(JSON.stringify({ a: [1, 2, 3] }));',
    ]) {
      const result = await backend.execute(js(code, { fuel: 50_000_000 }));
      expect(result.status, code).toBe('out_of_fuel');
      expect(result.error?.limit).toMatchObject({ name: 'fuel', allowed: 50_000_000 });
      // Each charge is small next to the budget; the counter is checked at block boundaries.
      expect(result.fuelUsed ?? 0, code).toBeLessThan(50_000_000 * 1.01);
    }
  });

  it('printing a result record or poisoning the engine globals cannot turn a failure into ok', async () => {
    const cases = [
      "console.log(JSON.stringify({ ok: true, json: '1337' })); throw new Error('real');",
      "Object.prototype.toJSON = function () { return { ok: true, json: '1337' }; }; throw new Error('real');",
      'JSON.stringify = () => \'{"ok":true,"json":"1337"}\'; throw new Error(\'real\');',
      "Object.defineProperty(Object.prototype, 'ok', { get() { return true; } }); throw new Error('real');",
      "Error.prototype.toString = () => { throw 1; }; Object.defineProperty(Error.prototype, 'message', { get() { throw 2; } }); throw new Error('real');",
      "Object.prototype.toJSON = () => ({ ok: true, json: '1337' }); await Promise.reject(new TypeError('real'));",
    ];
    for (const code of cases) {
      const result = await backend.execute(js(code));
      expect(result.status, code).toBe('error');
      expect(result.value, code).toBeUndefined();
    }
    // A poisoned toJSON on a successful run corrupts only its own record (an error, never a forged value).
    const ok = await backend.execute(js("Object.prototype.toJSON = () => 'pwn'; return 5;"));
    expect(['ok', 'error']).toContain(ok.status);
    if (ok.status === 'ok') expect(ok.value).toBe(5);
    // The poison does not outlive its run: the next script sees a clean engine.
    const clean = await backend.execute(
      js('return [typeof Object.prototype.toJSON, JSON.stringify({ a: 1 })];'),
    );
    expect(clean).toMatchObject({ status: 'ok', value: ['undefined', '{"a":1}'] });
  });

  it('odd thrown values are error results', async () => {
    for (const code of [
      "throw Symbol('x');",
      'throw null;',
      'throw undefined;',
      "throw { get message() { throw new Error('gm'); }, get name() { throw 1; } };",
      "throw new Proxy({}, { get() { throw new Error('trap'); }, ownKeys() { throw 2; }, getPrototypeOf() { throw 3; } });",
      "throw { toString() { return 'x'.repeat(5e6); } };",
      "const e = new Error('m'); e.name = 'N'.repeat(100000); throw e;",
      'let a = {}; for (let i = 0; i < 100000; i++) a = { a }; throw a;',
      'function f() { return f() + 1; } return f();',
      "Promise.reject(Symbol('late')); await null; throw 7n;",
    ]) {
      const result = asResult(await settle(backend, js(code, { maxOutputBytes: 4096 })), code);
      expect(result?.status, code).not.toBe('ok');
      expect(result?.error?.kind, code).not.toMatch(/crash/);
      expect(result?.error?.kind.length ?? 0, code).toBeLessThanOrEqual(256);
      expect(result?.error?.message.length ?? 0, code).toBeLessThanOrEqual(64 * 1024);
    }
    await expectAlive(backend);
  });

  it('odd return values are typed results, with descriptions for what JSON cannot carry', async () => {
    const cases: Array<[string, (r: ExecutionResult) => void]> = [
      ['const a = {}; a.a = a; return a;', (r) => expect(r.value).toMatch(/^\[not JSON\]/)],
      ['return 10n ** 30n;', (r) => expect(r.value).toMatch(/^\[not JSON\] 1000000000000000000000000000000/)],
      ["return { toJSON() { throw new Error('tj'); } };", (r) => expect(r.value).toMatch(/^\[not JSON\]/)],
      ['return () => 1;', (r) => expect(r.value).toMatch(/^\[not JSON\]/)],
      ["return '\\ud800\\udc00\\udfff\\ud800x';", (r) => expect(r.value).toBe('\ud800\udc00\udfff\ud800x')],
      ["return { '$bytes': [0, 4] };", (r) => expect(r.value).toEqual({ $bytes: [0, 4] })],
      [
        'return JSON.parse(\'{"__proto__": {"polluted": 1}, "$$bytes": 1}\');',
        (r) => {
          expect(Object.hasOwn(r.value as object, '__proto__')).toBe(true);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        },
      ],
      ['return [NaN, Infinity, -0, 1e308 * 10];', (r) => expect(r.value).toEqual([null, null, 0, null])],
      // as the node backend reports it
      ["return Symbol('s');", (r) => expect(r.value).toBe('[not JSON] Symbol(s)')],
    ];
    for (const [code, check] of cases) {
      const result = await backend.execute(js(code));
      expect(result.status, code).toBe('ok');
      check(result);
    }
    for (const code of [
      "return { toJSON() { return 'x'.repeat(5e6); } };",
      "return 'z'.repeat(2 * 1024 * 1024);",
    ]) {
      const result = await backend.execute(js(code));
      expect(['output_limit', 'error'], code).toContain(result.status);
      expect(result.value, code).toBeUndefined();
    }
  });

  it('lone surrogates in output are replaced, never an exception or a crash', async () => {
    const result = await backend.execute(js("console.log('a\\ud800b'); console.error('\\udfff'); return 1;"));
    expect(result.status).toBe('ok');
    expect(result.stdout.startsWith('a')).toBe(true);
    expect(result.stdout.endsWith('b\n')).toBe(true);
    // well formed: no lone surrogate survives into the result
    expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(result.stdout)).toBe(
      false,
    );
  });

  it('compile bombs (deep nesting, huge regex, 100k literals, an 8 MB comment) end as results', async () => {
    const sources = [
      `${Array.from({ length: 100_000 }, (_, i) => `'s${i}';`).join('')}return 1;`,
      `${'('.repeat(100_000)}1${')'.repeat(100_000)}`,
      `return ${'['.repeat(5000)}${']'.repeat(5000)};`,
      `${'{'.repeat(50_000)}${'}'.repeat(50_000)}`,
      `return /${'('.repeat(5000)}a${')'.repeat(5000)}/.source.length;`,
      "return /(?:a{1000}){1000}/.test('a');",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the hostile source is a template literal
      `return \`${'${1}'.repeat(100_000)}\`.length;`,
      `// ${'x'.repeat(8_000_000)}\nreturn 7;`,
    ];
    for (const code of sources) {
      const what = code.slice(0, 40);
      const result = asResult(await settle(backend, js(code, { timeoutMs: 10_000 })), what);
      if (result) expect(['ok', 'error', 'timeout', 'out_of_fuel'], what).toContain(result.status);
    }
    await expectAlive(backend);
  });

  it('a compile bomb under a short deadline is a timeout of its own, not of the run beside it', async () => {
    const manyFns = `${Array.from({ length: 60_000 }, (_, i) => `function f${i}() { return ${i}; }`).join('\n')}\nreturn 1;`;
    const [slow, innocent] = await Promise.all([
      backend.execute(js(manyFns, { timeoutMs: 300 })),
      backend.execute({ ...js('return input;'), input: 'mine' }),
    ]);
    expect(['timeout', 'out_of_fuel']).toContain(slow.status);
    expect(innocent).toMatchObject({ status: 'ok', value: 'mine' });
  });

  it('many scripts at once, some hostile, give every innocent its own answer', async () => {
    const hostile = [
      'for (;;) {}',
      "let s = 'x'; for (;;) s += s;",
      'throw new Proxy({}, { get() { throw 1; } });',
      "for (;;) console.log('x'.repeat(1000));",
      "Object.prototype.toJSON = () => ({ ok: true, json: '666' }); throw 1;",
      `${'('.repeat(50_000)}1${')'.repeat(50_000)}`,
    ];
    const runs = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0
        ? backend.execute(js(hostile[(i / 3) % hostile.length]!, { fuel: 200_000_000, maxOutputBytes: 8192 }))
        : backend.execute({ ...js(`console.log('run', input.i); return input.i * 3;`), input: { i } }),
    );
    const results = await Promise.all(runs);
    results.forEach((result, i) => {
      if (i % 3 === 0) {
        expect(result.status, hostile[(i / 3) % hostile.length]).not.toBe('ok');
      } else {
        expect(result, `innocent ${i}`).toMatchObject({ status: 'ok', value: i * 3, stdout: `run ${i}\n` });
      }
    });
    expect(backend.stats().executorRestarts).toBe(0);
    expect((await backend.health()).healthy).toBe(true);
  });
});

describe('compile for storage: backend.compiler({ defaults: { mode: "static" } })', () => {
  let backend: WasmBackend;
  beforeAll(() => {
    backend = jsBackend();
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('hostile sources are a CompileError or a module, and a stored module keeps its limits and channel', async () => {
    const compiler = backend.compiler({ defaults: { mode: 'static' } });
    const sources = [
      'return (',
      `${'('.repeat(100_000)}1${')'.repeat(100_000)}`,
      `return ${'['.repeat(5000)}${']'.repeat(5000)};`,
      `return /${'('.repeat(5000)}a${')'.repeat(5000)}/;`,
      'return /a{0,99999}{0,99999}/;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the hostile source is a template literal
      `return \`${'${1}'.repeat(100_000)}\`;`,
      '\u0000\ud800\uffff',
      `// ${'x'.repeat(8_000_000)}\nreturn 7;`,
    ];
    for (const source of sources) {
      try {
        const compiled = await compiler.compile(source);
        expect(compiled.bytes.length).toBeGreaterThan(0);
        expect(compiled.hash).toMatch(/^[0-9a-f]{64}$/);
      } catch (error) {
        expect(CompileError.isInstance(error), `${source.slice(0, 30)}: ${String(error)}`).toBe(true);
      }
    }
    // A module compiled for storage, run later as bytes with a tiny budget, stops at that budget.
    const loop = await compiler.compile('let n = 0; for (;;) n++;');
    const limited = await backend.execute({
      language: 'wasm',
      code: loop.bytes,
      limits: { fuel: 10_000_000 },
    });
    expect(limited.status).toBe('out_of_fuel');
    const value = await compiler.compile('return input.a + 1;');
    const run = await backend.execute({ language: 'wasm', code: value.bytes, input: { a: 41 } });
    expect(run).toMatchObject({ status: 'ok', value: 42 });
    // Its bytes under a tiny memory cap: refused or memory_limit, never a forged value.
    const tiny = await backend.execute({
      language: 'wasm',
      code: value.bytes,
      limits: { memoryBytes: 65_536 },
    });
    expect(tiny.status).not.toBe('ok');
  });

  it('a compile with a short deadline is a CompileError and does not hurt a run beside it', async () => {
    const compiler = backend.compiler({ defaults: { mode: 'static' }, timeoutMs: 200 });
    const manyFns = `${Array.from({ length: 80_000 }, (_, i) => `function g${i}() { return ${i}; }`).join('\n')}\nreturn 1;`;
    const [compiled, innocent] = await Promise.allSettled([
      compiler.compile(manyFns),
      backend.execute({ ...js('return input;'), input: 'mine' }),
    ]);
    if (compiled.status === 'rejected') expect(CompileError.isInstance(compiled.reason)).toBe(true);
    expect(innocent).toMatchObject({ status: 'fulfilled', value: { status: 'ok', value: 'mine' } });
    expect((await backend.health()).healthy).toBe(true);
  });
});
