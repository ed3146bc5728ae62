// The web-platform layer of the wasm engine (engine/prelude/), run for real: JavaScript compiled by
// this package, run by the wasm backend. Console output is compared with the node backend's for
// the same program; everything else with values node gives.

import { NodeBackend } from '@memory-mcp/node-backend';
import type { ExecutionRequest, ExecutionResult } from '@memory-mcp/sandbox-core';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import { afterAll, describe, expect, it } from 'vitest';
import { createCompiler } from '../src/index.js';

const wasm = new WasmBackend({ maxConcurrency: 4, compiler: createCompiler({ mode: 'dynamic' }) });
const node = new NodeBackend({ poolSize: 2 });
afterAll(async () => {
  await Promise.all([wasm.close(), node.close()]);
});

const js = (code: string, extra: Partial<ExecutionRequest> = {}): ExecutionRequest => ({
  language: 'javascript',
  code,
  ...extra,
  limits: { timeoutMs: 20_000, ...extra.limits },
});

async function run(code: string, extra: Partial<ExecutionRequest> = {}): Promise<ExecutionResult> {
  return wasm.execute(js(code, extra));
}

async function value(code: string, extra: Partial<ExecutionRequest> = {}): Promise<unknown> {
  const result = await run(code, extra);
  expect(result.status, JSON.stringify(result.error)).toBe('ok');
  return result.value;
}

/** The same program on both backends: stdout (and stderr, when asked) must be identical. */
async function sameOutput(code: string, { stderr = false } = {}): Promise<void> {
  const [w, n] = await Promise.all([wasm.execute(js(code)), node.execute(js(code))]);
  expect(n.status, `node: ${JSON.stringify(n.error)}`).toBe('ok');
  expect(w.status, `wasm: ${JSON.stringify(w.error)}`).toBe('ok');
  expect(w.stdout).toBe(n.stdout);
  if (stderr) expect(w.stderr).toBe(n.stderr);
}

