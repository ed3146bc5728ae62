import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnifiedSandbox } from '@memory-mcp/sandbox-core';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryMcpServer, MemoryStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-edges-'));
let sandbox: UnifiedSandbox;
let store: MemoryStore;

beforeAll(async () => {
  sandbox = new UnifiedSandbox({ mode: 'wasm', backends: { wasm: new WasmBackend({ maxConcurrency: 2 }) } });
  store = await MemoryStore.open({ url: `file:${join(dir, 'edges.db')}` });
});
afterAll(async () => {
  await sandbox.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw JSON-RPC peer: sends exactly what it is given and collects every answer. */
async function rawPeer(options: { store?: MemoryStore } = {}) {
  const server = createMemoryMcpServer({ sandbox, store: options.store ?? store });
  const [peer, serverSide] = InMemoryTransport.createLinkedPair();
  const answers = new Map<number | string, JSONRPCMessage>();
  peer.onmessage = (message) => {
    if ('id' in message && message.id !== undefined) answers.set(message.id, message);
  };
  await server.connect(serverSide);
  await peer.start();
  let id = 0;
  const request = async (method: string, params?: unknown) => {
    const mine = ++id;
    await peer.send({
      jsonrpc: '2.0',
      id: mine,
      method,
      ...(params !== undefined ? { params } : {}),
    } as JSONRPCMessage);
    // A hang guard, not a speed test: the first call also starts a jailed executor.
    for (let i = 0; i < 6000 && !answers.has(mine); i++) await new Promise((r) => setTimeout(r, 10));
    return answers.get(mine) as {
      result?: Record<string, unknown>;
      error?: { code: number; message: string };
    };
  };
  const initialize = () =>
    request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    });
  return { request, initialize, close: () => server.close() };
}

const WAT = '(module (func (export "f") (result i32) i32.const 7))';

describe('protocol edges', () => {
  it('refuses tools/call before initialize, and runs nothing', async () => {
    const before = await store.executions.count();
    const peer = await rawPeer();
    const answer = await peer.request('tools/call', {
      name: 'execute_agent_code',
      arguments: { language: 'wat', code: WAT, entry: 'f' },
    });
    expect(answer.error).toMatchObject({ code: -32600, message: expect.stringMatching(/not initialized/) });
    expect(await store.executions.count()).toBe(before);
    expect((await peer.request('ping')).result).toEqual({});
    await peer.initialize();
    const ok = await peer.request('tools/call', {
      name: 'execute_agent_code',
      arguments: { language: 'wat', code: WAT, entry: 'f' },
    });
    expect(ok.result?.structuredContent).toMatchObject({ status: 'ok', value: 7 });
    await peer.close();
  });

  it('arguments given as an array is -32602 with a clear message, not a schema dump', async () => {
    const peer = await rawPeer();
    await peer.initialize();
    const answer = await peer.request('tools/call', { name: 'start_episode', arguments: ['task'] });
    expect(answer.error?.code).toBe(-32602);
    expect(answer.error?.message).toBe(
      'invalid arguments for start_episode: arguments must be an object of named arguments, not an array',
    );
    await peer.close();
  });

  it('a context nested 5,000 deep is -32602 naming the field', async () => {
    const peer = await rawPeer();
    await peer.initialize();
    let deep: unknown = 'bottom';
    for (let i = 0; i < 5000; i++) deep = { d: deep };
    const episode = await peer.request('tools/call', {
      name: 'start_episode',
      arguments: { task: 't', context: deep },
    });
    expect(episode.error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/context.*nested deeper than 64/),
    });
    let list: unknown = 1;
    for (let i = 0; i < 5000; i++) list = [list];
    const exec = await peer.request('tools/call', {
      name: 'execute_agent_code',
      arguments: { language: 'wat', code: WAT, entry: 'f', context: { input: list } },
    });
    expect(exec.error).toMatchObject({ code: -32602, message: expect.stringMatching(/context\.input/) });
    await peer.close();
  });

  it('error messages carry the MCP prefix once, on the client', async () => {
    const server = createMemoryMcpServer({ sandbox, store });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 't', version: '1' });
    await Promise.all([server.connect(b), client.connect(a)]);
    const error = (await client
      .callTool({ name: 'log_step', arguments: { episode_id: 'nope', action: 'x' } })
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      'MCP error -32602: invalid arguments for log_step: episode_id: no episode nope',
    );
    await client.close();
  });

  it('the tool schema lists the languages and backends actually configured', async () => {
    const server = createMemoryMcpServer({ sandbox, store });
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 't', version: '1' });
    await Promise.all([server.connect(b), client.connect(a)]);
    const { tools } = await client.listTools();
    const props = tools.find((t) => t.name === 'execute_agent_code')!.inputSchema.properties as Record<
      string,
      { enum?: string[] }
    >;
    expect(props.language!.enum).toEqual(['wasm', 'wat']);
    expect(props.backend!.enum).toEqual(['wasm']);
    // No compiler here, so javascript is not offered and is not the default either.
    const run = await client.callTool({
      name: 'execute_agent_code',
      arguments: { code: WAT, language: 'wat', entry: 'f' },
    });
    expect(run.structuredContent).toMatchObject({ value: 7 });
    await client.close();
  });

  it('code does not run when its record cannot be written; health_check says the store is full', async () => {
    const full = await MemoryStore.open({ url: `file:${join(dir, 'full.db')}`, maxSizeBytes: 200 * 1024 });
    for (let i = 0; i < 200; i++) {
      const failed = await full.episodes.start({ task: 'x'.repeat(8_000) }).then(
        () => false,
        () => true,
      );
      if (failed) break;
    }
    const peer = await rawPeer({ store: full });
    await peer.initialize();
    const before = sandbox.metrics().total;
    const answer = await peer.request('tools/call', {
      name: 'execute_agent_code',
      arguments: { language: 'wat', code: WAT, entry: 'f' },
    });
    expect(answer.error).toMatchObject({
      code: -32603,
      message: expect.stringMatching(/store full.*the code did not run/),
    });
    expect(sandbox.metrics().total).toBe(before);
    const health = await peer.request('tools/call', { name: 'health_check', arguments: {} });
    expect(health.result?.structuredContent).toMatchObject({
      healthy: false,
      database: { state: 'full', writable: false },
    });
    await peer.close();
    await full.close();
  });
});
