// Nothing acknowledged is lost: real app processes, a real libSQL file, the SDK's real Client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mixedLoad, stdioClient, storedCounts } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-reliability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The full 10,000-write run is `pnpm --filter memory-mcp bench:store`; CI runs 1,000 per case.
const TOTAL = 1_000;
const IN_FLIGHT = 100;
// Several app processes at once cost CPU the 2-core CI machine does not have: 600 writes in all.
const SHARED_TOTAL = 600;
// WAT runs on wasm: the node backend's process pool is not needed here.
const ENV = { MCP_SANDBOX_BACKEND: 'wasm' };

const exited = (pid: number) =>
  new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      try {
        process.kill(pid, 0);
      } catch {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });

describe('the store under load, through real app processes', () => {
  it(`${TOTAL} mixed writes, ${IN_FLIGHT} in flight, then a clean close: 0 errors, all present`, async () => {
    const db = join(dir, 'clean.db');
    const app = await stdioClient(db, ENV);
    const { acknowledged, errors } = await mixedLoad(app.client, { total: TOTAL, inFlight: IN_FLIGHT });
    expect(errors.map((e) => String(e.error))).toEqual([]);
    await app.client.close();
    await exited(app.pid);
    const stored = await storedCounts(db, acknowledged);
    expect(stored).toEqual({
      executions: acknowledged.executions.length,
      episodes: acknowledged.episodes.length,
      steps: acknowledged.steps,
      acknowledgedSteps: acknowledged.steps,
    });
  });

  it('SIGTERM in the middle: every call in flight is answered, every acknowledged write present', async () => {
    const db = join(dir, 'sigterm.db');
    const app = await stdioClient(db, ENV);
    let acks = 0;
    let termAt = Number.POSITIVE_INFINITY;
    const load = mixedLoad(app.client, { total: TOTAL, inFlight: IN_FLIGHT, onAck: () => acks++ });
    while (acks < TOTAL / 3) await new Promise((r) => setTimeout(r, 5));
    termAt = performance.now();
    process.kill(app.pid, 'SIGTERM');
    const { acknowledged, errors } = await load;
    // Calls sent before the signal were all answered with their result; only later ones may fail.
    expect(errors.filter((e) => e.startedAt < termAt).map((e) => String(e.error))).toEqual([]);
    await exited(app.pid);
    const stored = await storedCounts(db, acknowledged);
    expect(stored).toEqual({
      executions: acknowledged.executions.length,
      episodes: acknowledged.episodes.length,
      steps: acknowledged.steps,
      acknowledgedSteps: acknowledged.steps,
    });
  });

  it('SIGKILL in the middle: every acknowledged write present', async () => {
    const db = join(dir, 'sigkill.db');
    const app = await stdioClient(db, ENV);
    let acks = 0;
    const load = mixedLoad(app.client, { total: TOTAL, inFlight: IN_FLIGHT, onAck: () => acks++ });
    while (acks < TOTAL / 3) await new Promise((r) => setTimeout(r, 5));
    process.kill(app.pid, 'SIGKILL');
    const { acknowledged } = await load;
    await exited(app.pid);
    expect(acknowledged.executions.length + acknowledged.steps).toBeGreaterThan(TOTAL / 6);
    const stored = await storedCounts(db, acknowledged);
    expect(stored).toMatchObject({
      executions: acknowledged.executions.length,
      episodes: acknowledged.episodes.length,
      acknowledgedSteps: acknowledged.steps,
    });
    // A call in flight at the kill may have committed without its answer getting out: it may be
    // there or not, and nothing else may be.
    expect(stored.steps).toBeGreaterThanOrEqual(acknowledged.steps);
    expect(stored.steps).toBeLessThanOrEqual(acknowledged.steps + IN_FLIGHT);
  });

  for (const processes of [2, 4]) {
    it(`${processes} app processes on one database file, writing at once: 0 errors, nothing lost`, async () => {
      const db = join(dir, `shared-${processes}.db`);
      const apps = await Promise.all(Array.from({ length: processes }, () => stdioClient(db, ENV)));
      const runs = await Promise.all(
        apps.map((app) =>
          mixedLoad(app.client, { total: Math.ceil(SHARED_TOTAL / processes), inFlight: 50 }),
        ),
      );
      await Promise.all(apps.map((app) => app.client.close()));
      await Promise.all(apps.map((app) => exited(app.pid)));
      expect(runs.flatMap((r) => r.errors.map((e) => String(e.error)))).toEqual([]);
      const all = {
        executions: runs.flatMap((r) => r.acknowledged.executions),
        episodes: runs.flatMap((r) => r.acknowledged.episodes),
        steps: runs.reduce((n, r) => n + r.acknowledged.steps, 0),
        // each app's load names its steps `step <i>` from 0: one name, looked up once, finds them all
        stepActions: [...new Set(runs.flatMap((r) => r.acknowledged.stepActions))],
      };
      expect(await storedCounts(db, all)).toEqual({
        executions: all.executions.length,
        episodes: all.episodes.length,
        steps: all.steps,
        acknowledgedSteps: all.steps,
      });
    });
  }
});
