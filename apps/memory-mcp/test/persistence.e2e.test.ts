// Durability across restarts and crashes, with a real libSQL file and the real app process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exec, stdioClient } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-persist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const WAT = '(module (func (export "id") (param i32) (result i32) (local.get 0)))';

async function allExecutionIds(
  client: Awaited<ReturnType<typeof stdioClient>>['client'],
): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = (
      await client.callTool({
        name: 'list_executions',
        arguments: { limit: 200, ...(cursor ? { cursor } : {}) },
      })
    ).structuredContent as { items: Array<{ id: string }>; next_cursor?: string };
    for (const item of page.items) ids.add(item.id);
    cursor = page.next_cursor;
  } while (cursor);
  return ids;
}

describe('persistence', () => {
  it('lists all 100 executions after a restart on the same database', async () => {
    const db = join(dir, 'restart.db');
    const first = await stdioClient(db);
    const ids: string[] = [];
    for (let i = 0; i < 100; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, k) =>
          exec(first.client, { language: 'wat', code: WAT, entry: 'id', context: { input: [i + k] } }),
        ),
      );
      ids.push(...batch.map((r) => r.execution_id));
    }
    await first.client.close();
    const second = await stdioClient(db);
    const stored = await allExecutionIds(second.client);
    expect(stored.size).toBe(100);
    for (const id of ids) expect(stored.has(id)).toBe(true);
    await second.client.close();
  });

  it('a SIGKILLed app reopens its database with every acknowledged execution present', async () => {
    const db = join(dir, 'crash.db');
    const app = await stdioClient(db);
    const acknowledged: string[] = [];
    let stop = false;
    const load = Array.from({ length: 4 }, async (_, worker) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await exec(app.client, {
            language: 'wat',
            code: WAT,
            entry: 'id',
            context: { input: [worker * 1000 + i] },
          });
          acknowledged.push(r.execution_id);
        } catch {
          return; // the connection died with the process
        }
      }
    });
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 5));
    process.kill(app.pid, 'SIGKILL');
    stop = true;
    await Promise.allSettled(load);
    await app.client.close().catch(() => {});

    const reopened = await stdioClient(db);
    const stored = await allExecutionIds(reopened.client);
    for (const id of acknowledged) expect(stored.has(id), id).toBe(true);
    expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length);
    await reopened.client.close();
  });
});
