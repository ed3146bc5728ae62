import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EchoBackend } from '@memory-mcp/example-echo-backend';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/app-config.js';
import { buildRuntime, type Runtime } from '../src/build-runtime.js';
import { createAppServer } from '../src/create-app-server.js';

// The contributed-backend path, end to end: a backend package built only from the public contract
// (examples/echo-backend), wired into the app through buildRuntime's extras and nothing else.
const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-contributed-'));
const runtimes: Runtime[] = [];

async function connect(env: Record<string, string> = {}): Promise<{ client: Client; runtime: Runtime }> {
  const config = parseArgs(['--db', join(dir, `${runtimes.length}.db`)], env);
  const runtime = await buildRuntime(config, { backends: { echo: new EchoBackend() } });
  runtimes.push(runtime);
  const server = createAppServer(runtime, { name: 'memory-mcp', version: '0.0.0-test' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'contributed-backend-test', version: '1.0.0' });
  await client.connect(clientSide);
  return { client, runtime };
}

afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('a contributed backend in the app', () => {
  it('is listed in the tool schema and runs its own language over MCP, with the run stored', async () => {
    const { client, runtime } = await connect();
    const { tools } = await client.listTools();
    const execute = tools.find((tool) => tool.name === 'execute_agent_code');
    expect(JSON.stringify(execute?.inputSchema)).toContain('"echo"');
    expect(execute?.description).toMatch(/echo/);

    const called = await client.callTool({
      name: 'execute_agent_code',
      arguments: { language: 'echo', code: 'repeat 3 print ping\nreturn {"pong":3}' },
    });
    expect(called.isError).toBeFalsy();
    const result = called.structuredContent as Record<string, unknown>;
    expect(result).toMatchObject({
      status: 'ok',
      stdout: 'ping\nping\nping\n',
      value: { pong: 3 },
      backend: 'echo',
    });
    const stored = await client.callTool({
      name: 'get_execution',
      arguments: { execution_id: result.execution_id },
    });
    expect(stored.structuredContent).toMatchObject({ execution: { language: 'echo', status: 'ok' } });
    // The built-in backends are still there beside it.
    expect(runtime.sandbox.kinds).toEqual(expect.arrayContaining(['node', 'wasm', 'echo']));
  });

  it('can be pinned with MCP_SANDBOX_BACKEND, and an unknown language names the configured ones', async () => {
    const { client } = await connect({ MCP_SANDBOX_BACKEND: 'echo' });
    const called = await client.callTool({
      name: 'execute_agent_code',
      arguments: { language: 'echo', code: 'print pinned' },
    });
    expect((called.structuredContent as Record<string, unknown>).route).toMatchObject({ mode: 'echo' });
    await expect(
      client.callTool({ name: 'execute_agent_code', arguments: { language: 'cobol', code: 'DISPLAY 1' } }),
    ).rejects.toThrow(/-32602.*language.*"echo"/);
  });
});
