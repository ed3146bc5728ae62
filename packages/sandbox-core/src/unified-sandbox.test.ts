import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { InvalidRequestError } from './errors/invalid-request-error.js';
import { QueueFullError } from './errors/queue-full-error.js';
import { loadConfig } from './load-config.js';
import { FakeBackend } from './test-support/fake-backend.js';
import { UnifiedSandbox } from './unified-sandbox.js';

const sandboxes: UnifiedSandbox[] = [];
function make(...args: ConstructorParameters<typeof UnifiedSandbox>): UnifiedSandbox {
  const sandbox = new UnifiedSandbox(...args);
  sandboxes.push(sandbox);
  return sandbox;
}
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});

const twoBackends = () => ({
  node: new FakeBackend({}, 'node', ['javascript', 'typescript']),
  wasm: new FakeBackend({}, 'wasm', ['javascript', 'wasm', 'wat']),
});

describe('UnifiedSandbox', () => {
  it('routes, runs and reports where and why', async () => {
    const backends = twoBackends();
    const sandbox = make({ backends });
    const result = await sandbox.execute({ language: 'javascript', code: 'print hi' });
    expect(result).toMatchObject({ status: 'ok', stdout: 'hi\n', backend: 'wasm' });
    expect(result.route).toEqual({ mode: 'hybrid', reason: expect.stringMatching(/^heuristic: small pure/) });
    expect(result.timing.totalMs).toBeGreaterThanOrEqual(result.timing.runMs);
    expect(backends.wasm.executions).toBe(1);
    expect(backends.node.executions).toBe(0);
  });

  it('denies obviously forbidden code before any backend runs', async () => {
    const backends = twoBackends();
    const sandbox = make({ backends });
    const result = await sandbox.execute({
      language: 'javascript',
      code: `require('child_process').execSync('id')`,
    });
    expect(result.status).toBe('denied');
    expect(result.error).toMatchObject({ kind: 'policy', message: expect.stringMatching(/child_process/) });
    expect(result.route?.reason).toMatch(/policy pre-check: allowProcesses/);
    expect(backends.node.executions + backends.wasm.executions).toBe(0);
    expect(sandbox.metrics().byStatus.denied).toBe(1);
  });

  it('falls back to the other backend when the chosen one reports itself unhealthy, and says so', async () => {
    const backends = twoBackends();
    backends.wasm.healthy = false;
    const sandbox = make({ backends, healthTtlMs: 60_000 });
    await sandbox.health(); // learn that wasm is sick
    const result = await sandbox.execute({ language: 'javascript', code: 'print hi' });
    expect(result.backend).toBe('node');
    expect(result.route?.reason).toMatch(/fallback: wasm unhealthy \(fake is sick\), ran on node/);
  });

  it('falls back when the chosen backend throws (unavailable), and says so', async () => {
    const backends = twoBackends();
    await backends.wasm.close(); // now it throws on execute
    const sandbox = make({ backends });
    const result = await sandbox.execute({ language: 'javascript', code: 'print hi' });
    expect(result).toMatchObject({ status: 'ok', backend: 'node' });
    expect(result.route?.reason).toMatch(/fallback: wasm failed \(fake backend is closed\), ran on node/);
  });

  it('does not fall back away from an explicitly chosen backend', async () => {
    const backends = twoBackends();
    await backends.wasm.close();
    const sandbox = make({ backends });
    await expect(
      sandbox.execute({ language: 'javascript', code: 'print hi', backend: 'wasm' }),
    ).rejects.toThrow(/closed/);
  });

  it('throws InvalidRequestError for a malformed request, naming the field', async () => {
    const sandbox = make({ backends: twoBackends() });
    const bad = [
      [{ language: 'cobol', code: 'x' }, 'language'],
      [{ language: 'javascript', code: 42 }, 'code'],
      [{ language: 'javascript', code: 'x', limits: { timeoutMs: -1 } }, 'limits.timeoutMs'],
      [{ language: 'javascript', code: 'x', backend: 'docker' }, 'backend'],
      [{ language: 'javascript', code: 'x', env: { A: 1 } }, 'env.A'],
    ] as const;
    for (const [request, field] of bad) {
      // biome-ignore lint/suspicious/noExplicitAny: deliberately malformed input
      const error = await sandbox.execute(request as any).catch((e: unknown) => e);
      expect(InvalidRequestError.isInstance(error), field).toBe(true);
      expect((error as InvalidRequestError).field).toBe(field);
    }
  });

  it('bounds concurrency and rejects with QueueFullError past the queue', async () => {
    const node = new FakeBackend();
    node.delayMs = 50;
    const sandbox = make({ backends: { node }, mode: 'node', maxConcurrency: 2, maxQueue: 3 });
    const accepted = Array.from({ length: 5 }, () =>
      sandbox.execute({ language: 'javascript', code: 'print x' }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(sandbox.metrics()).toMatchObject({ inFlight: 2, queueDepth: 3 });
    const error = await sandbox.execute({ language: 'javascript', code: 'print x' }).catch((e: unknown) => e);
    expect(QueueFullError.isInstance(error)).toBe(true);
    const results = await Promise.all(accepted);
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(Math.max(...results.map((r) => r.timing.queuedMs))).toBeGreaterThan(40);
  });

  it('returns a cancelled result when the signal fires while queued', async () => {
    const node = new FakeBackend();
    node.delayMs = 100;
    const sandbox = make({ backends: { node }, mode: 'node', maxConcurrency: 1 });
    const running = sandbox.execute({ language: 'javascript', code: 'print a' });
    const controller = new AbortController();
    const queued = sandbox.execute({ language: 'javascript', code: 'print b', signal: controller.signal });
    controller.abort();
    expect((await queued).status).toBe('cancelled');
    expect((await running).status).toBe('ok');
    expect(node.executions).toBe(1);
  });

  it('keeps metrics: totals, statuses, backends, percentiles', async () => {
    const sandbox = make({ backends: twoBackends() });
    await sandbox.execute({ language: 'javascript', code: 'print a' });
    await sandbox.execute({ language: 'javascript', code: 'throw no' });
    await sandbox.execute({ language: 'typescript', code: 'print b' });
    const metrics = sandbox.metrics();
    expect(metrics).toMatchObject({
      total: 3,
      successes: 2,
      failures: 1,
      byStatus: { ok: 2, error: 1 },
      byBackend: { wasm: 2, node: 1 },
      inFlight: 0,
      queueDepth: 0,
    });
    expect(metrics.latencyMs.samples).toBe(3);
    expect(metrics.latencyMs.p99).toBeGreaterThanOrEqual(metrics.latencyMs.p50);
  });

  it('aggregates backend health', async () => {
    const backends = twoBackends();
    const sandbox = make({ backends });
    expect((await sandbox.health()).healthy).toBe(true);
    backends.node.healthy = false;
    const health = await sandbox.health();
    expect(health.healthy).toBe(false);
    expect(health.backends.node).toMatchObject({ healthy: false, capabilities: { isolation: 'in-process' } });
    expect(health.backends.wasm?.healthy).toBe(true);
  });

  it('builds from config and applies its default limits', async () => {
    const node = new FakeBackend();
    const sandbox = UnifiedSandbox.fromConfig(
      loadConfig({ MCP_SANDBOX_BACKEND: 'node', MCP_TIMEOUT_MS: '120' }),
      {
        node,
      },
    );
    sandboxes.push(sandbox);
    const started = performance.now();
    const result = await sandbox.execute({ language: 'javascript', code: 'loop' });
    expect(result.status).toBe('timeout');
    expect(result.error?.message).toBe('deadline exceeded');
    expect(performance.now() - started).toBeLessThan(10_000); // a hang guard: the fake sleeps 120 ms
    expect(sandbox.mode).toBe('node');
  });

  it('refuses bad options with InvalidArgumentError, a mode without its backend, and work after close', async () => {
    const refused = (options: Parameters<typeof make>[0]) => {
      try {
        new UnifiedSandbox(options);
      } catch (error) {
        expect(InvalidArgumentError.isInstance(error)).toBe(true);
        return (error as InvalidArgumentError).argument;
      }
      throw new Error('accepted');
    };
    expect(refused({ backends: { node: new FakeBackend() }, mode: 'wasm' })).toBe('mode');
    expect(refused({ backends: {} })).toBe('backends');
    expect(refused({ backends: { node: new FakeBackend() }, wasmRatio: 2 })).toBe('wasmRatio');
    expect(refused({ backends: { 'Not A Kind': new FakeBackend() } })).toBe('backends');
    expect(refused({ backends: { node: new FakeBackend() }, order: ['wasm'] })).toBe('order');
    const old = Object.assign(new FakeBackend(), { specificationVersion: 'v0' }) as unknown as FakeBackend;
    expect(refused({ backends: { node: old } })).toBe('backends.node');
    expect(() =>
      UnifiedSandbox.fromConfig(loadConfig({ MCP_SANDBOX_BACKEND: 'quickjs' }), { node: new FakeBackend() }),
    ).toThrow(/MCP_SANDBOX_BACKEND="quickjs" is invalid; accepted: hybrid \| node/);
    const sandbox = make({ backends: twoBackends() });
    await sandbox.close();
    await expect(sandbox.execute({ language: 'javascript', code: 'print a' })).rejects.toThrow(/closed/);
  });

  it('takes any number of contributed kinds and languages, with fallback in preference order', async () => {
    const sick = new FakeBackend({}, 'alpha', ['javascript', 'lua']);
    const beta = new FakeBackend({}, 'beta', ['javascript', 'lua']);
    const sandbox = make({ backends: { alpha: sick, beta, node: new FakeBackend() } });
    expect(sandbox.kinds).toEqual(['alpha', 'beta', 'node']);
    expect(sandbox.languages()).toEqual(['javascript', 'lua', 'typescript']);
    const lua = await sandbox.execute({ language: 'lua', code: 'print hi' });
    expect(lua).toMatchObject({ status: 'ok', stdout: 'hi\n', backend: 'alpha' });
    sick.healthy = false;
    await sandbox.health();
    const moved = await sandbox.execute({ language: 'lua', code: 'print hi' });
    expect(moved.backend).toBe('beta');
    expect(moved.route?.reason).toMatch(/fallback: alpha unhealthy.*ran on beta/);
    await expect(sandbox.execute({ language: 'cobol', code: 'x' })).rejects.toThrow(
      /no configured backend runs 'cobol' \(configured languages: javascript, lua, typescript\)/,
    );
  });
});
