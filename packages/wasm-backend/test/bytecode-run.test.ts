// A compiler's `direct` run: bytecode handed straight to the engine its module links, so no module
// is validated, metered, compiled or instantiated per script. What the engine answers is checked
// before it is used, and every failure is a typed result that leaves the worker serving.
import { afterEach, describe, expect, it } from 'vitest';
import { WasmEngine } from '../src/index.js';

const compilerModule = new URL('./fixtures/bytecode-compiler-module.mjs', import.meta.url).href;
const record = (value: string) => JSON.stringify({ ok: true, json: JSON.stringify(value) });

let engine: WasmEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

function engineWith(options: Record<string, unknown> = {}): WasmEngine {
  engine = new WasmEngine({ workerCompiler: { module: compilerModule, options }, maxConcurrency: 1 });
  return engine;
}

describe("a compiler's bytecode, run without its module", () => {
  it('runs on the linked engine instead of the module, again from the cache, with fuel counted', async () => {
    const e = engineWith();
    const first = await e.execute({ language: 'javascript', code: record('direct') });
    expect(first).toMatchObject({ status: 'ok', value: 'direct' });
    const again = await e.execute({ language: 'javascript', code: record('direct') });
    expect(again).toMatchObject({ status: 'ok', value: 'direct' });
    expect(again.fuelUsed).toBe(first.fuelUsed);
    expect(first.fuelUsed).toBeGreaterThan(0);
    const other = await e.execute({ language: 'javascript', code: record('another script') });
    expect(other).toMatchObject({ status: 'ok', value: 'another script' });
  });

  it('a compiler without a direct run, or whose direct run names no link of its own, runs the module', async () => {
    expect(
      await engineWith({ direct: false }).execute({ language: 'javascript', code: record('direct') }),
    ).toMatchObject({ status: 'ok', value: 'module' });
    await engine!.close();
    expect(
      await engineWith({ directLink: 'somewhere_else' }).execute({
        language: 'javascript',
        code: record('direct'),
      }),
    ).toMatchObject({ status: 'ok', value: 'module' });
  });

  it("an allocator with no room is the memory cap's limit; one pointing past its memory is a trap; nothing is written", async () => {
    const full = engineWith({ allocReturns: 0 });
    const refused = await full.execute({ language: 'javascript', code: record('never written') });
    expect(refused.status).toBe('memory_limit');
    expect(refused.error?.limit).toMatchObject({ name: 'memoryBytes' });
    expect(refused.error?.message).toMatch(/bytecode \(\d+ bytes\) does not fit/);
    expect(refused.value).toBeUndefined();
    await full.close();
    for (const allocReturns of [65_530, -8]) {
      const e = engineWith({ allocReturns });
      const result = await e.execute({ language: 'javascript', code: record('never written') });
      expect(result.status).toBe('error');
      expect(result.error?.kind).toBe('trap:out_of_bounds');
      expect(result.error?.message).toMatch(/past the end of its memory/);
      expect(result.value).toBeUndefined();
      await e.close();
    }
    // a pointer that fits is used: the allocator's answer is checked, not ignored
    expect(
      await engineWith({ allocReturns: 60_000 }).execute({ language: 'javascript', code: record('fits') }),
    ).toMatchObject({ status: 'ok', value: 'fits' });
  });

  it('compiling for storage returns the module alone, which still runs as a module', async () => {
    const e = engineWith();
    const outcome = await e.compile(record('stored'));
    expect(outcome.kind).toBe('compiled');
    if (outcome.kind !== 'compiled') return;
    expect(outcome.compiled.direct).toBeUndefined();
    expect(outcome.compiled.bytes.length).toBeGreaterThan(0);
    const ran = await e.execute({
      language: 'wasm',
      code: outcome.compiled.bytes,
      compiled: { bytes: outcome.compiled.bytes, imports: outcome.compiled.imports!, resultFd: 1023 },
    });
    expect(ran).toMatchObject({ status: 'ok', value: 'module' });
  });

  it('an engine without an evaluator is a link error, and the worker keeps serving', async () => {
    const e = engineWith({ bareEngine: true });
    for (let i = 0; i < 2; i++) {
      const result = await e.execute({ language: 'javascript', code: record('x') });
      expect(result.status).toBe('error');
      expect(result.error).toMatchObject({ kind: 'link' });
      expect(result.error?.message).toMatch(/memory_mcp_eval_bytecode/);
    }
    expect((await e.execute({ language: 'wat', code: '(module (func (export "_start")))' })).status).toBe(
      'ok',
    );
  });

  it('the engine running the bytecode spends the fuel: a spin ends out of fuel, and so does a budget the copy alone passes', async () => {
    const e = engineWith();
    const spin = await e.execute({ language: 'javascript', code: '!spin', limits: { fuel: 200_000 } });
    expect(spin.status).toBe('out_of_fuel');
    expect(spin.error?.limit).toMatchObject({ name: 'fuel', allowed: 200_000 });
    const big = record('x'.repeat(64 * 1024));
    const starved = await e.execute({ language: 'javascript', code: big, limits: { fuel: 100 } });
    expect(starved.status).toBe('out_of_fuel');
    expect(await e.execute({ language: 'javascript', code: record('after') })).toMatchObject({
      status: 'ok',
      value: 'after',
    });
  });
});
