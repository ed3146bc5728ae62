import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCompiler } from '@memory-mcp/javy-compiler';
import { UnifiedSandbox } from '@memory-mcp/sandbox-core';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryMcpServer, MemoryStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-server-'));
let store: MemoryStore;
let sandbox: UnifiedSandbox;
let client: Client;

beforeAll(async () => {
  store = await MemoryStore.open({ url: `file:${join(dir, 'memory.db')}` });
  sandbox = new UnifiedSandbox({
    mode: 'wasm',
    backends: { wasm: new WasmBackend({ maxConcurrency: 4, compiler: createCompiler({ mode: 'dynamic' }) }) },
  });
  const server = createMemoryMcpServer({ sandbox, store, progressIntervalMs: 100 });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  client = new Client({ name: 'test-client', version: '1.0.0' });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
});
afterAll(async () => {
  await client.close();
  await sandbox.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ADD =
  '(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))';
const SPIN = '(module (func (export "_start") (loop $l (br $l))))';
type Structured = Record<string, unknown> & { status: string; execution_id: string };
const call = async (name: string, args: Record<string, unknown>) =>
  client.callTool({ name, arguments: args });
const structured = async (name: string, args: Record<string, unknown>) =>
  (await call(name, args)).structuredContent as Structured;

describe('memory-mcp server over a real MCP client', () => {
  it('lists its tools with JSON Schemas derived from zod', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(
      [
        'analyze_patterns',
        'complete_episode',
        'execute_agent_code',
        'get_execution',
        'get_metrics',
        'health_check',
        'list_executions',
        'log_step',
        'query_memory',
        'start_episode',
      ].sort(),
    );
    const exec = tools.find((t) => t.name === 'execute_agent_code')!;
    expect(exec.inputSchema.properties).toHaveProperty('language');
    expect(exec.outputSchema?.properties).toHaveProperty('status');
    expect(names).not.toContain('compile_to_wasm'); // no compiler given
  });

  it('executes code and returns a summary plus the whole result as structured content', async () => {
    const result = await call('execute_agent_code', {
      language: 'wat',
      code: ADD,
      entry: 'add',
      context: { input: [40, 2] },
    });
    expect(result.isError).toBe(false);
    const data = result.structuredContent as Structured;
    expect(data).toMatchObject({ status: 'ok', value: 42, backend: 'wasm' });
    expect(data.fuelUsed).toBeGreaterThan(0);
    const text = (result.content as Array<{ text: string }>)[0]!.text;
    expect(text).toMatch(/status: ok · backend: wasm \(.+\) · time: [\d.]+ ms · fuel: \d+/);
    expect(text).toContain('value: 42');
  });

  it('a failed execution is a tool result with isError, not a protocol error', async () => {
    const result = await call('execute_agent_code', {
      language: 'wat',
      code: '(module (func (export "_start") unreachable))',
    });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ status: 'error', error: { kind: 'trap:unreachable' } });
    const denied = await call('execute_agent_code', { code: `require('child_process').execSync('id')` });
    expect(denied.structuredContent).toMatchObject({ status: 'denied' });
  });

  it('invalid arguments are protocol errors naming the field', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['execute_agent_code', { language: 'cobol', code: 'x' }, 'language'],
      ['execute_agent_code', { language: 'wat' }, 'code'],
      ['execute_agent_code', { code: '1', limits: { timeoutMs: -5 } }, 'limits.timeoutMs'],
      ['execute_agent_code', { code: '1', surprise: true }, 'surprise'],
      ['execute_agent_code', { code: '1', episode_id: 'no-such-episode' }, 'episode_id'],
      ['execute_agent_code', { language: 'wasm', code: 'bm90IHdhc20=' }, 'code'],
      ['log_step', { episode_id: 'missing', action: 'x' }, 'episode_id'],
      ['complete_episode', { episode_id: 'x', outcome: 'meh' }, 'outcome'],
      ['query_memory', { limit: 0 }, 'limit'],
      ['list_executions', { since: 'yesterday' }, 'since'],
      ['get_execution', {}, 'execution_id'],
      ['analyze_patterns', { min_success_rate: 2 }, 'min_success_rate'],
      ['start_episode', {}, 'task'],
    ];
    for (const [name, args, field] of cases) {
      const error = await call(name, args).catch((e: unknown) => e);
      expect(error, `${name} ${JSON.stringify(args)}`).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(-32602);
      expect((error as McpError).message, name).toContain(field);
    }
  });

  it('records episodes, links executions, finds them again and learns patterns', async () => {
    const start = await structured('start_episode', {
      task: 'sum a list of prices',
      domain: 'finance',
      task_type: 'arithmetic',
    });
    const episodeId = start.episode_id as string;
    await call('log_step', { episode_id: episodeId, action: 'parse input', outcome: 'ok' });
    await call('log_step', { episode_id: episodeId, action: 'add numbers', outcome: 'ok' });
    const run = await structured('execute_agent_code', {
      language: 'wat',
      code: ADD,
      entry: 'add',
      context: { input: [1, 2] },
      episode_id: episodeId,
    });
    expect(run.episode_id).toBe(episodeId);
    const done = await structured('complete_episode', {
      episode_id: episodeId,
      outcome: 'success',
      notes: 'prices summed with wasm',
    });
    expect(done.episode).toMatchObject({ status: 'completed', outcome: 'success', steps: 2, executions: 1 });

    const found = await structured('query_memory', { query: 'prices', sort: 'relevance' });
    expect((found.episodes as Array<{ id: string }>)[0]!.id).toBe(episodeId);
    const none = await structured('query_memory', { query: 'prices', domain: 'biology' });
    expect(none.count).toBe(0);

    const patterns = await structured('analyze_patterns', { task_type: 'arithmetic' });
    expect(patterns.task_types).toEqual([
      expect.objectContaining({ task_type: 'arithmetic', episodes: 1, success_rate: 1 }),
    ]);
    expect(patterns.step_sequences).toEqual([
      expect.objectContaining({ sequence: ['parse input', 'add numbers'], count: 1 }),
    ]);
    expect(patterns.backends).toEqual([expect.objectContaining({ backend: 'wasm', executions: 1, ok: 1 })]);

    const listed = await structured('list_executions', { episode_id: episodeId });
    expect(listed.count).toBe(1);
    const one = await structured('get_execution', { execution_id: run.execution_id });
    expect(one.execution).toMatchObject({ id: run.execution_id, status: 'ok', episode_id: episodeId });
  });

  it('paginates execution history', async () => {
    for (let i = 0; i < 5; i++)
      await call('execute_agent_code', {
        language: 'wat',
        code: ADD,
        entry: 'add',
        context: { input: [i, i] },
      });
    const first = await structured('list_executions', { limit: 3 });
    expect(first.count).toBe(3);
    const second = await structured('list_executions', { limit: 3, cursor: first.next_cursor });
    const ids = [...(first.items as Array<{ id: string }>), ...(second.items as Array<{ id: string }>)].map(
      (i) => i.id,
    );
    expect(new Set(ids).size).toBe(ids.length);
    const errors = await structured('list_executions', { status: 'error' });
    expect((errors.items as Array<{ status: string }>).every((i) => i.status === 'error')).toBe(true);
  });

  it('sends progress notifications for long runs when asked', async () => {
    const progress: number[] = [];
    const result = await client.callTool(
      {
        name: 'execute_agent_code',
        arguments: { language: 'wat', code: SPIN, limits: { timeoutMs: 700, fuel: 1e15 } },
      },
      undefined,
      { onprogress: (p) => progress.push(p.progress), timeout: 30_000 },
    );
    expect(result.structuredContent).toMatchObject({ status: 'timeout' });
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('a client cancellation aborts the execution and it is recorded as cancelled', async () => {
    const controller = new AbortController();
    const pending = client.callTool(
      {
        name: 'execute_agent_code',
        arguments: { language: 'wat', code: SPIN, limits: { timeoutMs: 20_000, fuel: 1e15 } },
      },
      undefined,
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort('user gave up'), 200);
    const started = performance.now();
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    const cancelled = await structured('list_executions', { status: 'cancelled' });
    expect(cancelled.count).toBeGreaterThanOrEqual(1);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('reports health and metrics, including per-tool counts', async () => {
    const health = await structured('health_check', {});
    expect(health).toMatchObject({ healthy: true, database: { state: 'ok', writable: true } });
    expect(
      (health.sandbox as { backends: { wasm: { capabilities: { fuel: boolean } } } }).backends.wasm
        .capabilities.fuel,
    ).toBe(true);
    const metrics = await structured('get_metrics', {});
    const tools = metrics.tools as Record<string, { calls: number; invalid: number }>;
    expect(tools.execute_agent_code!.calls).toBeGreaterThan(5);
    expect(tools.execute_agent_code!.invalid).toBeGreaterThan(0);
    expect((metrics.sandbox as { latencyMs: { p50: number } }).latencyMs.p50).toBeGreaterThan(0);
  });

  it('runs 50 concurrent executions over one connection', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        structured('execute_agent_code', {
          language: 'wat',
          code: ADD,
          entry: 'add',
          context: { input: [i, 1000] },
        }),
      ),
    );
    for (const [i, r] of results.entries()) expect(r.value).toBe(i + 1000);
  });
});
