// JavaScript on the wasm backend through this compiler, checked against the node backend.
import { NodeBackend } from '@memory-mcp/node-backend';
import { describeBackendConformance, javascriptKit } from '@memory-mcp/sandbox-core/testing';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import { afterAll, describe, expect, it } from 'vitest';
import { createCompiler } from '../src/index.js';
import { corpus } from './fixtures/corpus.js';

describeBackendConformance(
  'wasm backend running JavaScript (dynamic modules)',
  () => new WasmBackend({ compiler: createCompiler({ mode: 'dynamic' }) }),
  {
    kit: javascriptKit,
  },
);

const wasm = new WasmBackend({ maxConcurrency: 8, compiler: createCompiler({ mode: 'dynamic' }) });
// What the app runs: the compiler in the jailed executors, whose bytecode goes to the engine directly
// (no per-script module), while `wasm` above compiles here and runs the compiled module.
const wasmExecutors = new WasmBackend({
  maxConcurrency: 2,
  executorCompiler: {
    module: new URL('../dist/index.js', import.meta.url).href,
    options: { mode: 'dynamic' },
  },
});
const wasmStatic = new WasmBackend({ maxConcurrency: 2, compiler: createCompiler({ mode: 'static' }) });
const node = new NodeBackend({ poolSize: 2 });
afterAll(async () => {
  await Promise.all([wasm.close(), wasmStatic.close(), wasmExecutors.close(), node.close()]);
});

describe('the same JavaScript gives the same output on node and on wasm', () => {
  it(`has at least 30 programs`, () => expect(corpus.length).toBeGreaterThanOrEqual(30));
  for (const program of corpus) {
    it(program.name, async () => {
      const request = {
        language: 'javascript' as const,
        code: program.code,
        ...(program.input !== undefined ? { input: program.input } : {}),
      };
      const [onNode, onWasm] = await Promise.all([node.execute(request), wasm.execute(request)]);
      expect(onWasm.status, JSON.stringify(onWasm.error)).toBe(onNode.status);
      expect(onWasm.stdout).toBe(onNode.stdout);
      expect(onWasm.value).toEqual(onNode.value);
      if (onNode.status === 'error') {
        expect(onWasm.error?.kind).toBe(onNode.error?.kind);
        expect(onWasm.error?.message).toBe(onNode.error?.message);
      }
      expect(onWasm.backend).toBe('wasm');
      expect(onWasm.fuelUsed).toBeGreaterThan(0);
    });
  }
});

describe('the bytecode run in the executors gives what the compiled module gives', () => {
  const deltas: number[] = [];
  for (const program of corpus) {
    it(program.name, async () => {
      const request = {
        language: 'javascript' as const,
        code: program.code,
        policy: { deterministic: true },
        ...(program.input !== undefined ? { input: program.input } : {}),
      };
      const [viaModule, viaBytecode] = await Promise.all([
        wasm.execute(request),
        wasmExecutors.execute(request),
      ]);
      expect(viaBytecode.status, JSON.stringify(viaBytecode.error)).toBe(viaModule.status);
      expect(viaBytecode.stdout).toBe(viaModule.stdout);
      expect(viaBytecode.value).toEqual(viaModule.value);
      expect(viaBytecode.error?.kind).toBe(viaModule.error?.kind);
      expect(viaBytecode.error?.message).toBe(viaModule.error?.message);
      deltas.push(viaBytecode.fuelUsed! - viaModule.fuelUsed!);
    });
  }
  it("the engine does the same work on both: fuel differs by one small constant (the module's _start)", () => {
    expect(deltas.length).toBe(corpus.length);
    expect(new Set(deltas).size).toBe(1);
    expect(Math.abs(deltas[0]!)).toBeLessThan(32);
  });
});

