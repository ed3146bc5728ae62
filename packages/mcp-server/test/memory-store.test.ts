import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { emptyResult } from '@memory-mcp/sandbox-core';
import { afterAll, describe, expect, it } from 'vitest';
import { ftsQuery, MemoryStore, MIGRATIONS, StoreUnavailableError } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshUrl = () => `file:${join(dir, `db-${++n}.db`)}`;

/** Reads through a separate connection, as another process would after this one exits. */
async function outsideCount(url: string, sql: string): Promise<number> {
  const other = createClient({ url });
  try {
    return Number(Object.values((await other.execute(sql)).rows[0]!)[0]);
  } finally {
    other.close();
  }
}

describe('MemoryStore (a real libSQL file)', () => {
  it('applies numbered migrations once, in WAL mode, and keeps data across reopen', async () => {
    const url = freshUrl();
    const first = await MemoryStore.open({ url });
    const mode = await first.db.read(
      async (q) => (await q.execute('PRAGMA journal_mode')).rows[0]!.journal_mode,
    );
    expect(mode).toBe('wal');
    const busy = await first.db.read(
      async (q) => Object.values((await q.execute('PRAGMA busy_timeout')).rows[0]!)[0],
    );
    expect(Number(busy)).toBe(5000);
    const id = await first.executions.record({
      language: 'wat',
      code: '(module)',
      result: emptyResult('wasm', 'ok'),
    });
    await first.close();
    await expect(first.executions.get(id)).rejects.toMatchObject({ state: 'closed' });
    await using second = await MemoryStore.open({ url });
    expect(await outsideCount(url, 'SELECT COUNT(*) FROM schema_migrations')).toBe(MIGRATIONS.length);
    expect((await second.executions.get(id))?.status).toBe('ok');
  });

  it('stores file outputs as base64 and code by hash', async () => {
    await using store = await MemoryStore.open({ url: freshUrl() });
    const result = { ...emptyResult('wasm', 'ok'), files: { '/out.txt': new TextEncoder().encode('hi') } };
    const id = await store.executions.record({ language: 'wat', code: 'abc', result });
    const stored = await store.executions.get(id);
    expect(stored?.result.files).toEqual({ '/out.txt': Buffer.from('hi').toString('base64') });
    expect(stored?.codeSha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('refuses steps on unknown or completed episodes, and executions of unknown episodes', async () => {
    await using store = await MemoryStore.open({ url: freshUrl() });
    await expect(store.episodes.logStep('nope', { action: 'x' })).rejects.toMatchObject({
      field: 'episode_id',
    });
    await expect(
      store.executions.record({ episodeId: 'nope', language: 'wat', result: emptyResult('wasm', 'ok') }),
    ).rejects.toMatchObject({ field: 'episode_id' });
    const episode = await store.episodes.start({ task: 't' });
    await store.episodes.complete(episode.id, { outcome: 'failure' });
    await expect(store.episodes.logStep(episode.id, { action: 'late' })).rejects.toThrow(/already completed/);
    await expect(store.episodes.complete(episode.id, { outcome: 'success' })).rejects.toThrow(
      /already completed/,
    );
  });

  it('stores and returns text byte for byte, NUL characters included', async () => {
    await using store = await MemoryStore.open({ url: freshUrl() });
    const text = (s: string) => `before\u0000${s}\u0000after é 🦀`;
    const episode = await store.episodes.start({
      task: text('task'),
      domain: text('domain'),
      taskType: text('type'),
      context: { note: text('context') },
    });
    await store.episodes.logStep(episode.id, { action: text('action'), outcome: text('outcome') });
    await store.episodes.complete(episode.id, { outcome: 'success', notes: text('notes') });
    const back = (await store.episodes.get(episode.id))!;
    expect(back).toMatchObject({
      task: text('task'),
      domain: text('domain'),
      taskType: text('type'),
      context: { note: text('context') },
      notes: text('notes'),
    });
    expect(await store.episodes.steps(episode.id)).toEqual([
      expect.objectContaining({ action: text('action'), outcome: text('outcome') }),
    ]);
    expect((await store.episodes.query({ domain: text('domain') })).map((e) => e.id)).toEqual([episode.id]);
    const patterns = await store.patterns.analyze({ taskType: text('type') });
    expect(patterns.stepSequences[0]!.sequence).toEqual([text('action')]);
    const id = await store.executions.record({
      language: 'javascript',
      code: 'x',
      result: { ...emptyResult('node', 'ok'), stdout: text('stdout') },
    });
    expect((await store.executions.get(id))!.result.stdout).toBe(text('stdout'));
  });

  it('a query with no word in it matches nothing, not everything', async () => {
    await using store = await MemoryStore.open({ url: freshUrl() });
    await store.episodes.start({ task: 'parse a CSV file' });
    for (const query of ['🦀', '*', '"', '-- OR --', '()'])
      expect(await store.episodes.query({ query })).toEqual([]);
    expect(await store.episodes.query({ query: 'csv' })).toHaveLength(1);
    expect(await store.episodes.query({})).toHaveLength(1);
  });

  it('builds safe full-text queries from free text', () => {
    expect(ftsQuery('parse "CSV" -- AND OR files*')).toBe('"parse" OR "CSV" OR "AND" OR "OR" OR "files"');
    expect(ftsQuery('  !!  ')).toBeUndefined();
  });

  it('1,000 mixed writes with 100 in flight: no errors, every acknowledged write visible outside', async () => {
    const url = freshUrl();
    const store = await MemoryStore.open({ url });
    const episodes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.episodes.start({ task: `e${i}` })),
    );
    const acknowledged = { executions: [] as string[], steps: 0, episodes: episodes.length };
    const errors: unknown[] = [];
    let next = 0;
    const worker = async () => {
      while (next < 1000) {
        const i = next++;
        const episodeId = episodes[i % episodes.length]!.id;
        try {
          if (i % 3 === 0) {
            await store.episodes.logStep(episodeId, { action: `step ${i}` });
            acknowledged.steps++;
          } else if (i % 3 === 1) {
            acknowledged.executions.push(
              await store.executions.record({
                episodeId,
                language: 'wat',
                result: emptyResult('wasm', 'ok'),
              }),
            );
          } else {
            await store.episodes.start({ task: `task ${i}` });
            acknowledged.episodes++;
          }
        } catch (error) {
          errors.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: 100 }, worker));
    expect(errors).toEqual([]);
    await store.close();
    expect(await outsideCount(url, 'SELECT COUNT(*) FROM executions')).toBe(acknowledged.executions.length);
    expect(await outsideCount(url, 'SELECT COUNT(*) FROM steps')).toBe(acknowledged.steps);
    expect(await outsideCount(url, 'SELECT COUNT(*) FROM episodes')).toBe(acknowledged.episodes);
  });

  it('waits out another process holding the write lock; writes made meanwhile are committed, not stranded', async () => {
    const url = freshUrl();
    await using store = await MemoryStore.open({ url });
    // Another process takes the write lock and keeps it for 300 ms.
    const holder = spawn(
      process.execPath,
      [fileURLToPath(new URL('./fixtures/hold-write-lock.mjs', import.meta.url)), url, '300'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines = createInterface({ input: holder.stdout! })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('locked');
    const pending = Array.from({ length: 20 }, (_, i) => store.episodes.start({ task: `while locked ${i}` }));
    const written = await Promise.all(pending);
    expect((await lines.next()).value).toBe('committed');
    // A write after the contended ones: with the old client this one was acknowledged but stayed
    // inside a transaction that a statement failed with SQLITE_BUSY had left open.
    const after = await store.episodes.start({ task: 'after the lock' });
    expect(written).toHaveLength(20);
    expect(await outsideCount(url, 'SELECT COUNT(*) FROM episodes')).toBe(21);
    expect(await outsideCount(url, `SELECT COUNT(*) FROM episodes WHERE id = '${after.id}'`)).toBe(1);
    expect(await outsideCount(url, 'SELECT COUNT(*) FROM store_probe WHERE id = 42')).toBe(1);
  });

  it('reports a database at its size cap as full, and refuses writes with a typed error', async () => {
    await using store = await MemoryStore.open({ url: freshUrl(), maxSizeBytes: 256 * 1024 });
    expect((await store.state()).state).toBe('ok');
    const big = 'x'.repeat(8_000);
    let error: unknown;
    for (let i = 0; i < 200 && !error; i++)
      await store.episodes.start({ task: big }).catch((e: unknown) => {
        error = e;
      });
    expect(StoreUnavailableError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ state: 'full' });
    const state = await store.state();
    expect(state.state).toBe('full');
    await expect(store.assertWritable(64 * 1024)).rejects.toMatchObject({ state: 'full' });
  });

  it('a file that is not a database is refused as unreachable', async () => {
    const path = join(dir, 'not-a-db.txt');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, 'hello, this is not SQLite\n'.repeat(100));
    await expect(MemoryStore.open({ url: `file:${path}` })).rejects.toMatchObject({
      name: 'StoreUnavailableError',
      state: 'unreachable',
    });
  });

  it('two processes opening a fresh database at the same instant, 50 times: no failures', async () => {
    const script = fileURLToPath(new URL('./fixtures/open-on-cue.mjs', import.meta.url));
    const children = [0, 1].map(() =>
      spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const lines = children.map((child) => createInterface({ input: child.stdout! })[Symbol.asyncIterator]());
    const outcomes: string[] = [];
    try {
      for (let round = 0; round < 50; round++) {
        const cue = `${JSON.stringify({ url: freshUrl(), at: Date.now() + 150 })}\n`;
        for (const child of children) child.stdin!.write(cue);
        for (const line of lines) outcomes.push(String((await line.next()).value));
      }
    } finally {
      for (const child of children) child.kill();
    }
    expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
    expect(outcomes).toHaveLength(100);
  });
});
