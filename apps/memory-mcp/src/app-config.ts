import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type SandboxConfig } from '@memory-mcp/sandbox-core';

export interface AppConfig {
  sandbox: SandboxConfig;
  /** libSQL URL: TURSO_URL, else `file:` in the data directory (or `--db`). */
  databaseUrl: string;
  databaseToken?: string;
  /** Where the embedded database lives, when it is a file. */
  databasePath?: string;
  /** Streamable HTTP instead of stdio. */
  http?: { port: number; host: string; authToken?: string; maxBodyBytes: number };
  command: 'serve' | 'doctor' | 'help';
}

/** The user's data directory for memory-mcp, following each OS's convention. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MEMORY_MCP_DATA_DIR) return env.MEMORY_MCP_DATA_DIR;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'memory-mcp');
  if (process.platform === 'win32')
    return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'memory-mcp');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'memory-mcp');
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** Flags map onto the same settings as the environment; flags win. Bad values throw ConfigError. */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): AppConfig {
  const sandbox = loadConfig(env);
  let command: AppConfig['command'] = 'serve';
  let db: string | undefined;
  let http: AppConfig['http'];
  const args = [...argv];
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === 'doctor') command = 'doctor';
    else if (arg === 'help' || arg === '--help' || arg === '-h') command = 'help';
    else if (arg === '--db') db = required(args.shift(), '--db', 'a file path');
    else if (arg === '--http') {
      const next = args[0];
      const port =
        next !== undefined && /^\d+$/.test(next) ? Number(args.shift()) : Number(env.MCP_HTTP_PORT ?? 3333);
      http = { port, host: env.MCP_HTTP_HOST ?? '127.0.0.1', maxBodyBytes: 1024 * 1024 };
    } else if (arg === '--host') {
      const host = required(args.shift(), '--host', 'a host name or address');
      http = { ...(http ?? { port: Number(env.MCP_HTTP_PORT ?? 3333), maxBodyBytes: 1024 * 1024 }), host };
    } else if (arg === '--backend') {
      sandbox.backend = loadConfig({
        MCP_SANDBOX_BACKEND: required(args.shift(), '--backend', 'node | wasm | hybrid'),
      }).backend;
    } else
      throw new ConfigError(
        arg,
        undefined,
        'doctor, --http [port], --host <host>, --db <path>, --backend <node|wasm|hybrid>, --help',
      );
  }
  if (http) {
    if (!Number.isInteger(http.port) || http.port < 0 || http.port > 65535) {
      throw new ConfigError('MCP_HTTP_PORT', String(http.port), 'an integer port in [0, 65535]');
    }
    if (env.MCP_AUTH_TOKEN) http.authToken = env.MCP_AUTH_TOKEN;
    else if (!isLoopback(http.host)) {
      throw new ConfigError(
        'MCP_AUTH_TOKEN',
        undefined,
        `a bearer token, required when serving HTTP on ${http.host} (not loopback)`,
      );
    }
    if (env.MCP_HTTP_MAX_BODY_BYTES) {
      const cap = Number(env.MCP_HTTP_MAX_BODY_BYTES);
      if (!Number.isInteger(cap) || cap < 1024)
        throw new ConfigError('MCP_HTTP_MAX_BODY_BYTES', env.MCP_HTTP_MAX_BODY_BYTES, 'an integer >= 1024');
      http.maxBodyBytes = cap;
    }
  }
  const config: AppConfig = { sandbox, command, databaseUrl: '' };
  if (http) config.http = http;
  if (env.TURSO_URL && !db) {
    config.databaseUrl = env.TURSO_URL;
    if (env.TURSO_TOKEN) config.databaseToken = env.TURSO_TOKEN;
  } else {
    config.databasePath = db ?? join(dataDir(env), 'memory.db');
    config.databaseUrl = `file:${config.databasePath}`;
  }
  return config;
}

function required(value: string | undefined, flag: string, accepted: string): string {
  if (!value) throw new ConfigError(flag, value, accepted);
  return value;
}
