import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createMemoryMcpServer } from '@memory-mcp/mcp-server';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { AppConfig } from './app-config.js';
import type { Runtime } from './build-runtime.js';

export interface HttpHandle {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * Streamable HTTP at `/mcp`: one MCP session per client (`mcp-session-id`), DNS-rebinding
 * protection (Host must be the address we listen on), a request-body cap, and a bearer token when
 * one is configured (required off loopback).
 */
export async function serveHttp(
  runtime: Runtime,
  http: NonNullable<AppConfig['http']>,
  info: { name: string; version: string },
): Promise<HttpHandle> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let allowedHosts: string[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`memory-mcp: http error: ${(error as Error).stack ?? error}\n`);
      if (!res.headersSent) sendJsonError(res, 500, -32603, 'internal error');
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/mcp')
      return sendJsonError(res, 404, -32601, 'not found: the MCP endpoint is /mcp');
    if (http.authToken && !authorized(req.headers.authorization, http.authToken)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="memory-mcp"');
      return sendJsonError(res, 401, -32001, 'unauthorized: send Authorization: Bearer <MCP_AUTH_TOKEN>');
    }
    let body: unknown;
    if (req.method === 'POST') {
      const read = await readBody(req, http.maxBodyBytes);
      if (read === 'too_large')
        return sendJsonError(res, 413, -32600, `request body over ${http.maxBodyBytes} bytes`);
      try {
        body = JSON.parse(read);
      } catch {
        return sendJsonError(res, 400, -32700, 'parse error: the body is not JSON');
      }
    }
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (existing) return existing.handleRequest(req, res, body);
    if (req.method === 'POST' && !sessionId && isInitializeRequest(body)) {
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          sessions.set(id, transport);
        },
        enableDnsRebindingProtection: true,
        allowedHosts,
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      const mcp = createMemoryMcpServer({
        sandbox: runtime.sandbox,
        store: runtime.store,
        toolMetrics: runtime.toolMetrics,
        compiler: runtime.compiler,
        ...info,
      });
      await mcp.connect(transport);
      return transport.handleRequest(req, res, body);
    }
    return sendJsonError(res, 400, -32000, 'bad request: no valid mcp-session-id (send initialize first)');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(http.port, http.host, resolve);
  });
  const { port } = server.address() as { port: number };
  const hostForUrl = http.host.includes(':') ? `[${http.host}]` : http.host;
  allowedHosts = [`${hostForUrl}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`];
  return {
    server,
    url: `http://${hostForUrl}:${port}/mcp`,
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function authorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function readBody(req: IncomingMessage, cap: number): Promise<string | 'too_large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > cap) {
    req.resume();
    return 'too_large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > cap) {
      req.resume();
      return 'too_large';
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJsonError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
