import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeBackend } from '../src/index.js';

const backend = new NodeBackend({ poolSize: 2, maxConcurrency: 4 });
afterAll(() => backend.close());
const js = (code: string, extra: object = {}) => backend.execute({ language: 'javascript', code, ...extra });
const ts = (code: string, extra: object = {}) => backend.execute({ language: 'typescript', code, ...extra });

describe('NodeBackend execution contract', () => {
  it('runs the code as an async function body: top-level await and return', async () => {
    const result = await js(
      `const x = await new Promise((r) => setTimeout(() => r(20), 10));\nreturn { answer: x + 22 };`,
    );
    expect(result).toMatchObject({ status: 'ok', value: { answer: 42 }, backend: 'node' });
  });

  it('exposes input as a global and console methods on stdout/stderr', async () => {
    const result = await js(
      `console.log('log', input.n); console.info('info'); console.warn('warn'); console.error('error'); return globalThis.input.n * 2;`,
      { input: { n: 21 } },
    );
    expect(result.stdout).toBe('log 21\ninfo\n');
    expect(result.stderr).toBe('warn\nerror\n');
    expect(result.value).toBe(42);
  });

  it('output written by timers after return is still captured before the run ends', async () => {
    const result = await js(`setTimeout(() => console.log('later'), 30); return 'now';`);
    expect(result).toMatchObject({ status: 'ok', value: 'now', stdout: 'later\n' });
  });

  it('reports a thrown error with a stack trimmed to the user code and matching line numbers', async () => {
    const result = await js(
      `const a = 1;\nfunction boom() {\n  throw new TypeError('bad thing');\n}\nboom();`,
    );
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({ kind: 'TypeError', message: 'bad thing' });
    expect(result.error?.stack).toMatch(/user-code\.js:3:\d+/);
    expect(result.error?.stack).not.toMatch(/runner\.cjs|node:internal/);
  });

  it('reports a syntax error as an error result', async () => {
    const result = await js('const = 1;');
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('SyntaxError');
  });

  it('reports an unhandled rejection after return as an error', async () => {
    const result = await js(`setTimeout(() => Promise.reject(new Error('late failure')), 10); return 1;`);
    expect(result.status).toBe('error');
    expect(result.error?.message).toBe('late failure');
  });

  it('describes values that JSON cannot carry', async () => {
    expect((await js('return function namedFn() {};')).value).toMatch(/^\[not JSON\] \[Function: namedFn\]/);
    expect((await js('return 10n;')).value).toBe('[not JSON] 10n');
    expect((await js('const o = { a: 1 }; o.self = o; return o;')).value).toMatch(/Circular/);
    expect((await js('return undefined;')).value).toBeUndefined();
  });

  it('runs TypeScript with line numbers that match the source', async () => {
    const ok = await ts(`interface P { x: number }\nconst p: P = { x: 2 };\nreturn (p.x as number) * 21;`);
    expect(ok).toMatchObject({ status: 'ok', value: 42 });
    const thrown = await ts(`type T = string;\nconst s: T = 'x';\nthrow new Error('ts line 3');`);
    expect(thrown.error?.stack).toMatch(/user-code\.js:3:\d+/);
  });

  it('reports TypeScript syntax errors as error results with line and column', async () => {
    const result = await ts(`const a: number = 1;\nconst b: = 2;`);
    expect(result.status).toBe('error');
    expect(result.error).toMatchObject({
      kind: 'SyntaxError',
      message: expect.stringMatching(/line 2, column \d+/),
    });
  });

  it('gives the code only the env the request passes', async () => {
    process.env.MEMORY_MCP_HOST_ONLY = 'do-not-leak';
    const result = await js('return process.env;', { env: { GREETING: 'hi' } });
    expect(result.value).toEqual({ GREETING: 'hi' });
    const denied = await js('return process.env;', { env: { GREETING: 'hi' }, policy: { allowEnv: false } });
    expect(denied.value).toEqual({});
    delete process.env.MEMORY_MCP_HOST_ONLY;
  });

  it('leaks no state between executions', async () => {
    await js(`globalThis.leak = 'from run 1'; require('fs');`);
    const second = await js('return typeof globalThis.leak;');
    expect(second.value).toBe('undefined');
  });

  it('runs in a fresh temporary directory it may not write to by default', async () => {
    const result = await js(
      `try { require('fs').writeFileSync('x.txt', 'x'); return 'wrote'; } catch (e) { return [process.cwd(), e.code]; }`,
    );
    const [cwd, code] = result.value as [string, string];
    expect(cwd).toBe('/sandbox');
    expect(code).toBe('ERR_ACCESS_DENIED');
  });

  it('grants reads and writes only where the policy says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-grant-'));
    // The jail runs as uid 65534: a grant must be reachable (and, to write, writable) by it.
    chmodSync(dir, 0o777);
    try {
      writeFileSync(join(dir, 'in.txt'), 'granted input');
      const result = await js(
        `const fs = require('fs');
        const text = fs.readFileSync(${JSON.stringify(join(dir, 'in.txt'))}, 'utf8');
        fs.writeFileSync(${JSON.stringify(join(dir, 'out.txt'))}, text.toUpperCase());
        return text;`,
        { policy: { readPaths: [dir], writePaths: [dir] } },
      );
      expect(result).toMatchObject({ status: 'ok', value: 'granted input' });
      expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('GRANTED INPUT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts pool hits and misses', async () => {
    await backend.warm();
    const before = backend.stats().pool;
    await js('return 1;');
    await js('return 1;', { limits: { memoryBytes: 96 * 1024 * 1024 } }); // another profile: cold
    const after = backend.stats().pool;
    expect(after.hits - before.hits).toBe(1);
    expect(after.misses - before.misses).toBe(0);
    expect(backend.stats().total).toBeGreaterThan(0);
  });

  it('warmAfter holds the pool back until it settles; requests before then still run', async () => {
    let go!: () => void;
    const gate = new Promise<void>((resolve) => {
      go = resolve;
    });
    const held = new NodeBackend({ poolSize: 2, warmAfter: gate });
    try {
      expect((await held.health()).healthy).toBe(true); // detection is done
      const early = await held.execute({ language: 'javascript', code: 'return 7;' });
      expect(early).toMatchObject({ status: 'ok', value: 7 });
      // no pool yet: the early request started its own process
      expect(held.stats().pool).toMatchObject({ size: 0, idle: 0, starting: 0, hits: 0 });
      go();
      await held.warm();
      expect(held.stats().pool).toMatchObject({ size: 2, idle: 2 });
      await held.execute({ language: 'javascript', code: 'return 8;' });
      expect(held.stats().pool.hits).toBe(1);
    } finally {
      await held.close();
    }
  });

  it('a warmAfter that rejects starts the pool all the same', async () => {
    const held = new NodeBackend({ poolSize: 1, warmAfter: Promise.reject(new Error('the host failed')) });
    try {
      await held.warm();
      expect(held.stats().pool).toMatchObject({ size: 1, idle: 1 });
    } finally {
      await held.close();
    }
  });

  it('closes promptly while warmAfter never settles, and never starts the pool', async () => {
    const held = new NodeBackend({ poolSize: 2, warmAfter: new Promise(() => {}) });
    await held.health();
    await held.close();
    expect(held.stats().pool).toMatchObject({ size: 0, idle: 0, starting: 0 });
  });

  it('cancels a running execution through its AbortSignal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await js('while (true) {}', { signal: controller.signal, limits: { timeoutMs: 10_000 } });
    expect(result.status).toBe('cancelled');
  });

  it('reports its walls in capabilities and health', async () => {
    await backend.warm();
    const caps = backend.capabilities();
    expect(caps).toMatchObject({
      isolation: 'process',
      networkIsolation: 'namespace',
      nodeApis: true,
      languages: ['javascript', 'typescript'],
    });
    for (const wall of [
      'user-namespace',
      'mount-namespace',
      'pid-namespace',
      'network-namespace',
      'minimal-root',
      'rlimit-data',
      'unprivileged-uid',
      'seccomp-no-unix-sockets',
      'node-permission-model',
    ]) {
      expect(caps.walls).toContain(wall);
    }
    const health = await backend.health();
    expect(health.healthy).toBe(true);
    expect(health.details).toMatchObject({ isolation: 'namespaces', walls: caps.walls });
  });

  it('without the jail it refuses untrusted code and says how to fix it (no silent downgrade)', async () => {
    const missing = Promise.resolve({
      level: 'permission-model' as const,
      reason: 'bubblewrap not found',
      fix: 'apt-get install bubblewrap',
      userNamespaces: false,
      unprivilegedUid: true,
    });
    const refusing = new NodeBackend({ poolSize: 1, jailSupport: missing });
    try {
      await expect(refusing.execute({ language: 'javascript', code: 'return 1;' })).rejects.toMatchObject({
        name: 'BackendUnavailableError',
        message: expect.stringContaining('apt-get install bubblewrap'),
      });
      const health = await refusing.health();
      expect(health.healthy).toBe(false);
      expect(health.message).toContain('apt-get install bubblewrap');
      expect(health.details).toMatchObject({ walls: [] });
      expect(refusing.capabilities().walls).toEqual([]);
      expect(refusing.stats().pool.size).toBe(0);
    } finally {
      await refusing.close();
    }
  });

  it('the named weaker level runs without namespaces and says so', async () => {
    const weaker = new NodeBackend({ poolSize: 0, isolation: 'permission-model' });
    try {
      const result = await weaker.execute({
        language: 'javascript',
        code: 'return require("os").hostname() === "sandbox";',
      });
      expect(result).toMatchObject({ status: 'ok', value: false });
      const { walls } = weaker.capabilities();
      expect(walls).toContain('node-permission-model');
      expect(walls).not.toContain('mount-namespace');
      expect(weaker.capabilities().networkIsolation).toBe('guard');
      expect((await weaker.health()).message).toMatch(/permission-model/);
    } finally {
      await weaker.close();
    }
  });

  it('rejects languages it does not run', async () => {
    await expect(backend.execute({ language: 'wat', code: '(module)' })).rejects.toMatchObject({
      field: 'language',
    });
  });
});
