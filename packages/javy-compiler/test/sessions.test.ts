// Sessions on the real engine: the wasm backend saves the QuickJS engine's whole state after an ok
// run and starts a later run from it. What a session keeps, what it never shares, and what a run
// that fails leaves behind, through jailed executors as the app runs them.
import type { ExecutionResult, SessionState } from '@memory-mcp/sandbox-core';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import { afterAll, describe, expect, it } from 'vitest';

const compilerModule = new URL('../dist/index.js', import.meta.url).href;
// one executor with one worker: every run below reuses the same engine instances, the hardest case
const backend = new WasmBackend({
  executors: 1,
  maxConcurrency: 1,
  executorCompiler: { module: compilerModule, options: { mode: 'dynamic' } },
});
afterAll(() => backend.close());

async function step(code: string, from?: SessionState, extra: Record<string, unknown> = {}) {
  const result = await backend.execute({
    language: 'javascript',
    code,
    session: { save: true, ...(from ? { restore: from } : {}) },
    ...extra,
  });
  return result as ExecutionResult & { state?: SessionState };
}

const plain = (code: string) => backend.execute({ language: 'javascript', code });

describe('sessions on the QuickJS engine', () => {
  it('keeps globals, closures, classes and collections from one run to the next', async () => {
    expect(backend.capabilities().sessions).toBe(true);
    const one = await step(`
      class Account { #balance = 0; deposit(n) { this.#balance += n; return this.#balance; } }
      globalThis.account = new Account();
      globalThis.next = (() => { let n = 0; return () => ++n; })();
      globalThis.seen = new Map([['a', 1]]);
      account.deposit(10);
      return next();`);
    expect(one).toMatchObject({ status: 'ok', value: 1 });
    expect(one.state?.base).toBeInstanceOf(Uint8Array);
    const two = await step(
      `seen.set('b', 2); return [account.deposit(5), next(), [...seen.keys()]]`,
      one.state,
    );
    expect(two.value).toEqual([15, 2, ['a', 'b']]);
    // a run that changed little keeps the base and adds a delta
    expect(two.state?.base).toBe(one.state?.base);
    expect(two.state?.delta).toBeInstanceOf(Uint8Array);
    const three = await step('return [account.deposit(1), next(), seen.size]', two.state);
    expect(three.value).toEqual([16, 3, 2]);
  });

  it('shares nothing with runs outside the session, before or after, on the same engine instance', async () => {
    const one = await step(
      'globalThis.secret = "s3cr3t"; Array.prototype.leak = 1; Math.max = () => -1; return 1',
    );
    expect((await plain('return [typeof secret, typeof [].leak, Math.max(1, 2)]')).value).toEqual([
      'undefined',
      'undefined',
      2,
    ]);
    const two = await step('return [secret, [].leak, Math.max(1, 2)]', one.state);
    expect(two.value).toEqual(['s3cr3t', 1, -1]);
    expect((await plain('return [typeof secret, typeof [].leak, Math.max(1, 2)]')).value).toEqual([
      'undefined',
      'undefined',
      2,
    ]);
    const other = await step('return typeof secret');
    expect(other.value).toBe('undefined');
  });

  it('a run that does not end ok returns no state, so the session stays where it was', async () => {
    const start = await step('globalThis.n = 1; return n');
    for (const [code, status, limits] of [
      ['n = 50; throw new Error("no")', 'error', undefined],
      ['n = 60; for (;;) {}', 'out_of_fuel', { fuel: 1_000_000 }],
      [
        'n = 70; globalThis.hog = []; for (;;) hog.push(new Array(1e5).fill(1))',
        'memory_limit',
        { memoryBytes: 32 * 1024 * 1024 },
      ],
    ] as const) {
      const failed = await step(code, start.state, limits ? { limits } : {});
      expect(failed.status, code).toBe(status);
      expect(failed.state).toBeUndefined();
    }
    expect((await step('return n', start.state)).value).toBe(1);
  });

  it('two runs from one state are independent forks, and the same run from the same state is deterministic', async () => {
    const start = await step('globalThis.list = [1, 2, 3]; return list.length');
    const left = await step('list.push("left"); return list', start.state);
    const right = await step('list.push("right"); return list', start.state);
    expect(left.value).toEqual([1, 2, 3, 'left']);
    expect(right.value).toEqual([1, 2, 3, 'right']);
    expect((await step('return list', left.state)).value).toEqual([1, 2, 3, 'left']);
    expect((await step('return list', start.state)).value).toEqual([1, 2, 3]);
    const policy = { deterministic: true };
    const a = await step('list.push(Math.random()); return list.length', start.state, { policy });
    const b = await step('list.push(Math.random()); return list.length', start.state, { policy });
    expect(a.fuelUsed).toBe(b.fuelUsed);
    expect(a.value).toBe(b.value);
  });

  it('a state bigger than the call may hold is a memory_limit before anything runs', async () => {
    const big = await step(
      'globalThis.blob = new Uint8Array(40 * 1024 * 1024).fill(7); return blob.length',
      undefined,
      {
        limits: { memoryBytes: 128 * 1024 * 1024 },
      },
    );
    expect(big.status).toBe('ok');
    const small = await step('return blob.length', big.state, { limits: { memoryBytes: 16 * 1024 * 1024 } });
    expect(small.status).toBe('memory_limit');
    expect(small.error?.message).toMatch(/state needs \d+ bytes of memory/);
    expect((await step('return blob[123]', big.state)).value).toBe(7);
  });

  it("a script with no room for its bytecode in a session's heap is a memory_limit, and the session carries on", async () => {
    const limits = { memoryBytes: 24 * 1024 * 1024, timeoutMs: 60_000 };
    const held = 14 * 1024 * 1024;
    const one = await step(
      `globalThis.keep = new Uint8Array(${held}).fill(3); return keep.length`,
      undefined,
      {
        limits,
      },
    );
    expect(one).toMatchObject({ status: 'ok', value: held });
    // 14 MiB held plus the engine, under a 24 MiB cap: a 10 MiB string literal's bytecode has no room
    const refused = await step(`return "${'x'.repeat(10 * 1024 * 1024)}".length`, one.state, { limits });
    expect(refused.status).toBe('memory_limit');
    expect(refused.error?.limit).toMatchObject({ name: 'memoryBytes', allowed: limits.memoryBytes });
    expect(refused.state).toBeUndefined();
    const after = await step('return [keep.length, keep[7], keep.every((b) => b === 3)]', one.state, {
      limits,
    });
    expect(after).toMatchObject({ status: 'ok', value: [held, 3, true] });
  });

  it('timers left pending when a run ends do not fire into the next run', async () => {
    const one = await step(
      'globalThis.fired = 0; const t = setTimeout(() => fired++, 10); t.unref(); return fired',
    );
    expect(one.value).toBe(0);
    const two = await step('await sleep(50); return fired', one.state);
    expect(two.value).toBe(0);
  });

  it('refuses a request to restore bytes that are not a state, with a clear error', async () => {
    const one = await step('globalThis.x = 1; return x');
    const junk = await step('return x', { base: new Uint8Array(500).fill(3), engine: one.state!.engine });
    expect(junk.status).toBe('error');
    expect(junk.error?.kind).toBe('session_state_invalid');
    await expect(
      backend.execute({ language: 'wat', code: '(module)', session: { save: true } }),
    ).rejects.toThrow(/sessions hold JavaScript state/);
  });

  it("a forged head (another session's digest on other bytes, or an altered head) names nothing, and kills nothing", async () => {
    const one = await step('globalThis.secret = "s3cr3t"; return 1');
    const two = await step('secret += "!"; return 2', one.state);
    expect(two.state?.delta).toBeInstanceOf(Uint8Array);
    // the secret's layers are now held by the executor, cached by its worker and parked there
    const mine = await step('globalThis.mine = [1, 2, 3]; return 3');
    const mineNext = await step('mine.push(4); return 4', mine.state);
    const restarts = backend.stats().executorRestarts;
    const pids = backend.executorPids();
    const headBytes = 101;
    const forgedBase = mine.state!.base.slice();
    forgedBase.set(one.state!.base.subarray(0, headBytes), 0);
    const forgedDelta = mineNext.state!.delta!.slice();
    forgedDelta.set(two.state!.delta!.subarray(0, headBytes), 0);
    const alteredHead = one.state!.base.slice();
    alteredHead[4]! ^= 1; // the engine id, with the body and the digest field untouched
    for (const [label, state] of [
      ['base under the secret head', { ...one.state!, base: forgedBase }],
      ['delta under the secret head', { ...two.state!, delta: forgedDelta }],
      ['altered head', { ...one.state!, base: alteredHead }],
    ] as const) {
      const tried = await step('return typeof secret === "string" ? secret : "none"', state);
      expect(tried.status, label).toBe('error');
      expect(tried.error?.kind, label).toBe('session_state_invalid');
      expect(tried.value, label).toBeUndefined();
    }
    expect(backend.stats().executorRestarts).toBe(restarts);
    expect(backend.executorPids()).toEqual(pids);
    expect((await step('return secret', two.state)).value).toBe('s3cr3t!');
    expect((await step('return mine', mineNext.state)).value).toEqual([1, 2, 3, 4]);
  });

  it('big states (GiBs of memory) save and resume side by side without the executor running out of memory', async () => {
    // two runs in one executor, each with 900 MiB of memory in its state (within the 2 GiB an executor has for memories): what a save holds beside
    // the memory must stay near the compressed size, or the executor dies and takes both runs
    const big = new WasmBackend({
      executors: 1,
      maxConcurrency: 2,
      executorCompiler: { module: compilerModule, options: { mode: 'dynamic' } },
    });
    try {
      const limits = { memoryBytes: 4 * 1024 ** 3 - 65536, timeoutMs: 120_000, fuel: 1e12 };
      const run = (code: string, restore?: SessionState) =>
        big.execute({
          language: 'javascript',
          code,
          limits,
          session: { save: true, ...(restore ? { restore } : {}) },
        }) as Promise<ExecutionResult & { state?: SessionState }>;
      const fill = (tag: number) =>
        `const u = new Uint8Array(900 * 1024 * 1024); u.fill(7); u[123] = ${tag}; globalThis.keep = u; return u.length`;
      const saved = await Promise.all([run(fill(1)), run(fill(2))]);
      for (const one of saved) {
        expect(one.status, one.error?.message).toBe('ok');
        expect(one.state?.base).toBeInstanceOf(Uint8Array);
      }
      const again = await Promise.all(
        saved.map((one) => run('keep[5] = 9; return [keep.length, keep[123], keep[1000]]', one.state)),
      );
      for (const one of again) expect(one.status, one.error?.message).toBe('ok');
      expect(again.map((one) => one.value)).toEqual([
        [900 * 1024 * 1024, 1, 7],
        [900 * 1024 * 1024, 2, 7],
      ]);
      expect(big.stats().executorRestarts).toBe(0);
    } finally {
      await big.close();
    }
  }, 180_000);
});
