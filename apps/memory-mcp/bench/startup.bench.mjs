// Start-up as an MCP client sees it: launch the app over stdio, time `initialize`, then the first
// pure-JavaScript call (hybrid mode routes it to the wasm backend), then the second. Each launch
// has a fresh database; `BENCH_LAUNCHES` overrides the count.
//
// Beside each launch, the floors under those numbers, measured in turn with it: Node's own boot,
// Node's boot plus importing the MCP SDK's server module (the least an SDK-based server loads
// before it can answer), and one jailed wasm executor from spawn to ready (what a first pure-JS
// call needs), started from this already warm process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fmt, report, rowsFor, summarize } from '../../../scripts/bench-lib.mjs';

const row = rowsFor('memory-mcp');
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const LAUNCHES = Number(process.env.BENCH_LAUNCHES ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-startup-bench-'));
const samples = { initialize: [], first: [], second: [], nodeBoot: [], sdkImport: [], executor: [] };
const SDK_SERVER = import.meta.resolve('@modelcontextprotocol/sdk/server/mcp.js');
const COMPILER = import.meta.resolve('@memory-mcp/javy-compiler');

/** Milliseconds from spawning this Node binary with `args` to its exit (which must be clean). */
function timeNode(args) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(performance.now() - started)
        : reject(new Error(`node ${args.join(' ')}: exit ${code}`)),
    );
  });
}

/** Milliseconds from constructing a wasm backend (one executor, the app's compiler) to its ready. */
async function timeExecutor() {
  const started = performance.now();
  const backend = new WasmBackend({
    maxConcurrency: 1,
    executorCompiler: { module: COMPILER, options: { mode: 'dynamic' } },
  });
  await backend.whenStarted();
  const ms = performance.now() - started;
  const check = await backend.execute({ language: 'javascript', code: 'return 6 * 7;' });
  await backend.close();
  if (check.status !== 'ok' || check.value !== 42)
    throw new Error(`executor: ${JSON.stringify(check.error)}`);
  return ms;
}

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
  samples.nodeBoot.push(await timeNode(['-e', '0']));
  samples.sdkImport.push(
    await timeNode(['--input-type=module', '-e', `await import(${JSON.stringify(SDK_SERVER)})`]),
  );
  samples.executor.push(await timeExecutor());
}
rmSync(dir, { recursive: true, force: true });

const rows = [
  row('start-up: launch to initialize answered (stdio)', summarize(samples.initialize), {
    target: '< 150 ms',
  }),
  row('start-up: first pure-JS call after initialize', summarize(samples.first), { target: '< 20 ms' }),
  row('start-up: second pure-JS call', summarize(samples.second)),
  row('floor: node boot (node -e 0)', summarize(samples.nodeBoot)),
  row('floor: node boot + import of the MCP SDK server module', summarize(samples.sdkImport)),
  row('floor: one jailed wasm executor, spawn to ready (engine warm)', summarize(samples.executor)),
];
for (const r of rows) console.error(`${r.benchmark}: ${fmt(r.median)} ms (p95 ${fmt(r.p95)})`);
report(rows);
