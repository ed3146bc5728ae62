// JavaScript sessions end to end: the real app over stdio with the SDK client, a real libSQL file,
// the jailed wasm executors. State set in one call is read in the next, survives a restart of the
// server, forks into an independent copy, and failed calls leave it as it was.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, describe, expect, it } from 'vitest';
import { exec, stdioClient } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-sessions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Client = Awaited<ReturnType<typeof stdioClient>>['client'];
type Session = {
  session_id: string;
  version: number;
  calls: number;
  state_bytes: number;
  forked_from: string | null;
};

async function tool(client: Client, name: string, args: Record<string, unknown> = {}) {
  const answer = await client.callTool({ name, arguments: args });
  return answer.structuredContent as Record<string, unknown>;
}

const run = (client: Client, sessionId: string, code: string, extra: Record<string, unknown> = {}) =>
  exec(client, { language: 'javascript', code, session_id: sessionId, ...extra });

describe('sessions over stdio', () => {
  it('keeps a global across calls and a restart, forks independently, and refuses what it must', async () => {
    const db = join(dir, 'sessions.db');
    let app = await stdioClient(db);
    const tools = (await app.client.listTools()).tools.map((t) => t.name);
    for (const name of ['create_session', 'fork_session', 'list_sessions', 'delete_session'])
      expect(tools).toContain(name);

    const session = (await tool(app.client, 'create_session', { label: 'analysis' })) as unknown as Session;
    expect(session.session_id).toMatch(/^ses_[A-Za-z0-9_-]{32}$/);
    expect(session.version).toBe(0);
    const id = session.session_id;

    // step 1: load and clean data; step 2: analyse what step 1 left
    const load = await run(
      app.client,
      id,
      'globalThis.rows = [3, 1, 4, 1, 5, 9, 2, 6].map((v, i) => ({ i, v })); globalThis.counter = 1; return rows.length',
    );
    expect(load.status).toBe('ok');
    expect(load.value).toBe(8);
    expect(load.session).toMatchObject({ id, version: 1, saved: true });
    const analyse = await run(
      app.client,
      id,
      'counter += 1; return { counter, max: Math.max(...rows.map((r) => r.v)) }',
    );
    expect(analyse.value).toEqual({ counter: 2, max: 9 });

    // a failed call leaves the session as it was: a throw, an out-of-fuel loop, a timeout
    const thrown = await run(app.client, id, 'counter = 1000; throw new Error("boom")');
    expect(thrown.status).toBe('error');
    expect(thrown.session).toMatchObject({ saved: false, version: 2 });
    const spun = await run(app.client, id, 'counter = 2000; for (;;) {}', { limits: { fuel: 2_000_000 } });
    expect(spun.status).toBe('out_of_fuel');
    expect((await run(app.client, id, 'return counter')).value).toBe(2);

    // session-less calls and other sessions see none of it
    expect((await exec(app.client, { language: 'javascript', code: 'return typeof counter' })).value).toBe(
      'undefined',
    );
    const other = (await tool(app.client, 'create_session')) as unknown as Session;
    expect((await run(app.client, other.session_id, 'return typeof rows')).value).toBe('undefined');

    // restart the server on the same database: the session resumes where it was
    await app.client.close();
    app = await stdioClient(db);
    expect((await run(app.client, id, 'counter += 1; return counter')).value).toBe(3);

    // fork, then change the fork: the original does not move
    const fork = (await tool(app.client, 'fork_session', { session_id: id })) as unknown as Session;
    expect(fork.forked_from).toBe(id);
    expect(fork.session_id).not.toBe(id);
    expect(
      (await run(app.client, fork.session_id, 'counter = 100; rows.push({ i: 8, v: 99 }); return counter'))
        .value,
    ).toBe(100);
    expect((await run(app.client, id, 'return [counter, rows.length]')).value).toEqual([3, 8]);
    expect((await run(app.client, fork.session_id, 'return [counter, rows.length]')).value).toEqual([100, 9]);

    const listed = (await tool(app.client, 'list_sessions')).sessions as Session[];
    expect(listed.map((s) => s.session_id)).toEqual(
      expect.arrayContaining([id, fork.session_id, other.session_id]),
    );
    const mine = listed.find((s) => s.session_id === id)!;
    expect(mine.version).toBeGreaterThanOrEqual(4);
    expect(mine.state_bytes).toBeGreaterThan(0);

    // deleted: its id stops working at once, for runs and forks
    expect(await tool(app.client, 'delete_session', { session_id: fork.session_id })).toEqual({
      session_id: fork.session_id,
      deleted: true,
    });
    await expect(run(app.client, fork.session_id, 'return 1')).rejects.toThrow(/no live session/);
    await expect(tool(app.client, 'fork_session', { session_id: fork.session_id })).rejects.toThrow(
      /no live session/,
    );
    // a made-up id is refused the same way, and a malformed one by the schema
    await expect(run(app.client, `ses_${'A'.repeat(32)}`, 'return 1')).rejects.toThrow(/no live session/);
    await expect(run(app.client, 'ses_../../etc', 'return 1')).rejects.toThrow(/session id/);
    await app.client.close();
  }, 300_000);

  it('refuses a tampered or foreign state with a clear error and leaves the server serving', async () => {
    const db = join(dir, 'tamper.db');
    let app = await stdioClient(db);
    const id = ((await tool(app.client, 'create_session')) as unknown as Session).session_id;
    await run(app.client, id, 'globalThis.secret = "kept"; globalThis.big = "x".repeat(200000); return 1');
    await app.client.close();

    // edit the saved state in the database, as someone with write access to it could
    const file = createClient({ url: `file:${db}` });
    const layer = {
      sql: 'SELECT b.digest, b.bytes FROM sessions s JOIN session_bases b ON b.digest = s.base_digest WHERE s.id = ?',
      args: [id],
    };
    const stored = (await file.execute(layer)).rows[0]!;
    const base = new Uint8Array(stored.bytes as ArrayBuffer);
    const flipped = base.slice();
    const at = flipped.length - 3;
    flipped[at] = flipped[at]! ^ 0x55;
    await file.execute({
      sql: 'UPDATE session_bases SET bytes = ? WHERE digest = ?',
      args: [flipped, String(stored.digest)],
    });
    // what another engine version would have written: another identity in the head, and a digest
    // (SHA-256 of the whole layer but the digest field, bytes 36..68) that matches it
    const foreign = base.slice();
    foreign[10] = foreign[10]! ^ 0x01; // the engine identity in the head
    foreign.set(
      createHash('sha256').update(foreign.subarray(0, 36)).update(foreign.subarray(68)).digest(),
      36,
    );
    const forkId = `ses_${'B'.repeat(32)}`;
    await file.execute({
      sql: "INSERT INTO session_bases (digest, bytes) VALUES ('foreign', ?)",
      args: [foreign],
    });
    await file.execute({
      sql: `INSERT INTO sessions (id, created_at, last_used_at, expires_at, ttl_ms, version, engine, base_digest, state_bytes)
            SELECT ?, created_at, last_used_at, expires_at, ttl_ms, version, engine, 'foreign', state_bytes FROM sessions WHERE id = ?`,
      args: [forkId, id],
    });
    file.close();

    app = await stdioClient(db);
    const tampered = await run(app.client, id, 'return secret');
    expect(tampered.status).toBe('error');
    expect((tampered.error as { kind: string }).kind).toBe('session_state_invalid');
    const wrongEngine = await run(app.client, forkId, 'return secret');
    expect(wrongEngine.status).toBe('error');
    expect((wrongEngine.error as { kind: string }).kind).toBe('session_engine_mismatch');
    // the server still serves, sessions and plain calls alike
    expect((await exec(app.client, { language: 'javascript', code: 'return 6 * 7' })).value).toBe(42);
    const fresh = ((await tool(app.client, 'create_session')) as unknown as Session).session_id;
    expect((await run(app.client, fresh, 'globalThis.a = 1; return a')).value).toBe(1);
    await app.client.close();
  }, 300_000);

  it('caps the number of sessions and the size of a state, and removes expired sessions', async () => {
    const db = join(dir, 'limits.db');
    const app = await stdioClient(db, {
      MEMORY_MCP_SESSIONS_MAX: '2',
      MEMORY_MCP_SESSION_STATE_MB: '1',
      MEMORY_MCP_SESSION_TTL_MS: '1500',
    });
    const a = ((await tool(app.client, 'create_session')) as unknown as Session).session_id;
    await tool(app.client, 'create_session', { ttl_seconds: 1 });
    await expect(tool(app.client, 'create_session')).rejects.toThrow(/sessions, the most allowed/);

    // a state over 1 MiB compressed is not kept; the session stays at its last good state
    expect((await run(app.client, a, 'globalThis.n = 1; return n')).session).toMatchObject({ saved: true });
    const huge = await run(
      app.client,
      a,
      'globalThis.n = 2; globalThis.noise = Array.from({ length: 24 }, () => crypto.getRandomValues(new Uint8Array(65536))); return noise.length',
      { limits: { timeoutMs: 120_000 } },
    );
    expect(huge.status).toBe('memory_limit');
    expect((huge.error as { kind: string }).kind).toBe('session_state_limit');
    expect(huge.session).toMatchObject({ saved: false });
    expect((await run(app.client, a, 'return [n, typeof noise]')).value).toEqual([1, 'undefined']);

    // idle past the TTL: gone from the list and refused, and a new session fits again
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(((await tool(app.client, 'list_sessions')).sessions as Session[]).length).toBe(0);
    await expect(run(app.client, a, 'return n')).rejects.toThrow(/no live session/);
    await tool(app.client, 'create_session');
    await app.client.close();
  }, 300_000);
});
