// Start-up as an MCP client sees it: launch the app over stdio, time `initialize`, then the first
// pure-JavaScript call (hybrid mode routes it to the wasm backend), then the second. Each launch
// has a fresh database; `BENCH_LAUNCHES` overrides the count.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fmt, report, rowsFor, summarize } from '../../../scripts/bench-lib.mjs';

const row = rowsFor('memory-mcp');
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const LAUNCHES = Number(process.env.BENCH_LAUNCHES ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-startup-bench-'));
const samples = { initialize: [], first: [], second: [] };

async function call(client, code) {
  const result = await client.callTool({
    name: 'execute_agent_code',
    arguments: { language: 'javascript', code },
  });
  const status = result.structuredContent?.status;
  if (status !== 'ok')
    throw new Error(`call failed: ${JSON.stringify(result.structuredContent ?? result.content)}`);
  return result.structuredContent;
}

for (let i = 0; i < LAUNCHES; i++) {
  const launched = performance.now();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, '--db', join(dir, `launch-${i}.db`)],
    env: { PATH: process.env.PATH ?? '' },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'startup-bench', version: '1' });
  await client.connect(transport);
  const initialized = performance.now();
  const first = await call(client, 'return [1, 2, 3].map((x) => x * 2);');
  const firstDone = performance.now();
  if (first.backend !== 'wasm') throw new Error(`pure JS went to ${first.backend}`);
  await call(client, 'return "second";');
  const secondDone = performance.now();
  await client.close();
  samples.initialize.push(initialized - launched);
  samples.first.push(firstDone - initialized);
  samples.second.push(secondDone - firstDone);
}
rmSync(dir, { recursive: true, force: true });

const rows = [
  row('start-up: launch to initialize answered (stdio)', summarize(samples.initialize), {
    target: '< 150 ms',
  }),
  row('start-up: first pure-JS call after initialize', summarize(samples.first), { target: '< 20 ms' }),
  row('start-up: second pure-JS call', summarize(samples.second)),
];
for (const r of rows) console.error(`${r.benchmark}: ${fmt(r.median)} ms (p95 ${fmt(r.p95)})`);
report(rows);
