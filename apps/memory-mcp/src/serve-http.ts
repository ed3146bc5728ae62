import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { type HttpConfig, isLoopback } from './app-config.js';
import type { Runtime } from './build-runtime.js';
import { createAppServer } from './create-app-server.js';
import { authorized, hostAllowed, originAllowed } from './http-guards.js';
import { SessionTable } from './session-table.js';

export interface HttpHandle {
  server: Server;
  url: string;
  /** Stops accepting connections (a load balancer sees this and routes elsewhere); open ones stay. */
  stopListening(): void;
  /** Stops listening, closes every session and connection. */
  close(): Promise<void>;
}

/**
 * Streamable HTTP at `/mcp`, either with sessions (`mcp-session-id`; idle ones expire, their
 * number is capped, an unknown id is 404 so the client re-initializes) or stateless (every POST
 * served on its own, so any instance behind a load balancer can answer any request). Host and
 * Origin are validated, bodies capped, slow requests timed out, connections capped, and a bearer
 * token is checked when configured (required off loopback).
 */
export async function serveHttp(
  runtime: Runtime,
  http: HttpConfig,
  info: { name: string; version: string },
): Promise<HttpHandle> {
  const newServer = (requireInitialize: boolean) => createAppServer(runtime, info, { requireInitialize });
  const sessions = new SessionTable({ idleMs: http.sessionIdleMs, max: http.maxSessions });
  let port = http.port;

  // Timeouts are enforced by a periodic check; its default period (30 s) would let a slow client
  // hold a connection for that long past them.
  const checkEveryMs = Math.max(100, Math.min(1_000, http.headersTimeoutMs / 2, http.requestTimeoutMs / 2));
  const server = createServer({ connectionsCheckingInterval: checkEveryMs }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      process.stderr.write(`memory-mcp: http error: ${(error as Error).message ?? error}\n`);
      if (!res.headersSent) sendJsonError(res, 500, -32603, 'internal error');
      else res.end();
    });
  });
  server.maxConnections = http.maxConnections;
  server.headersTimeout = http.headersTimeoutMs;
  server.requestTimeout = http.requestTimeoutMs;
  server.keepAliveTimeout = http.keepAliveTimeoutMs;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/mcp')
      return sendJsonError(res, 404, -32601, 'not found: the MCP endpoint is /mcp');
    if (
      !hostAllowed(req.headers.host, {
        loopback: isLoopback(http.host),
        port,
        allowedHosts: http.allowedHosts,
      })
    )
      return sendJsonError(
        res,
        403,
        -32000,
        `forbidden: Host ${req.headers.host ?? '(none)'} is not allowed (--allowed-host)`,
      );
    if (!originAllowed(req.headers.origin, http.allowedOrigins))
      return sendJsonError(
        res,
        403,
        -32000,
        `forbidden: Origin ${req.headers.origin} is not allowed (--allowed-origin)`,
      );
    if (http.authToken && !authorized(req, http.authToken)) {
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
    if (http.stateless) return serveStateless(req, res, body);

    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const transport = sessions.get(sessionId);
      if (!transport)
        return sendJsonError(
          res,
          404,
          -32001,
          'session not found (expired or unknown): send initialize again',
        );
      return transport.handleRequest(req, res, body);
    }
    if (req.method === 'POST' && isInitializeRequest(body)) {
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => sessions.add(id, transport),
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      await newServer(true).connect(transport);
      return transport.handleRequest(req, res, body);
    }
    return sendJsonError(res, 400, -32000, 'bad request: no mcp-session-id (send initialize first)');
  }

  async function serveStateless(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return sendJsonError(res, 405, -32000, 'method not allowed: this server is stateless (POST only)');
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const mcp = newServer(false);
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(http.port, http.host, resolve);
  });
  port = (server.address() as { port: number }).port;
  const hostForUrl = http.host.includes(':') ? `[${http.host}]` : http.host;
  return {
    server,
    url: `http://${hostForUrl}:${port}/mcp`,
    stopListening() {
      if (server.listening) server.close();
    },
    async close() {
      const closed = new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
      });
      await sessions.closeAll();
      server.closeAllConnections();
      await closed;
    },
  };
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
