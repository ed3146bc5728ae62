import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyResult } from '@memory-mcp/sandbox-core';
import { afterAll, describe, expect, it } from 'vitest';
import { ftsQuery, MemoryStore, MIGRATIONS } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('MemoryStore (a real libSQL file)', () => {
  it('applies numbered migrations once, in WAL mode, and keeps data across reopen', async () => {
    const url = `file:${join(dir, 'a.db')}`;
    const first = await MemoryStore.open({ url });
    expect((await first.client.execute('PRAGMA journal_mode')).rows[0]!.journal_mode).toBe('wal');
    const versions = (await first.client.execute('SELECT version FROM schema_migrations')).rows.map((r) =>
      Number(r.version),
    );
    expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    const id = await first.recordExecution({
      language: 'wat',
      code: '(module)',
      result: emptyResult('wasm', 'ok'),
    });
    first.close();
    const second = await MemoryStore.open({ url });
    expect(await second.migrate()).toEqual([]);
    expect((await second.getExecution(id))?.status).toBe('ok');
    second.close();
  });

  it('stores file outputs as base64 and code by hash', async () => {
    const store = await MemoryStore.open({ url: `file:${join(dir, 'b.db')}` });
    const result = { ...emptyResult('wasm', 'ok'), files: { '/out.txt': new TextEncoder().encode('hi') } };
    const id = await store.recordExecution({ language: 'wat', code: 'abc', result });
    const stored = await store.getExecution(id);
    expect(stored?.result.files).toEqual({ '/out.txt': Buffer.from('hi').toString('base64') });
    expect(stored?.code_sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    store.close();
  });

  it('refuses steps on unknown or completed episodes', async () => {
    const store = await MemoryStore.open({ url: `file:${join(dir, 'c.db')}` });
    await expect(store.logStep('nope', { action: 'x' })).rejects.toMatchObject({ field: 'episode_id' });
    const episode = await store.startEpisode({ task: 't' });
    await store.completeEpisode(episode.id, { outcome: 'failure' });
    await expect(store.logStep(episode.id, { action: 'late' })).rejects.toThrow(/already completed/);
    await expect(store.completeEpisode(episode.id, { outcome: 'success' })).rejects.toThrow(
      /already completed/,
    );
    store.close();
  });

  it('builds safe full-text queries from free text', () => {
    expect(ftsQuery('parse "CSV" -- AND OR files*')).toBe('"parse" OR "CSV" OR "AND" OR "OR" OR "files"');
    expect(ftsQuery('  !!  ')).toBeUndefined();
  });
});
