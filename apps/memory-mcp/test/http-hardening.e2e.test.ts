// HTTP hardening against the built app: sessions (404, expiry, cap), Host and Origin, the token
// off loopback, slow requests, the connection cap.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { httpClient, startHttpApp } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-hardening-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function post(url: string, headers: Record<string, string>, body: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { ...jsonHeaders, ...headers } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });

async function newSession(url: string): Promise<string> {
  const res = await post(url, {}, initialize);
  expect(res.status).toBe(200);
  return res.headers['mcp-session-id'] as string;
}

describe('HTTP sessions', () => {
  it('an unknown session id is 404; idle sessions expire; the number of sessions is capped', async () => {
    const app = await startHttpApp(join(dir, 's.db'), { MCP_SESSION_IDLE_MS: '1500', MCP_MAX_SESSIONS: '3' });
    try {
      const unknown = await post(app.url, { 'mcp-session-id': 'no-such-session' }, list);
      expect(unknown.status).toBe(404);
      expect(JSON.parse(unknown.body).error.message).toMatch(/initialize again/);

      const idle = await newSession(app.url);
      expect((await post(app.url, { 'mcp-session-id': idle }, list)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2_500));
      expect((await post(app.url, { 'mcp-session-id': idle }, list)).status).toBe(404);

      const sessions = [];
      for (let i = 0; i < 4; i++) sessions.push(await newSession(app.url));
      expect((await post(app.url, { 'mcp-session-id': sessions[0]! }, list)).status).toBe(404);
      for (const id of sessions.slice(1))
        expect((await post(app.url, { 'mcp-session-id': id }, list)).status).toBe(200);

      // The SDK client, told 404, is expected to start over; a new client simply works.
      const client = await httpClient(app.url);
      expect((await client.listTools()).tools.length).toBeGreaterThan(5);
      await client.close();
    } finally {
      await app.stop();
    }
  });
});

describe('Host and Origin', () => {
  it('validates Origin, and accepts configured hosts', async () => {
    const app = await startHttpApp(join(dir, 'h.db'), { MCP_ALLOWED_ORIGINS: 'https://app.example' }, [
      '--allowed-host',
      'mcp.example',
    ]);
    try {
      expect((await post(app.url, { origin: 'http://evil.example' }, initialize)).status).toBe(403);
      expect((await post(app.url, { origin: 'https://app.example' }, initialize)).status).toBe(200);
      expect((await post(app.url, { origin: 'http://localhost:6274' }, initialize)).status).toBe(200);
      expect((await post(app.url, { host: 'mcp.example:443' }, initialize)).status).toBe(200);
      expect((await post(app.url, { host: 'evil.example' }, initialize)).status).toBe(403);
    } finally {
      await app.stop();
    }
  });

  it('bound beyond loopback with a token: real Host headers work, the token is still required', async () => {
    const token = 'a-long-enough-token';
    const app = await startHttpApp(join(dir, 'remote.db'), { MCP_AUTH_TOKEN: token }, ['--host', '0.0.0.0']);
    const url = app.url.replace('0.0.0.0', '127.0.0.1');
    try {
      for (const host of ['192.0.2.2:3404', 'mcp.example.com']) {
        expect((await post(url, { host }, initialize)).status).toBe(401);
        expect((await post(url, { host, authorization: `Bearer ${token}` }, initialize)).status).toBe(200);
      }
      expect(
        (await post(url, { authorization: `Bearer ${token}`, origin: 'http://evil.example' }, initialize))
          .status,
      ).toBe(403);
    } finally {
      await app.stop();
    }
  });
});

describe('shutdown over HTTP', () => {
  it('SIGTERM: every call in flight is answered before the app exits', async () => {
    const app = await startHttpApp(join(dir, 'term.db'));
    const client = await httpClient(app.url);
    const spin = '(module (func (export "_start") (loop $l (br $l))))';
    const calls = Array.from({ length: 10 }, () =>
      client.callTool({
        name: 'execute_agent_code',
        arguments: { language: 'wat', code: spin, limits: { timeoutMs: 1500, fuel: 1e15 } },
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise<number | null>((resolve) => app.child.once('exit', (code) => resolve(code)));
    app.child.kill('SIGTERM');
    const results = await Promise.allSettled(calls);
    const outcomes = results.map((r) =>
      r.status === 'fulfilled'
        ? (r.value.structuredContent as { status: string }).status
        : String((r.reason as Error).message),
    );
    for (const outcome of outcomes) expect(outcome).toMatch(/^timeout$|shutting down: nothing ran/);
    expect(outcomes).toContain('timeout');
    expect(await exited).toBe(0);
  });
});

describe('slow clients and many connections', () => {
  it('a body trickled byte by byte is cut off at the request timeout', async () => {
    const app = await startHttpApp(join(dir, 'slow.db'), { MCP_HTTP_REQUEST_TIMEOUT_MS: '1000' });
    const { port } = new URL(app.url);
    try {
      const started = performance.now();
      const closed = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${initialize.length}\r\n\r\n`,
          );
          let i = 0;
          const drip = setInterval(() => {
            if (!socket.destroyed && i < initialize.length) socket.write(initialize[i++]!);
          }, 200);
          let response = '';
          socket.on('data', (c) => (response += c));
          // the server may reset the connection under a drip write: that is a cut-off too ('close' follows)
          socket.on('error', () => {});
          socket.on('close', () => {
            clearInterval(drip);
            resolve(response.split('\r\n')[0] ?? '');
          });
        });
      });
      // 1 s allowed; generously bounded, far below the minutes a trickle could take before.
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(closed).toMatch(/^(HTTP\/1\.1 408 Request Timeout)?$/);
    } finally {
      await app.stop();
    }
  });

  it('connections past the cap are refused', async () => {
    const app = await startHttpApp(join(dir, 'cap.db'), { MCP_HTTP_MAX_CONNECTIONS: '2' });
    const { port } = new URL(app.url);
    const open = (): Promise<Socket> =>
      new Promise((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => resolve(socket));
      });
    try {
      const held = [await open(), await open()];
      await new Promise((r) => setTimeout(r, 200));
      const third = await open();
      const outcome = await new Promise<string>((resolve) => {
        let response = '';
        third.on('data', (c) => (response += c));
        third.on('close', () => resolve(response));
        third.on('error', () => resolve('error'));
        third.write(`GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      });
      expect(outcome).not.toMatch(/^HTTP/);
      for (const s of held) s.destroy();
      await new Promise((r) => setTimeout(r, 200));
      expect((await post(app.url, {}, initialize)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });
});
