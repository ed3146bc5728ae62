// The full-count store proof: 10,000 mixed writes (start_episode, log_step, execute_agent_code
// linked to an episode) with 100 in flight through the real app over stdio, then a clean close;
// then the same 10,000 split across 2 and across 4 app processes on one database file. Reports
// errors, what the database holds afterwards (read by another process), throughput and call
// latency. `BENCH_WRITES` and `BENCH_IN_FLIGHT` override the counts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fmt, report, rowsFor, summarize } from '../../../scripts/bench-lib.mjs';

const row = rowsFor('memory-mcp');
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TOTAL = Number(process.env.BENCH_WRITES ?? 10_000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 100);
// BENCH_MIX=store leaves out execute_agent_code, to see the store's own share of the cost.
const STORE_ONLY = process.env.BENCH_MIX === 'store';
const WAT = '(module (func (export "id") (param i32) (result i32) (local.get 0)))';
const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-store-bench-'));

async function startApp(db) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, '--db', db],
    env: { PATH: process.env.PATH ?? '', MCP_SANDBOX_BACKEND: 'wasm' },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'store-bench', version: '1.0.0' });
  await client.connect(transport);
  return { client, pid: transport.pid };
}

async function load(client, total, inFlight) {
  const seed = await client.callTool({ name: 'start_episode', arguments: { task: 'seed' } });
  const episodes = [seed.structuredContent.episode_id];
  const ack = { executions: [], episodes: [...episodes], steps: 0 };
  const latencies = [];
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const episodeId = ack.episodes[i % ack.episodes.length];
      const t0 = performance.now();
      try {
        if (i % 3 === 0) {
          const r = await client.callTool({ name: 'start_episode', arguments: { task: `task ${i}` } });
          ack.episodes.push(r.structuredContent.episode_id);
        } else if (i % 3 === 1 || STORE_ONLY) {
          await client.callTool({
            name: 'log_step',
            arguments: { episode_id: episodeId, action: `step ${i}` },
          });
          ack.steps++;
        } else {
          const r = await client.callTool({
            name: 'execute_agent_code',
            arguments: {
              language: 'wat',
              code: WAT,
              entry: 'id',
              context: { input: [i] },
              episode_id: episodeId,
            },
          });
          ack.executions.push(r.structuredContent.execution_id);
        }
        latencies.push(performance.now() - t0);
      } catch (error) {
        errors++;
        if (errors <= 3) console.error(`error: ${error.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { ack, latencies, errors };
}

/** Counts what is in the database with a plain libSQL connection, as any other process would. */
async function stored(db, ack) {
  const client = createClient({ url: `file:${db}` });
  const count = async (sql, ids) => {
    let n = 0;
    for (let i = 0; i < Math.max(ids.length, 1); i += 500) {
      const chunk = ids.slice(i, i + 500);
      const text = ids.length ? sql.replace('(?)', `(${chunk.map(() => '?').join(',')})`) : sql;
      n += Number(Object.values((await client.execute({ sql: text, args: chunk })).rows[0])[0]);
      if (!ids.length) break;
    }
    return n;
  };
  const result = {
    executions: await count('SELECT COUNT(*) FROM executions WHERE id IN (?)', ack.executions),
    episodes: await count('SELECT COUNT(*) FROM episodes WHERE id IN (?)', ack.episodes),
    steps: await count('SELECT COUNT(*) FROM steps', []),
  };
  client.close();
  return result;
}

const rows = [];
for (const processes of [1, 2, 4]) {
  const db = join(dir, `load-${processes}.db`);
  const apps = await Promise.all(Array.from({ length: processes }, () => startApp(db)));
  const t0 = performance.now();
  const runs = await Promise.all(
    apps.map((app) => load(app.client, Math.ceil(TOTAL / processes), Math.ceil(IN_FLIGHT / processes))),
  );
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(apps.map((app) => app.client.close()));
  const ack = {
    executions: runs.flatMap((r) => r.ack.executions),
    episodes: runs.flatMap((r) => r.ack.episodes),
    steps: runs.reduce((n, r) => n + r.ack.steps, 0),
  };
  const errors = runs.reduce((n, r) => n + r.errors, 0);
  const acknowledged = ack.executions.length + ack.episodes.length + ack.steps;
  const inDb = await stored(db, ack);
  const present = inDb.executions + inDb.episodes + inDb.steps;
  const s = summarize(runs.flatMap((r) => r.latencies));
  const label = `${TOTAL} mixed writes, ${IN_FLIGHT} in flight, ${processes} app process${processes > 1 ? 'es' : ''} on one file`;
  console.error(
    `${label}: ${errors} errors, ${acknowledged} acknowledged, ${present} present after close, ${fmt(acknowledged / seconds)} writes/s, call p50 ${fmt(s.median)} ms, p95 ${fmt(s.p95)} ms`,
  );
  rows.push(
    row(`${label}: call latency`, s, {
      note: `${errors} errors; ${present}/${acknowledged} acknowledged present; ${fmt(acknowledged / seconds)} writes/s`,
    }),
  );
  if (errors > 0 || present !== acknowledged) process.exitCode = 1;
}
report(rows);
rmSync(dir, { recursive: true, force: true });
