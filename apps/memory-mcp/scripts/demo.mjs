#!/usr/bin/env node
// `pnpm demo`: starts the built app over stdio with the MCP SDK's real Client, calls each tool once
// and prints what came back. Uses a throwaway database so it never touches your real memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectJailSupport } from '@memory-mcp/process-jail';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-demo-'));

// Which walls are up comes first: where kernel namespaces are missing the demo says so and runs on
// the named weaker level, never silently.
const support = await detectJailSupport();
let isolation = process.env.MCP_ISOLATION || 'namespaces';
if (isolation === 'namespaces' && support.level !== 'namespaces') {
  isolation = 'permission-model';
  process.stdout.write(
    `walls: kernel namespaces are NOT available here (${support.reason}; fix: ${support.fix}).\n` +
      `This demo runs on the named WEAKER level MCP_ISOLATION=permission-model: no namespaces, only a clean env, an unprivileged uid, rlimits and the runtimes' own walls.\n`,
  );
} else {
  process.stdout.write(
    isolation === 'namespaces'
      ? `walls: kernel walls up (bubblewrap ${support.bwrap?.version}): namespaces, minimal read-only root, unprivileged uid, rlimits\n`
      : `walls: the named weaker level ${isolation} (set by MCP_ISOLATION)\n`,
  );
}

const transport = new StdioClientTransport({
  command: process.execPath,
  args: [cli, '--db', join(dir, 'demo.db')],
  env: { PATH: process.env.PATH ?? '', MCP_SANDBOX_BACKEND: 'hybrid', MCP_ISOLATION: isolation },
  stderr: 'pipe',
});
const client = new Client({ name: 'memory-mcp-demo', version: '1.0.0' });
await client.connect(transport);

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
async function show(title, name, args) {
  process.stdout.write(`\n${bold(`▶ ${title}`)}  (${name} ${JSON.stringify(args).slice(0, 100)})\n`);
  try {
    const result = await client.callTool({ name, arguments: args });
    const text = result.content?.[0]?.text ?? '';
    const lines = text.split('\n');
    process.stdout.write(
      `${lines
        .slice(0, 14)
        .map((l) => `  ${l}`)
        .join('\n')}${lines.length > 14 ? '\n  …' : ''}\n`,
    );
    return result.structuredContent;
  } catch (error) {
    process.stdout.write(`  protocol error: ${error.message}\n`);
    return undefined;
  }
}

const { tools } = await client.listTools();
process.stdout.write(
  `${bold('memory-mcp demo')}: connected over stdio; ${tools.length} tools: ${tools.map((t) => t.name).join(', ')}\n`,
);

