// The built app, spawned over stdio, driven by the MCP SDK's real Client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { type JSONRPCMessage, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec, type Structured, stdioClient } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-e2e-'));
const db = join(dir, 'memory.db');
let client: Client;
/** Every message from the server as it comes off the wire, before the SDK dispatches it. */
const wire: JSONRPCMessage[] = [];

beforeAll(async () => {
  const started = await stdioClient(db);
  client = started.client;
  const deliver = started.transport.onmessage!;
  started.transport.onmessage = (message: JSONRPCMessage) => {
    wire.push(message);
    deliver(message);
  };
});
afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })).structuredContent as Structured;

describe('memory-mcp over stdio', () => {
  it('lists every tool with input schemas, and an output schema for execute_agent_code', async () => {
    const { tools } = await client.listTools();
    for (const name of [
      'execute_agent_code',
      'health_check',
      'get_metrics',
      'start_episode',
      'log_step',
      'complete_episode',
      'query_memory',
      'analyze_patterns',
      'list_executions',
      'get_execution',
    ]) {
      const tool = tools.find((t) => t.name === name);
      expect(tool, name).toBeDefined();
      expect(tool!.inputSchema.type).toBe('object');
    }
    const exec = tools.find((t) => t.name === 'execute_agent_code')!;
    expect(Object.keys(exec.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining([
        'code',
        'language',
        'backend',
        'context',
        'stdin',
        'limits',
        'episode_id',
        'module_id',
      ]),
    );
    expect(exec.outputSchema?.required).toEqual(
      expect.arrayContaining(['status', 'stdout', 'backend', 'timing']),
    );
  });

  it('runs JavaScript on node, TypeScript on node, WAT on wasm, and says where and why', async () => {
    const js = await exec(client, { code: "console.log('hi'); return require('os').platform();" });
    expect(js).toMatchObject({ status: 'ok', backend: 'node', stdout: 'hi\n', value: process.platform });
    expect((js.route as { reason: string }).reason).toMatch(/Node API/);
    const ts = await exec(client, {
      language: 'typescript',
      code: 'const n: number = input.n;\nreturn n * 2;',
      context: { input: { n: 21 } },
    });
    expect(ts).toMatchObject({ status: 'ok', backend: 'node', value: 42 });
    const wat = await exec(client, {
      language: 'wat',
      code: '(module (func (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0))))',
      entry: 'sq',
      context: { input: [12] },
    });
    expect(wat).toMatchObject({ status: 'ok', backend: 'wasm', value: 144 });
    expect(wat.fuelUsed).toBeGreaterThan(0);
  });

  it('runs small pure JS on wasm, and compiles JS to a stored module that runs by id', async () => {
    const routed = await exec(client, { code: 'return [1, 2, 3].map((x) => x * x);' });
    expect(routed).toMatchObject({ status: 'ok', backend: 'wasm', value: [1, 4, 9] });
    expect((routed.route as { reason: string }).reason).toMatch(/heuristic: small pure/);
    expect(routed.fuelUsed).toBeGreaterThan(0);
    // memoryPeakBytes is the JavaScript engine's memory (the module it links), so it grows with
    // what the script allocates.
    const big = await exec(client, {
      code: 'return new Uint8Array(24 * 1024 * 1024).length;',
      backend: 'wasm',
    });
    expect(big).toMatchObject({ status: 'ok', backend: 'wasm', value: 24 * 1024 * 1024 });
    expect(big.memoryPeakBytes).toBeGreaterThanOrEqual(24 * 1024 * 1024);
    expect(routed.memoryPeakBytes).toBeGreaterThan(0);
    expect(routed.memoryPeakBytes).toBeLessThan(24 * 1024 * 1024);
    const compiled = await call('compile_to_wasm', { code: 'console.log("stored"); return "by id";' });
    expect(compiled.module_id).toMatch(/^[0-9a-f]{64}$/);
    expect(compiled.size).toBeGreaterThan(100_000);
    const byId = await exec(client, { module_id: compiled.module_id });
    expect(byId).toMatchObject({ status: 'ok', backend: 'wasm', stdout: 'stored\n', value: 'by id' });
  });

  it('denies a network call, early or at run time, and the app stays up', async () => {
    const early = await exec(client, { code: "require('net').connect(80, 'example.com')" });
    expect(early.status).toBe('denied');
    const late = await exec(client, {
      code: "const m = 'ne' + 't'; return await new Promise((r, j) => require(m).connect(9, '127.0.0.1', r).on('error', j));",
    });
    expect(late.status).toBe('error');
  });

  it('answers bad arguments with protocol errors naming the field, on every tool', async () => {
    const bad: Array<[string, Record<string, unknown>, string]> = [
      ['execute_agent_code', { language: 'rust', code: 'fn main() {}' }, 'language'],
      ['health_check', { verbose: true }, 'verbose'],
      ['get_metrics', { x: 1 }, 'x'],
      ['start_episode', { task: '' }, 'task'],
      ['log_step', { episode_id: 'e' }, 'action'],
      ['complete_episode', { episode_id: 'e', outcome: 'great' }, 'outcome'],
      ['query_memory', { sort: 'random' }, 'sort'],
      ['analyze_patterns', { limit: 'ten' }, 'limit'],
      ['list_executions', { status: 'weird' }, 'status'],
      ['get_execution', { execution_id: 'does-not-exist' }, 'execution_id'],
    ];
    for (const [name, args, field] of bad) {
      const error = await client.callTool({ name, arguments: args }).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(McpError);
      expect((error as McpError).code, name).toBe(-32602);
      expect((error as McpError).message, name).toContain(field);
    }
  });

  it('records an episode end to end and finds it with query_memory and analyze_patterns', async () => {
    const { episode_id } = await call('start_episode', {
      task: 'convert celsius readings to fahrenheit',
      domain: 'science',
      task_type: 'conversion',
    });
    await call('log_step', { episode_id, action: 'read input' });
    await call('log_step', { episode_id, action: 'convert' });
    const run = await exec(client, {
      code: 'return input.map((c) => c * 9 / 5 + 32);',
      context: { input: [0, 100] },
      episode_id,
    });
    expect(run.value).toEqual([32, 212]);
    await call('complete_episode', { episode_id, outcome: 'success' });
    const found = await call('query_memory', { query: 'fahrenheit', task_type: 'conversion' });
    expect((found.episodes as Array<{ id: string; executions: number }>)[0]).toMatchObject({
      id: episode_id,
      executions: 1,
    });
    const patterns = await call('analyze_patterns', { task_type: 'conversion' });
    expect(patterns.step_sequences).toEqual([
      expect.objectContaining({ sequence: ['read input', 'convert'] }),
    ]);
    const health = await call('health_check', {});
    expect(health).toMatchObject({ healthy: true, database: { state: 'ok', writable: true } });
    const metrics = await call('get_metrics', {});
    expect((metrics.tools as Record<string, { calls: number }>).start_episode!.calls).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('runs 50 concurrent executions over one connection, outputs unmixed', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        exec(
          client,
          // This checks that 50 results come back whole and unmixed, not how fast: on a loaded
          // 2-core machine 25 concurrent JS-to-wasm compiles can pass the 5 s default deadline.
          i % 2 === 0
            ? { code: `console.log('run ${i}'); return ${i};`, limits: { timeoutMs: 60_000 } }
            : {
                language: 'wat',
                code: '(module (func (export "id") (param i32) (result i32) (local.get 0)))',
                entry: 'id',
                context: { input: [i] },
                limits: { timeoutMs: 60_000 },
              },
        ),
      ),
    );
    results.forEach((r, i) => {
      expect(r.status, JSON.stringify(r)).toBe('ok');
      expect(r.value).toBe(i);
      if (i % 2 === 0) expect(r.stdout).toBe(`run ${i}\n`);
    });
  });

  it('cancellation aborts the execution and the record says cancelled', async () => {
    const controller = new AbortController();
    const pending = client.callTool(
      {
        name: 'execute_agent_code',
        arguments: { code: 'while (true) {}', backend: 'node', limits: { timeoutMs: 30_000 } },
      },
      undefined,
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 500);
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 500));
    const cancelled = await call('list_executions', { status: 'cancelled' });
    expect(cancelled.count).toBe(1);
  });

  it('sends progress notifications during a long run', async () => {
    const progress: Array<{ progress: number; message?: string }> = [];
    const result = await client.callTool(
      {
        name: 'execute_agent_code',
        arguments: { code: 'await new Promise((r) => setTimeout(r, 900)); return "done";' },
      },
      undefined,
      { onprogress: (p) => progress.push(p) },
    );
    expect((result.structuredContent as Structured).value).toBe('done');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    // The server's promise, checked on the wire: every progress notification, "finished" last,
    // arrives before the result. (The SDK client dispatches notifications a microtask late, so when
    // "finished" and the result come in one read, its onprogress can miss the last one.)
    const answered = wire.findIndex(
      (m) =>
        'result' in m && (m.result as { structuredContent?: Structured }).structuredContent?.value === 'done',
    );
    const notes = wire
      .map((m, at) => ({ m, at }))
      .filter(({ m }) => 'method' in m && m.method === 'notifications/progress');
    expect(answered).toBeGreaterThan(0);
    expect(notes.length).toBeGreaterThanOrEqual(3);
    expect(notes.every(({ at }) => at < answered)).toBe(true);
    expect((notes.at(-1)!.m as unknown as { params: { message?: string } }).params.message).toBe('finished');
    const values = notes.map(({ m }) => (m as unknown as { params: { progress: number } }).params.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);
  });
});