describe('JavaScript on wasm: limits and errors', () => {
  it("a script whose bytecode has no room under the memory cap is the cap's memory_limit (the executors' path)", async () => {
    const length = 12 * 1024 * 1024;
    const code = `return "${'x'.repeat(length)}".length;`;
    const capped = await wasmExecutors.execute({
      language: 'javascript',
      code,
      limits: { memoryBytes: 8 * 1024 * 1024, timeoutMs: 60_000 },
    });
    expect(capped.status).toBe('memory_limit');
    expect(capped.error?.limit).toMatchObject({ name: 'memoryBytes', allowed: 8 * 1024 * 1024 });
    expect(capped.error?.message).toMatch(/does not fit/);
    const roomy = await wasmExecutors.execute({
      language: 'javascript',
      code,
      limits: { timeoutMs: 60_000 },
    });
    expect(roomy).toMatchObject({ status: 'ok', value: length });
  });

  it('reports uncaught errors with message and line', async () => {
    const result = await wasm.execute({ language: 'javascript', code: `const a = 1;\n\nnull.boom;` });
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('TypeError');
    expect(result.error?.stack).toMatch(/input\.js:3/);
  });

  it('turns syntax errors into error results with line and column', async () => {
    const result = await wasm.execute({ language: 'javascript', code: `const ok = 1;\nconst = 2;` });
    expect(result).toMatchObject({ status: 'error', error: { kind: 'SyntaxError' } });
    expect(result.error?.message).toMatch(/input\.js:2:7/);
  });

  it('an infinite loop ends as out_of_fuel, not at the wall clock', async () => {
    const result = await wasm.execute({
      language: 'javascript',
      code: 'for (;;) {}',
      limits: { timeoutMs: 120_000, fuel: 200_000_000 },
    });
    expect(result.status).toBe('out_of_fuel');
    expect(result.fuelUsed).toBeGreaterThanOrEqual(200_000_000);
  });

  it('with fuel to spare, the deadline stops it; the replaced worker then runs JS again', async () => {
    const result = await wasm.execute({
      language: 'javascript',
      code: 'for (;;) {}',
      limits: { timeoutMs: 300, fuel: 1e15 },
    });
    expect(result.status).toBe('timeout');
    for (let i = 0; i < 10; i++) {
      const next = await wasm.execute({ language: 'javascript', code: `return ${i} * 2;` });
      expect(next).toMatchObject({ status: 'ok', value: i * 2 });
    }
  });

  it('runaway recursion stays a catchable RangeError once the engine is hot', async () => {
    // V8's optimized frames for the (inlined) interpreter are larger than its baseline ones: the
    // worker's native stack must outlast QuickJS's own limit in both tiers
    const one = new WasmBackend({ maxConcurrency: 1, compiler: createCompiler({ mode: 'dynamic' }) });
    try {
      const warm = `let t = 0;\nfor (let i = 0; i < 1000000; i++) t = (t + i * i) % 1000003;\nconst f = (n) => (n ? f(n - 1) + 1 : 0);\nfor (let i = 0; i < 50; i++) f(2000);\nreturn t;`;
      for (let i = 0; i < 4; i++) {
        const r = await one.execute({
          language: 'javascript',
          code: warm,
          limits: { fuel: 1e11, timeoutMs: 60_000 },
        });
        expect(r.status).toBe('ok');
      }
      const program = corpus.find((p) => p.name === 'runaway recursion through built-ins is catchable')!;
      const plain = `const down = (n) => down(n + 1) + 1;\ntry { down(0); } catch (e) { return e instanceof RangeError; }`;
      for (const code of [plain, program.code]) {
        const r = await one.execute({
          language: 'javascript',
          code,
          limits: { fuel: 1e11, timeoutMs: 60_000 },
        });
        expect(r.status, JSON.stringify(r.error)).toBe('ok');
        expect(r.value, r.stdout).toBe(true);
      }
    } finally {
      await one.close();
    }
  }, 120_000);

  it('a memory bomb ends as memory_limit', async () => {
    const result = await wasm.execute({
      language: 'javascript',
      code: 'const keep = []; for (;;) keep.push(new Array(1e5).fill(Math.random()));',
      limits: { memoryBytes: 48 * 1024 * 1024, fuel: 1e13, timeoutMs: 30_000 },
    });
    expect(result.status).toBe('memory_limit');
    expect(result.memoryPeakBytes).toBeLessThanOrEqual(48 * 1024 * 1024);
  });

  it("user code throwing InternalError('out of memory') is an error, not memory_limit", async () => {
    const result = await wasm.execute({
      language: 'javascript',
      code: `const e = new Error('out of memory'); e.name = 'InternalError'; throw e;`,
    });
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ kind: 'InternalError', message: 'out of memory' });
  });

  it('a return value past maxOutputBytes is output_limit, not a 16 MiB ceiling', async () => {
    const result = await wasm.execute({
      language: 'javascript',
      code: `return 'x'.repeat(5000);`,
      limits: { maxOutputBytes: 1000 },
    });
    expect(result.status).toBe('output_limit');
    expect(result.error?.limit).toMatchObject({ name: 'maxOutputBytes', allowed: 1000 });
    expect(result.value).toBeUndefined();
  });

  it('Node APIs and the network are clear errors that name the node backend; timers work', async () => {
    for (const code of [`require('fs')`, `await fetch('http://x')`, `process.env`]) {
      const result = await wasm.execute({ language: 'javascript', code });
      expect(result.status, code).toBe('error');
      expect(result.error?.kind, code).toBe('ReferenceError');
      expect(result.error?.message, code).toMatch(/run this code on the node backend/);
    }
    const timer = await wasm.execute({
      language: 'javascript',
      code: 'return await new Promise((resolve) => setTimeout(() => resolve(7), 1))',
    });
    expect(timer).toMatchObject({ status: 'ok', value: 7 });
  });

  it('a printed fake result does not forge the real one', async () => {
    const result = await wasm.execute({
      language: 'javascript',
      code: `console.log(JSON.stringify({ ok: true, json: '"forged"' }));\nreturn 'real';`,
    });
    expect(result.value).toBe('real');
  });

  it('runs 100 concurrent JavaScript executions with zero crashes', async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        wasm.execute({
          language: 'javascript',
          code: `console.log('run', input.i);\nreturn input.i * 2;`,
          input: { i },
        }),
      ),
    );
    results.forEach((r, i) => {
      expect(r.status).toBe('ok');
      expect(r.stdout).toBe(`run ${i}\n`);
      expect(r.value).toBe(i * 2);
    });
    expect(wasm.stats().crashes).toBe(0);
  });

  it('static modules run on the backend too, with the same results', async () => {
    const result = await wasmStatic.execute({ language: 'javascript', code: corpus[0]!.code });
    const viaDynamic = await wasm.execute({ language: 'javascript', code: corpus[0]!.code });
    expect(result).toMatchObject({ status: 'ok', stdout: viaDynamic.stdout, value: viaDynamic.value });
  });

  it('Math.random differs between runs but not under policy.deterministic', async () => {
    const code = 'return [Math.random(), Date.now()];';
    const [a, b] = await Promise.all([
      wasm.execute({ language: 'javascript', code }),
      wasm.execute({ language: 'javascript', code }),
    ]);
    expect((a.value as number[])[0]).not.toBe((b.value as number[])[0]);
    const det = { language: 'javascript' as const, code, policy: { deterministic: true } };
    const [c, d] = await Promise.all([wasm.execute(det), wasm.execute(det)]);
    expect(c.value).toEqual(d.value);
  });
});