await show('Health of every backend and the database', 'health_check', {});
await show('JavaScript on the Node backend (uses a Node API, so it routes there)', 'execute_agent_code', {
  code: "const os = require('os');\nconsole.log('hello from', process.version);\nreturn { sum: [1, 2, 3].reduce((a, b) => a + b), platform: os.platform() };",
});
await show('TypeScript, stripped and run on Node', 'execute_agent_code', {
  language: 'typescript',
  code: 'interface Point { x: number; y: number }\nconst p: Point = input;\nreturn Math.hypot(p.x, p.y);',
  context: { input: { x: 3, y: 4 } },
});
await show(
  'Small pure JavaScript: hybrid routing compiles it to WebAssembly (QuickJS) and meters fuel',
  'execute_agent_code',
  {
    code: "const words = input.text.split(' ');\nconsole.log('words:', words.length);\nreturn words.map((w) => w.length);",
    context: { input: { text: 'the quick brown fox' } },
  },
);
const compiled = await show('Compile JavaScript to a portable WASI module', 'compile_to_wasm', {
  code: 'console.log("compiled once, run by id"); return 6 * 7;',
});
if (compiled?.module_id) {
  await show('Run the stored module by id', 'execute_agent_code', { module_id: compiled.module_id });
}
await show('A WAT module on the wasm backend, with fuel', 'execute_agent_code', {
  language: 'wat',
  code: '(module (func $fib (export "fib") (param i32) (result i32) (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0)) (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2))))))))',
  entry: 'fib',
  context: { input: [20] },
});
await show('An infinite loop on wasm: stopped by fuel, not the clock', 'execute_agent_code', {
  language: 'wat',
  code: '(module (func (export "_start") (loop $l (br $l))))',
});
// A session: JavaScript state kept between calls (and restarts), then forked to try a variation.
const session = await show('Create a JavaScript session', 'create_session', { label: 'sales analysis' });
if (session?.session_id) {
  const inSession = (title, code, extra = {}) =>
    show(title, 'execute_agent_code', { session_id: session.session_id, code, ...extra });
  await inSession(
    'Session step 1: load and clean the data, keep it on globalThis',
    'globalThis.sales = input.rows\n  .filter((r) => r.amount > 0)\n  .map((r) => ({ ...r, region: r.region.trim().toLowerCase() }));\nreturn sales.length;',
    {
      context: {
        input: {
          rows: [
            { region: ' North', amount: 120 },
            { region: 'south ', amount: 80 },
            { region: 'North', amount: -5 },
            { region: 'SOUTH', amount: 300 },
            { region: 'north', amount: 40 },
          ],
        },
      },
    },
  );
  await inSession(
    'Session step 2: analyse what step 1 left, with no input',
    'const byRegion = {};\nfor (const s of sales) byRegion[s.region] = (byRegion[s.region] ?? 0) + s.amount;\nreturn byRegion;',
  );
  const fork = await show('Fork the session to try a variation', 'fork_session', {
    session_id: session.session_id,
  });
  if (fork?.session_id) {
    await show('In the fork: keep only sales of 100 or more', 'execute_agent_code', {
      session_id: fork.session_id,
      code: 'sales = sales.filter((s) => s.amount >= 100);\nreturn sales.map((s) => s.amount);',
    });
  }
  await inSession('The original session is untouched by the fork', 'return sales.map((s) => s.amount);');
  await inSession('A failed call leaves the session as it was', 'sales = [];\nthrow new Error("oops");');
  await inSession('Still there', 'return sales.length;');
}
await show('A network call, refused early by the policy pre-check', 'execute_agent_code', {
  code: "const http = require('http');\nhttp.get('http://example.com');",
});
// A real listener on the host's loopback: the host reaches it; code in the sandbox, which runs in
// its own network namespace (its own, empty loopback), cannot. The port is an ordinary one, not on
// fetch's blocked-port list, so the refusal is the namespace's and nothing else's.
const listener = createServer((_req, res) => res.end('reachable from the host'));
await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
const target = `http://127.0.0.1:${listener.address().port}/`;
const fromHost = await (await fetch(target)).text();
process.stdout.write(`\n${bold(`▶ A listener on the host at ${target}`)}\n  from the host: ${fromHost}\n`);
await show(
  'The same address from sandboxed code: a network call the pre-check cannot see, stopped by the network namespace',
  'execute_agent_code',
  {
    backend: 'node',
    code: `const res = await fetch(${JSON.stringify(target)});\nreturn await res.text();`,
  },
);
listener.close();
const episode = await show('Start an episode', 'start_episode', {
  task: 'compute shipping totals for an order',
  domain: 'commerce',
  task_type: 'arithmetic',
});
const episodeId = episode?.episode_id;
await show('Log a step', 'log_step', { episode_id: episodeId, action: 'sum item prices', outcome: 'ok' });
const run = await show('Run code for the episode', 'execute_agent_code', {
  code: 'return input.items.reduce((t, i) => t + i.price * i.qty, 0);',
  context: {
    input: {
      items: [
        { price: 4.5, qty: 2 },
        { price: 10, qty: 1 },
      ],
    },
  },
  episode_id: episodeId,
});
await show('Complete the episode', 'complete_episode', {
  episode_id: episodeId,
  outcome: 'success',
  notes: 'totals computed in JS',
});
await show('Query memory for it', 'query_memory', { query: 'shipping totals', sort: 'relevance' });
await show('Patterns so far', 'analyze_patterns', {});
await show('Execution history (latest 3)', 'list_executions', { limit: 3 });
if (run?.execution_id)
  await show('One execution, in full', 'get_execution', { execution_id: run.execution_id });
await show('Metrics', 'get_metrics', {});

await client.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write('\ndemo finished\n');
