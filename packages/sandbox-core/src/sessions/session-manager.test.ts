import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, BackendCapabilities } from '../backend.js';
import { InvalidRequestError } from '../errors/invalid-request-error.js';
import { SessionError } from '../errors/session-error.js';
import type { ExecutionRequest, SessionState } from '../execution-request.js';
import { type ExecutionResult, emptyResult } from '../execution-result.js';
import { FakeBackend } from '../test-support/fake-backend.js';
import { UnifiedSandbox } from '../unified-sandbox.js';
import { SessionManager } from './session-manager.js';
import { MemorySessionStore } from './session-store.js';

/**
 * A backend whose whole "state" is a JSON object (its base bytes): `inc` adds one to `n`, `set:k=v`
 * sets a key, `fail` throws, `wait:ms` waits, `big` makes a large state. It keeps the base when
 * only `n` changes (the delta carries `n`), as a real backend keeps an unchanged base.
 */
class StateBackend implements Backend {
  readonly specificationVersion = 'v1';
  readonly name = 'stateful';
  active = 0;
  maxActive = 0;
  capabilities(): BackendCapabilities {
    return {
      languages: ['javascript'],
      isolation: 'in-process',
      networkIsolation: 'none',
      fuel: false,
      nodeApis: false,
      maxConcurrency: 8,
      sessions: true,
    };
  }
  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const restore = request.session?.restore;
      const state: Record<string, unknown> = restore ? JSON.parse(Buffer.from(restore.base).toString()) : {};
      if (restore?.delta) Object.assign(state, JSON.parse(Buffer.from(restore.delta).toString()));
      const code = String(request.code);
      if (code.startsWith('wait:')) await new Promise((r) => setTimeout(r, Number(code.slice(5))));
      if (code === 'fail') {
        state.n = -1;
        return emptyResult(this.name, 'error', { kind: 'Error', message: 'failed on purpose' });
      }
      let base = restore?.base;
      if (code === 'inc') state.n = Number(state.n ?? 0) + 1;
      if (code.startsWith('set:')) {
        const [k, v] = code.slice(4).split('=');
        state[k!] = v;
        base = undefined;
      }
      if (code === 'big') {
        state.big = 'x'.repeat(5000);
        base = undefined;
      }
      const result: ExecutionResult = { ...emptyResult(this.name, 'ok'), value: { ...state } };
      if (request.session?.save) {
        const { n, ...rest } = state;
        const newState: SessionState = {
          base: base ?? Buffer.from(JSON.stringify(rest)),
          delta: Buffer.from(JSON.stringify({ n })),
          engine: 'fake-engine',
        };
        result.state = newState;
      }
      return result;
    } finally {
      this.active--;
    }
  }
  async health() {
    return { healthy: true };
  }
  async close() {}
  async [Symbol.asyncDispose]() {}
}

const sandboxes: UnifiedSandbox[] = [];
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});
function make(sessions: ConstructorParameters<typeof UnifiedSandbox>[0]['sessions'] = {}) {
  const backend = new StateBackend();
  const sandbox = new UnifiedSandbox({
    backends: { node: new FakeBackend({}, 'node', ['javascript']), stateful: backend },
    sessions,
  });
  sandboxes.push(sandbox);
  return { sandbox, backend };
}
const js = (code: string, sessionId: string) => ({ language: 'javascript', code, sessionId }) as const;

