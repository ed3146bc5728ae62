import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createMemoryMcpServer } from '@memory-mcp/mcp-server';
import { ConfigError } from '@memory-mcp/sandbox-core';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { type AppConfig, parseArgs } from './app-config.js';
import { buildRuntime } from './build-runtime.js';
import { doctor } from './doctor.js';
import { serveHttp } from './serve-http.js';

const version = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
const log = (message: string) => process.stderr.write(`memory-mcp: ${message}\n`);

const HELP = `memory-mcp ${version}: run untrusted code for AI agents, over MCP

usage:
  memory-mcp                  serve MCP over stdio (for Claude Desktop, Cursor, ...)
  memory-mcp --http [port]    serve Streamable HTTP on 127.0.0.1 (default port 3333), endpoint /mcp
  memory-mcp doctor           check what works on this machine, exit non-zero if something required is missing

options:
  --host <host>               HTTP bind address (default 127.0.0.1; anything else needs MCP_AUTH_TOKEN)
  --db <path>                 database file (default: the user data directory)
  --backend <node|wasm|hybrid>

environment: MCP_SANDBOX_BACKEND, MCP_WASM_RATIO, MCP_MAX_CONCURRENCY, MCP_TIMEOUT_MS, MCP_MEMORY_MB,
  MCP_FUEL_PER_SECOND, MCP_MAX_OUTPUT_BYTES, MCP_HTTP_PORT, MCP_HTTP_HOST, MCP_AUTH_TOKEN,
  MCP_HTTP_MAX_BODY_BYTES, TURSO_URL, TURSO_TOKEN, MEMORY_MCP_DATA_DIR
`;

async function main(): Promise<number> {
  let config: AppConfig;
  try {
    config = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (ConfigError.isInstance(error)) {
      log(error.message);
      return 2;
    }
    throw error;
  }
  if (config.command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (config.databasePath) mkdirSync(dirname(config.databasePath), { recursive: true });
  if (config.command === 'doctor') return doctor(config, version);

  // Signals are handled from the start, so a stop that arrives while starting up is still graceful.
  let runtime: Awaited<ReturnType<typeof buildRuntime>> | undefined;
  let stopTransport: (() => Promise<void>) | undefined;
  let stopping = false;
  async function shutdown(reason: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    log(`shutting down (${reason})`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await stopTransport?.().catch(() => {});
    await runtime?.close();
    process.exit(0);
  }
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  runtime = await buildRuntime(config);
  log(`data: ${config.databasePath ?? config.databaseUrl.replace(/\?.*$/, '')}`);
  log(`sandbox: ${config.sandbox.backend} (${Object.keys(runtime.sandbox.backends).join(', ')})`);
  const info = { name: 'memory-mcp', version };

  if (config.http) {
    const handle = await serveHttp(runtime, config.http, info);
    stopTransport = () => handle.close();
    log(`listening on ${handle.url}${config.http.authToken ? ' (bearer token required)' : ''}`);
  } else {
    const server = createMemoryMcpServer({
      sandbox: runtime.sandbox,
      store: runtime.store,
      toolMetrics: runtime.toolMetrics,
      compiler: runtime.compiler,
      ...info,
    });
    const transport = new StdioServerTransport();
    await server.connect(transport);
    stopTransport = () => server.close();
    log('serving MCP over stdio');
    process.stdin.on('end', () => void shutdown('stdin closed'));
  }
  if (stopping) await shutdown('stopped while starting');
  return -1; // keep running
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    log(`fatal: ${(error as Error).stack ?? error}`);
    process.exit(1);
  },
);
