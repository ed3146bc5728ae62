// Streamable HTTP: sessions, bearer token, DNS-rebinding protection, body cap.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, CLI, exec, httpClient, startHttpApp } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function raw(url: string, options: { method?: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('memory-mcp over Streamable HTTP', () => {
  it('serves sessions on loopback and runs code', async () => {
    const app = await startHttpApp(join(dir, 'a.db'));
    try {
      const client = await httpClient(app.url);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('execute_agent_code');
      const r = await exec(client, { code: 'return 40 + 2;' });
      expect(r).toMatchObject({ status: 'ok', value: 42 });
      const concurrent = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          exec(client, {
            language: 'wat',
            code: '(module (func (export "f") (param i32) (result i32) (local.get 0)))',
            entry: 'f',
            context: { input: [i] },
          }),
        ),
      );
      for (const [i, c] of concurrent.entries()) expect(c.value).toBe(i);
      await client.close();
    } finally {
      await app.stop();
    }
  });

  it('requires the bearer token when one is set: 401 without it', async () => {
    const app = await startHttpApp(join(dir, 'b.db'), { MCP_AUTH_TOKEN: 'sekret-token-123' });
    try {
      const denied = await raw(app.url, { headers: jsonHeaders, body: initialize });
      expect(denied.status).toBe(401);
      const wrong = await raw(app.url, {
        headers: { ...jsonHeaders, authorization: 'Bearer nope' },
        body: initialize,
      });
      expect(wrong.status).toBe(401);
      await expect(httpClient(app.url)).rejects.toThrow();
      const client = await httpClient(app.url, 'sekret-token-123');
      expect((await exec(client, { code: 'return "in";' })).value).toBe('in');
      await client.close();
    } finally {
      await app.stop();
    }
  });

  it('refuses to bind beyond loopback without a token', () => {
    const run = spawnSync(
      process.execPath,
      [CLI, '--http', '0', '--host', '0.0.0.0', '--db', join(dir, 'c.db')],
      {
        env: baseEnv(),
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/MCP_AUTH_TOKEN/);
  });

  it('rejects foreign Host headers (DNS rebinding) and oversized bodies', async () => {
    const app = await startHttpApp(join(dir, 'd.db'), { MCP_HTTP_MAX_BODY_BYTES: '4096' });
    try {
      const rebinding = await raw(app.url, {
        headers: { ...jsonHeaders, host: 'evil.example.com' },
        body: initialize,
      });
      expect(rebinding.status).toBe(403);
      const huge = await raw(app.url, {
        headers: jsonHeaders,
        body: JSON.stringify({ pad: 'x'.repeat(10_000) }),
      });
      expect(huge.status).toBe(413);
      const noSession = await raw(app.url, {
        headers: jsonHeaders,
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      expect(noSession.status).toBe(400);
    } finally {
      await app.stop();
    }
  });

  it('shuts down gracefully on SIGTERM', async () => {
    const app = await startHttpApp(join(dir, 'e.db'));
    const exited = new Promise<number | null>((resolve) => app.child.once('exit', (code) => resolve(code)));
    app.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(app.stderr()).toMatch(/shutting down \(SIGTERM\)/);
  });
});