describe('sessions', () => {
  it('carry state from call to call on the backend that keeps it, and only ok calls save', async () => {
    const { sandbox } = make();
    const session = await sandbox.createSession({ label: 'work' });
    expect(session).toMatchObject({ version: 0, calls: 0, label: 'work' });
    expect(session.id).toMatch(/^ses_[A-Za-z0-9_-]{32}$/);
    const one = await sandbox.execute(js('inc', session.id));
    expect(one).toMatchObject({ status: 'ok', backend: 'stateful', value: { n: 1 } });
    expect(one.session).toMatchObject({ id: session.id, version: 1, saved: true });
    expect('state' in one).toBe(false);
    const failed = await sandbox.execute(js('fail', session.id));
    expect(failed.session).toMatchObject({ saved: false, version: 1 });
    expect((await sandbox.execute(js('inc', session.id))).value).toEqual({ n: 2 });
    expect(await sandbox.sessions.get(session.id)).toMatchObject({ version: 2, calls: 3 });
  });

  it('runs one call at a time per session, and different sessions side by side', async () => {
    const { sandbox, backend } = make();
    const a = await sandbox.createSession();
    const calls = Array.from({ length: 5 }, () => sandbox.execute(js('wait:20', a.id)));
    await Promise.all(calls);
    expect(backend.maxActive).toBe(1);
    const b = await sandbox.createSession();
    const c = await sandbox.createSession();
    await Promise.all([sandbox.execute(js('wait:50', b.id)), sandbox.execute(js('wait:50', c.id))]);
    expect(backend.maxActive).toBe(2);
    // increments from concurrent callers are all kept, none lost
    await Promise.all(Array.from({ length: 10 }, () => sandbox.execute(js('inc', a.id))));
    expect((await sandbox.execute(js('inc', a.id))).value).toEqual({ n: 11 });
  });

  it('forks are independent copies of the last saved state', async () => {
    const { sandbox } = make();
    const a = await sandbox.createSession();
    await sandbox.execute(js('set:name=alpha', a.id));
    await sandbox.execute(js('inc', a.id));
    const b = await sandbox.forkSession(a.id);
    expect(b).toMatchObject({ forkedFrom: a.id, version: 2 });
    await sandbox.execute(js('set:name=beta', b.id));
    expect((await sandbox.execute(js('inc', a.id))).value).toEqual({ name: 'alpha', n: 2 });
    expect((await sandbox.execute(js('inc', b.id))).value).toEqual({ name: 'beta', n: 2 });
    await expect(sandbox.forkSession(`ses_${'Z'.repeat(32)}`)).rejects.toMatchObject({ reason: 'not_found' });
  });

  it('caps the number of sessions and the TTL a creator may ask for', async () => {
    const { sandbox } = make({ maxSessions: 2, maxTtlMs: 60_000 });
    const a = await sandbox.createSession();
    await sandbox.createSession();
    const full = await sandbox.createSession().catch((e: unknown) => e);
    expect(SessionError.isInstance(full) && full.reason).toBe('limit');
    await expect(sandbox.forkSession(a.id)).rejects.toMatchObject({ reason: 'limit' });
    expect(await sandbox.deleteSession(a.id)).toBe(true);
    await sandbox.createSession();
    await expect(sandbox.createSession({ ttlMs: 120_000 })).rejects.toThrow(InvalidRequestError);
  });

  it('expires idle sessions on the clock, and a call refreshes the expiry', async () => {
    let now = 1_000_000;
    const manager = new SessionManager({ ttlMs: 10_000, now: () => now, sweepIntervalMs: 0 });
    const { sandbox } = make(manager);
    const a = await sandbox.createSession();
    const b = await sandbox.createSession();
    now += 8_000;
    await sandbox.execute(js('inc', a.id));
    now += 8_000; // a was used 8 s ago, b 16 s ago
    expect((await sandbox.listSessions()).map((s) => s.id)).toEqual([a.id]);
    await expect(sandbox.execute(js('inc', b.id))).rejects.toMatchObject({ reason: 'not_found' });
    now += 20_000;
    await expect(manager.sweep()).resolves.toBeGreaterThanOrEqual(0);
    await expect(sandbox.execute(js('inc', a.id))).rejects.toMatchObject({ reason: 'not_found' });
  });

  it('refuses a second instance on a shared store while the first holds the call, then lets it in', async () => {
    const store = new MemorySessionStore();
    const first = make({ store });
    const second = make({ store });
    const session = await first.sandbox.createSession();
    const long = first.sandbox.execute(js('wait:200', session.id));
    await new Promise((r) => setTimeout(r, 50));
    await expect(second.sandbox.execute(js('inc', session.id))).rejects.toMatchObject({ reason: 'busy' });
    await long;
    expect((await second.sandbox.execute(js('inc', session.id))).value).toEqual({ n: 1 });
    // the first instance's cached state is stale now: it reads the new one from the store
    expect((await first.sandbox.execute(js('inc', session.id))).value).toEqual({ n: 2 });
  });

  it("renews a running call's lease past its estimate, and ends it with the call", async () => {
    let offset = 0;
    const now = () => Date.now() + offset;
    const store = new MemorySessionStore();
    const first = make({ store, now, leaseRenewMs: 20, defaultTimeoutMs: 100, sweepIntervalMs: 0 });
    const second = make({ store, now, sweepIntervalMs: 0 });
    const session = await first.sandbox.createSession();
    const long = first.sandbox.execute(js('wait:400', session.id));
    await new Promise((r) => setTimeout(r, 50));
    offset += 40_000; // past the first lease (100 ms estimate + 30 s grace): only a renewal holds it
    await new Promise((r) => setTimeout(r, 100));
    await expect(second.sandbox.execute(js('inc', session.id))).rejects.toMatchObject({ reason: 'busy' });
    expect((await long).session).toMatchObject({ saved: true, version: 1 });
    // no renewal lands after the call: the other instance gets in at once
    expect((await second.sandbox.execute(js('inc', session.id))).value).toEqual({ n: 1 });
  });

  it('keeps hot states within a byte budget, and reads evicted ones from the store', async () => {
    const { sandbox } = make({ stateCacheBytes: 24_000 });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const { id } = await sandbox.createSession();
      ids.push(id);
      await sandbox.execute(js('big', id));
      await sandbox.execute(js('inc', id));
      expect(sandbox.sessions.cachedStateBytes).toBeLessThanOrEqual(24_000);
    }
    expect(sandbox.sessions.cachedStateBytes).toBeGreaterThan(0);
    for (const id of ids) expect((await sandbox.execute(js('inc', id))).value).toMatchObject({ n: 2 });
  });

  it("refuses a state over the cap even from a backend that ignored it, keeping the session's last state", async () => {
    const { sandbox } = make({ maxStateBytes: 1000 });
    const session = await sandbox.createSession();
    await sandbox.execute(js('inc', session.id));
    const big = await sandbox.execute(js('big', session.id));
    expect(big.status).toBe('memory_limit');
    expect(big.error?.kind).toBe('session_state_limit');
    expect(big.session).toMatchObject({ saved: false, version: 1 });
    expect((await sandbox.execute(js('inc', session.id))).value).toEqual({ n: 2 });
  });

  it('names what is wrong: unknown ids, backends without sessions, a caller-set session field', async () => {
    const { sandbox } = make();
    await expect(sandbox.execute(js('inc', 'ses_nope'))).rejects.toMatchObject({ reason: 'not_found' });
    const s = await sandbox.createSession();
    await expect(sandbox.execute({ ...js('inc', s.id), backend: 'node' })).rejects.toThrow(
      /backend 'node' does not keep session state/,
    );
    await expect(sandbox.execute({ language: 'wat', code: '(module)', sessionId: s.id })).rejects.toThrow(
      /no configured backend keeps session state for wat/,
    );
    await expect(sandbox.execute({ ...js('inc', s.id), session: { save: true } })).rejects.toThrow(
      InvalidRequestError,
    );
    const plainOnly = new UnifiedSandbox({ backends: { node: new FakeBackend({}, 'node', ['javascript']) } });
    sandboxes.push(plainOnly);
    await expect(plainOnly.createSession()).rejects.toThrow(/no configured backend keeps session state/);
  });
});
