// Sessions in a real libSQL file, as two server instances sharing it see them: leases make one
// call at a time per session across instances, a call that kept its base rewrites only the delta,
// forks copy inside the database, expired sessions go, and nothing is half-written.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { type SessionInfo, SessionManager, type SessionState } from '@memory-mcp/sandbox-core';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-sessions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshUrl = () => `file:${join(dir, `sessions-${++n}.db`)}`;

const info = (id: string, now: number, ttlMs = 60_000): SessionInfo => ({
  id,
  createdAt: now,
  lastUsedAt: now,
  expiresAt: now + ttlMs,
  ttlMs,
  version: 0,
  calls: 0,
  stateBytes: 0,
});
const state = (base: string, delta?: string): SessionState => ({
  base: Buffer.from(base),
  ...(delta ? { delta: Buffer.from(delta) } : {}),
  engine: 'e'.repeat(64),
});
const id = (c: string) => `ses_${c.repeat(32)}`;

describe('SessionRepository (a real libSQL file, two instances)', () => {
  it('leases across instances: the second is refused while the first holds the call', async () => {
    const url = freshUrl();
    const one = await MemoryStore.open({ url });
    const two = await MemoryStore.open({ url });
    const now = Date.now();
    expect(await one.sessions.insert(info(id('a'), now), 10, now)).toBe(true);
    const taken = await one.sessions.lease(id('a'), 'instance-1', now + 5_000, now);
    expect(taken.kind).toBe('taken');
    expect((await two.sessions.lease(id('a'), 'instance-2', now + 5_000, now)).kind).toBe('busy');
    // the holder saves: the version moves on and the lease ends
    expect(
      await one.sessions.commit(id('a'), 'instance-1', {
        state: state('BASE-1', 'DELTA-1'),
        baseChanged: true,
        fromVersion: 0,
        now,
      }),
    ).toBe(true);
    const second = await two.sessions.lease(id('a'), 'instance-2', now + 5_000, now);
    expect(second).toMatchObject({ kind: 'taken', info: { version: 1, calls: 1, stateBytes: 13 } });
    expect(second.kind === 'taken' && Buffer.from(second.state!.base).toString()).toBe('BASE-1');
    // a lease that lapsed (a crashed holder) is taken over; the old holder's commit is then refused
    const later = now + 10_000;
    const third = await one.sessions.lease(id('a'), 'instance-1', later + 5_000, later);
    expect(third.kind).toBe('taken');
    expect(
      await two.sessions.commit(id('a'), 'instance-2', {
        state: state('LOST'),
        baseChanged: true,
        fromVersion: 1,
        now: later,
      }),
    ).toBe(false);
    await one.close();
    await two.close();
  });

  it('rewrites only the delta when the base was kept; a holder that has the version reads no blobs', async () => {
    const url = freshUrl();
    const store = await MemoryStore.open({ url });
    const now = Date.now();
    await store.sessions.insert(info(id('b'), now), 10, now);
    await store.sessions.lease(id('b'), 'me', now + 5_000, now);
    await store.sessions.commit(id('b'), 'me', {
      state: state('THE-BASE', 'd1'),
      baseChanged: true,
      fromVersion: 0,
      now,
    });
    await store.sessions.lease(id('b'), 'me', now + 5_000, now);
    // the base passed here is not written: only the delta column changes
    await store.sessions.commit(id('b'), 'me', {
      state: state('NOT-WRITTEN', 'd2'),
      baseChanged: false,
      fromVersion: 1,
      now,
    });
    const raw = createClient({ url });
    const layers = (
      await raw.execute({
        sql: `SELECT b.bytes AS base, d.bytes AS delta FROM sessions s JOIN session_bases b ON b.digest = s.base_digest
              JOIN session_deltas d ON d.session_id = s.id WHERE s.id = ?`,
        args: [id('b')],
      })
    ).rows.map((row) => [
      Buffer.from(row.base as ArrayBuffer).toString(),
      Buffer.from(row.delta as ArrayBuffer).toString(),
    ]);
    expect(layers).toEqual([['THE-BASE', 'd2']]);
    const version = (await raw.execute({ sql: 'SELECT version FROM sessions WHERE id = ?', args: [id('b')] }))
      .rows[0]!.version;
    expect(Number(version)).toBe(2);
    raw.close();
    const hot = await store.sessions.lease(id('b'), 'me', now + 5_000, now, 2);
    expect(hot.kind === 'taken' && hot.state).toBeUndefined();
    await store.close();
  });

  it('forks inside the database, caps the count, and drops expired sessions but never one mid-call', async () => {
    const store = await MemoryStore.open({ url: freshUrl() });
    const now = Date.now();
    await store.sessions.insert(info(id('c'), now, 1_000), 2, now);
    await store.sessions.lease(id('c'), 'me', now + 5_000, now);
    await store.sessions.commit(id('c'), 'me', {
      state: state('B', 'D'),
      baseChanged: true,
      fromVersion: 0,
      now,
    });
    expect(await store.sessions.fork(id('c'), { ...info(id('d'), now), forkedFrom: id('c') }, 2, now)).toBe(
      'ok',
    );
    expect(await store.sessions.get(id('d'), now)).toMatchObject({
      version: 1,
      forkedFrom: id('c'),
      stateBytes: 2,
    });
    // the fork shares the base (one row) and has its own copy of the delta
    const counts = await store.db.read(
      async (q) =>
        (
          await q.execute(
            'SELECT (SELECT count(*) FROM session_bases) AS bases, (SELECT count(*) FROM session_deltas) AS deltas',
          )
        ).rows[0]!,
    );
    expect([Number(counts.bases), Number(counts.deltas)]).toEqual([1, 2]);
    expect(await store.sessions.fork(id('c'), info(id('e'), now), 2, now)).toBe('full');
    expect(await store.sessions.fork(id('x'), info(id('e'), now), 5, now)).toBe('missing');
    // c expires at now + 1 s; while a call holds it, it stays
    const later = now + 2_000;
    await store.sessions.lease(id('c'), 'me', later + 5_000, now);
    expect(await store.sessions.deleteExpired(later)).toBe(0);
    await store.sessions.release(id('c'), 'me', now);
    expect(await store.sessions.deleteExpired(later)).toBe(1);
    expect(await store.sessions.get(id('c'), later)).toBeUndefined();
    expect((await store.sessions.list(later, 10)).map((s) => s.id)).toEqual([id('d')]);
    // the base outlives c because d still names it; it goes with the last session that does
    await store.sessions.delete(id('d'));
    const left = await store.db.read(
      async (q) => (await q.execute('SELECT (SELECT count(*) FROM session_bases) AS n')).rows[0]!.n,
    );
    expect(Number(left)).toBe(0);
    await store.close();
  });

  it('a manager per instance on one file: concurrent increments from both are all kept or refused, none lost', async () => {
    const url = freshUrl();
    const stores = [await MemoryStore.open({ url }), await MemoryStore.open({ url })];
    const managers = stores.map((store) => new SessionManager({ store: store.sessions, sweepIntervalMs: 0 }));
    const session = await managers[0]!.create();
    let kept = 0;
    let refused = 0;
    // the "backend" adds one to a counter held in the state's delta
    const bump = (m: SessionManager) =>
      m.run(session.id, { language: 'javascript', code: '' }, async (request) => {
        const before = request.session?.restore?.delta
          ? Number(Buffer.from(request.session.restore.delta).toString())
          : 0;
        await new Promise((r) => setTimeout(r, 2));
        return {
          status: 'ok',
          stdout: '',
          stderr: '',
          backend: 'test',
          truncated: false,
          timing: { queuedMs: 0, compileMs: 0, runMs: 0, totalMs: 0 },
          value: before + 1,
          state: { base: Buffer.from('base'), delta: Buffer.from(String(before + 1)), engine: 'e' },
        };
      });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        bump(managers[i % 2]!).then(
          () => kept++,
          (error: { reason?: string }) => {
            expect(error.reason).toBe('busy');
            refused++;
          },
        ),
      ),
    );
    expect(kept + refused).toBe(40);
    expect(kept).toBeGreaterThan(0);
    const final = await managers[0]!.get(session.id);
    expect(final.version).toBe(kept);
    // and each kept call started from the one before: the counter equals the number kept
    const last = await stores[1]!.sessions.lease(session.id, 'reader', Date.now() + 1000, Date.now());
    expect(last.kind === 'taken' && Buffer.from(last.state!.delta!).toString()).toBe(String(kept));
    for (const m of managers) m.close();
    for (const s of stores) await s.close();
  });
});