describe('timers on virtual time', () => {
  it('fire in deadline order, then creation order, with microtasks and immediates first', async () => {
    const order = await value(`
      const out = [];
      setTimeout(() => out.push('t20'), 20);
      setTimeout(() => out.push('t0-a'), 0);
      setTimeout(() => out.push('t0-b'));
      setTimeout(() => out.push('t5'), 5);
      setImmediate(() => out.push('immediate'));
      queueMicrotask(() => out.push('microtask'));
      Promise.resolve().then(() => out.push('then'));
      await sleep(50);
      return out;`);
    expect(order).toEqual(['microtask', 'then', 'immediate', 't0-a', 't0-b', 't5', 't20']);
  });

  it('do not wait on the wall clock, and the clocks move by the virtual time that passed', async () => {
    const started = Date.now();
    const result = await value(`
      const d0 = Date.now(), p0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 3_600_000));
      return [Date.now() - d0 >= 3_600_000, performance.now() - p0 >= 3_600_000];`);
    expect(result).toEqual([true, true]);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('setInterval repeats until cleared; clearTimeout cancels; sleep() resolves', async () => {
    const result = await value(`
      let ticks = 0;
      await new Promise((resolve) => {
        const id = setInterval(() => { if (++ticks === 4) { clearInterval(id); resolve(); } }, 1000);
      });
      let fired = false;
      const t = setTimeout(() => { fired = true; }, 10);
      clearTimeout(t);
      await sleep(100);
      const handle = setTimeout(() => {}, 1);
      return [ticks, fired, typeof handle.unref, typeof handle.ref, Number(handle) > 0];`);
    expect(result).toEqual([4, false, 'function', 'function', true]);
  });

  it('timers keep running after the code returns, as node runs them before it exits', async () => {
    const result = await run(`setTimeout(() => console.log('later'), 10); return 'now';`);
    expect(result).toMatchObject({ status: 'ok', value: 'now', stdout: 'later\n' });
  });

  it('an interval that never stops is bounded by fuel', async () => {
    const result = await run('setInterval(() => {}, 1); return 1;', { limits: { fuel: 50_000_000 } });
    expect(result.status).toBe('out_of_fuel');
  });

  it('a callback that is not a function is a TypeError, as in node', async () => {
    const result = await value(`try { setTimeout('code', 1) } catch (e) { return e.name }`);
    expect(result).toBe('TypeError');
  });
});

describe('the web globals', () => {
  it('structuredClone keeps types, shared references and cycles; refuses functions', async () => {
    const result = await value(`
      const shared = { n: 1 };
      const src = { d: new Date(0), m: new Map([[1, shared]]), s: new Set([shared]), u8: new Uint8Array([1, 2]), re: /x/gi, big: 10n };
      src.self = src;
      const c = structuredClone(src);
      let refused;
      try { structuredClone({ f() {} }) } catch (e) { refused = e.name }
      return [c !== src, c.self === c, c.m.get(1) === [...c.s][0], c.d instanceof Date && c.d.getTime(), c.u8 instanceof Uint8Array && [...c.u8], c.re.flags, typeof c.big, refused];`);
    expect(result).toEqual([true, true, true, 0, [1, 2], 'gi', 'bigint', 'DataCloneError']);
  });

  it('atob and btoa', async () => {
    expect(await value(`return [btoa('hello'), atob('aGVsbG8='), atob(btoa('\\u00ff'))]`)).toEqual([
      'aGVsbG8=',
      'hello',
      '\u00ff',
    ]);
  });

  it('TextEncoder and TextDecoder handle UTF-8, invalid bytes and streaming', async () => {
    const result = await value(`
      const bytes = new TextEncoder().encode('h€llo 😀');
      const dec = new TextDecoder();
      const streamed = dec.decode(bytes.subarray(0, 2), { stream: true }) + dec.decode(bytes.subarray(2));
      let fatal;
      try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])) } catch (e) { fatal = e.name }
      return [bytes.length, new TextDecoder().decode(bytes), streamed, new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0x62])), fatal];`);
    expect(result).toEqual([12, 'h€llo 😀', 'h€llo 😀', 'a\ufffdb', 'TypeError']);
  });

  it('URL and URLSearchParams parse, resolve and serialize like node', async () => {
    const code = `
      const u = new URL('../c/./d?x=1&y=a%20b#frag', 'https://User:pw@Example.COM:443/a/b/');
      u.searchParams.append('z', 'q r');
      const p = new URLSearchParams({ b: '2', a: '1' });
      p.sort();
      let invalid;
      try { new URL('not a url') } catch (e) { invalid = e.name }
      return [u.href, u.origin, u.host, u.pathname, u.search, u.hash, u.username, u.searchParams.get('y'), p.toString(), invalid, URL.canParse('http://x')];`;
    const [w, n] = await Promise.all([wasm.execute(js(code)), node.execute(js(code))]);
    expect(w.status, JSON.stringify(w.error)).toBe('ok');
    expect(w.value).toEqual(n.value);
  });

  it('crypto.getRandomValues and randomUUID: well formed, and seeded under policy.deterministic', async () => {
    const code = `return [crypto.randomUUID(), [...crypto.getRandomValues(new Uint8Array(8))], Math.random()];`;
    const [a, b] = await Promise.all([value(code), value(code)]);
    expect((a as string[])[0]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(a).not.toEqual(b);
    const det = { policy: { deterministic: true } } as Partial<ExecutionRequest>;
    const [c, d] = await Promise.all([run(code, det), run(code, det)]);
    expect(c.status).toBe('ok');
    expect(c.value).toEqual(d.value);
    expect(c.fuelUsed).toBe(d.fuelUsed);
    const tooBig = await value(
      `try { crypto.getRandomValues(new Uint8Array(65537)) } catch (e) { return e.name }`,
    );
    expect(tooBig).toBe('QuotaExceededError');
  });

  it('performance.now is monotonic', async () => {
    expect(
      await value(
        `const a = performance.now(); let x = 0; for (let i = 0; i < 1e4; i++) x += i; return performance.now() >= a && a >= 0;`,
      ),
    ).toBe(true);
  });

  it('AbortController, AbortSignal and EventTarget', async () => {
    const result = await value(`
      const target = new EventTarget();
      const seen = [];
      target.addEventListener('ping', (e) => seen.push(e.type + ':' + e.detail), { once: true });
      target.dispatchEvent(new CustomEvent('ping', { detail: 1 }));
      target.dispatchEvent(new CustomEvent('ping', { detail: 2 }));
      const ac = new AbortController();
      ac.signal.addEventListener('abort', () => seen.push('aborted'));
      ac.abort();
      let timedOut;
      const s = AbortSignal.timeout(10);
      await sleep(20);
      timedOut = s.aborted && s.reason.name;
      return [seen, ac.signal.aborted, ac.signal.reason.name, timedOut];`);
    expect(result).toEqual([['ping:1', 'aborted'], true, 'AbortError', 'TimeoutError']);
  });
});

describe('a console like node', () => {
  it('format specifiers and inspection of Map, Set, class instances and nested objects', () =>
    sameOutput(`
      class Point { constructor(x, y) { this.x = x; this.y = y; } }
      console.log('%s is %d years and %i days, %f, %j, %o, %O %%', 'Ann', 42.5, 3.9, 1.5, { a: 1 }, [1], { b: 2 });
      console.log(new Map([['a', 1], ['b', { c: [1, 2] }]]), new Set([1, 'x']));
      console.log(new Point(1, 2), { deep: { er: { still: { deeper: 1 } } } }, [undefined, null, -0, 10n, Symbol('s')]);
      console.log('plain', 'strings', 3, true);
      console.info({ nested: [{ a: 1 }, { b: [2, 3] }] });
      console.debug('debug goes to stdout');`));

  it('table, dir, count, time, assert and group', () =>
    sameOutput(
      `
      console.table([{ a: 1, b: 'x' }, { a: 2, c: true }]);
      console.table([[1, 2], [3, 4]]);
      console.dir({ s: 'quoted', n: { m: { k: { j: 1 } } } }, { depth: 0 });
      console.count(); console.count('x'); console.count(); console.countReset(); console.count();
      console.assert(1 === 1, 'not printed');
      console.group('outer'); console.log('inside'); console.group(); console.log('deeper'); console.groupEnd(); console.groupEnd();
      console.log('after');`,
      { stderr: false },
    ));

  it('console.assert, warn and error write to stderr', async () => {
    const result = await run(
      `console.assert(false, 'bad %s', 'thing'); console.warn('w'); console.error(new Error('e').message);`,
    );
    expect(result.stderr).toBe('Assertion failed: bad thing\nw\ne\n');
    const timed = await run(`console.time('t'); await sleep(5); console.timeEnd('t');`);
    expect(timed.stdout).toMatch(/^t: \d+(\.\d+)?m?s\n$/);
  });
});

describe('node-only globals, errors and results', () => {
  it('typeof process, require and fetch is undefined; using them names the node backend', async () => {
    expect(await value(`return [typeof process, typeof require, typeof fetch, typeof Buffer]`)).toEqual([
      'undefined',
      'undefined',
      'undefined',
      'undefined',
    ]);
    for (const use of ['process.env.HOME', "require('fs')", "fetch('https://example.com')"]) {
      const result = await run(`return ${use};`);
      expect(result.status).toBe('error');
      expect(result.error?.kind).toBe('ReferenceError');
      expect(result.error?.message).toMatch(/node backend/);
    }
  });

  it('Intl is missing, and the error says so by name', async () => {
    const result = await run(`return new Intl.NumberFormat('en-US').format(1)`);
    expect(result.error?.message).toMatch(/Intl is not available in the wasm sandbox/);
  });

  it('every stack frame has a line and a column in the user code', async () => {
    const result = await run(
      `function inner() {\n  throw new Error('deep');\n}\nfunction outer() { inner(); }\nouter();`,
    );
    expect(result.status).toBe('error');
    const frames = result.error?.stack?.split('\n').filter(Boolean) ?? [];
    expect(frames.length).toBeGreaterThanOrEqual(3);
    for (const frame of frames) expect(frame).toMatch(/input\.js:\d+:\d+/);
    expect(frames[0]).toMatch(/inner \(input\.js:2:\d+\)/);
    expect(frames[1]).toMatch(/outer \(input\.js:4:\d+\)/);
  });

  it('Function.prototype.toString gives the source', async () => {
    expect(
      await value(
        `function add(a, b) { return a + b; }\nconst arrow = (x) => x * 2;\nreturn [add.toString(), String(arrow), (class A { m() {} }).toString()];`,
      ),
    ).toEqual(['function add(a, b) { return a + b; }', '(x) => x * 2', 'class A { m() {} }']);
  });

  it('BigInt, Symbol and function results come back as node reports them', async () => {
    for (const code of [
      'return 10n ** 20n',
      "return Symbol('tag')",
      'return function named() {}',
      'return 1.5',
    ]) {
      const [w, n] = await Promise.all([wasm.execute(js(code)), node.execute(js(code))]);
      expect(w.status).toBe('ok');
      expect(w.value).toEqual(n.value);
    }
  });

  it('locale formatting without ICU matches node for en-US', async () => {
    const code = `const d = new Date(Date.UTC(2024, 2, 7, 15, 4, 5));
      return [(1234567.891).toLocaleString(), (1234.5).toLocaleString('en-US', { style: 'currency', currency: 'USD' }),
        (0.256).toLocaleString('en-US', { style: 'percent' }), (1234.5678).toLocaleString(undefined, { maximumFractionDigits: 2 }),
        d.toLocaleDateString('en-US'), d.toLocaleString('en-US'), d.toLocaleDateString('en-US', { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }),
        ['a10', 'a2', 'B', 'a1'].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })), String(new Date(0))];`;
    const [w, n] = await Promise.all([wasm.execute(js(code)), node.execute(js(code))]);
    expect(w.status, JSON.stringify(w.error)).toBe('ok');
    expect(w.value).toEqual(n.value);
  });
});

describe('a reused engine instance starts clean', () => {
  // One worker, so every run reuses the same engine instance, reset in between.
  const single = new WasmBackend({ maxConcurrency: 1, compiler: createCompiler({ mode: 'dynamic' }) });
  afterAll(() => single.close());

  it('nothing a run leaves behind (globals, patched built-ins, timers) reaches the next run', async () => {
    const dirty = await single.execute(
      js(`globalThis.leak = 'secret'; Array.prototype.push = () => 'patched'; Object.prototype.polluted = 1;
          setInterval(() => {}, 1).unref(); return 'dirty';`),
    );
    expect(dirty.status).toBe('ok');
    const fuelExhausted = await single.execute(js('for (;;) {}', { limits: { fuel: 2_000_000 } }));
    expect(fuelExhausted.status).toBe('out_of_fuel');
    const clean = await single.execute(
      js(
        `const a = []; a.push(1); return [typeof leak, a.length, 'polluted' in {}, typeof Array.prototype.push];`,
      ),
    );
    expect(clean).toMatchObject({ status: 'ok', value: ['undefined', 1, false, 'function'] });
  });

  it('a run that deletes every global still reports its result, and the next run has them all', async () => {
    const wiped = await single.execute(
      js(`for (const k of Object.getOwnPropertyNames(globalThis)) { try { delete globalThis[k]; } catch {} }
          return 'wiped';`),
    );
    expect(wiped).toMatchObject({ status: 'ok', value: 'wiped' });
    const after = await single.execute(
      js('return [typeof console, typeof setTimeout, typeof JSON, typeof Error];'),
    );
    expect(after.value).toEqual(['object', 'function', 'object', 'function']);
  });
});
