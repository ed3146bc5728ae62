import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, type SandboxConfig } from '@memory-mcp/sandbox-core';

export interface HttpConfig {
  port: number;
  host: string;
  authToken?: string;
  maxBodyBytes: number;
  /** Host headers accepted besides the bound address and loopback (`--allowed-host`, `MCP_ALLOWED_HOSTS`). */
  allowedHosts: string[];
  /** Origins accepted from browsers (`--allowed-origin`, `MCP_ALLOWED_ORIGINS`); requests without Origin pass. */
  allowedOrigins: string[];
  /** No sessions: every POST is served on its own (`--stateless`, `MCP_HTTP_STATELESS=1`). */
  stateless: boolean;
  /** Sessions idle this long are closed (`MCP_SESSION_IDLE_MS`). */
  sessionIdleMs: number;
  /** Most sessions at once; past it the least recently used is closed (`MCP_MAX_SESSIONS`). */
  maxSessions: number;
  /** Most open connections (`MCP_HTTP_MAX_CONNECTIONS`). */
  maxConnections: number;
  /** Time to receive a request's headers (`MCP_HTTP_HEADERS_TIMEOUT_MS`). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (`MCP_HTTP_REQUEST_TIMEOUT_MS`). */
  requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this (`MCP_HTTP_KEEP_ALIVE_TIMEOUT_MS`). */
  keepAliveTimeoutMs: number;
}

export interface AppConfig {
  sandbox: SandboxConfig;
  /** Whether MCP_SANDBOX_BACKEND or --backend chose the mode (otherwise it is the default). */
  backendSource: 'default' | 'MCP_SANDBOX_BACKEND' | '--backend';
  /** libSQL URL: TURSO_URL, else `file:` in the data directory (or `--db`). */
  databaseUrl: string;
  databaseToken?: string;
  /** Where the embedded database lives, when it is a file. */
  databasePath?: string;
  /** Which setting named the database, for messages: `--db`, `TURSO_URL` or `MEMORY_MCP_DATA_DIR`. */
  databaseSource: '--db' | 'TURSO_URL' | 'MEMORY_MCP_DATA_DIR';
  /** Streamable HTTP instead of stdio. */
  http?: HttpConfig;
  /** Calls in flight get this long to finish on SIGTERM/SIGINT before they are cancelled (`MCP_SHUTDOWN_GRACE_MS`). */
  shutdownGraceMs: number;
  /** Longest stdio message line (`MCP_STDIO_MAX_LINE_BYTES`). */
  stdioMaxLineBytes: number;
  /**
   * Caps on JavaScript sessions (`create_session`): live sessions (`MEMORY_MCP_SESSIONS_MAX`, default
   * 100), saved state per session (`MEMORY_MCP_SESSION_STATE_MB`, default 32), idle TTL
   * (`MEMORY_MCP_SESSION_TTL_MS`, default 24 h) and the longest TTL a client may ask for
   * (`MEMORY_MCP_SESSION_MAX_TTL_MS`, default 7 days).
   */
  jsSessions: { maxSessions: number; maxStateBytes: number; ttlMs: number; maxTtlMs: number };
  command: 'serve' | 'doctor' | 'help' | 'version';
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

/** `--db` takes a path or a `file:` URL (`file:/abs.db`, `file:///abs.db`, `file:rel.db`); returns an absolute path. */
export function dbPathFromFlag(value: string): string {
  if (/^file:\/\//i.test(value)) {
    try {
      return fileURLToPath(value.replace(/[?#].*$/, ''));
    } catch {
      throw new ConfigError(
        '--db',
        value,
        'a file path or a file: URL such as file:///var/lib/memory-mcp/memory.db',
      );
    }
  }
  if (/^file:/i.test(value)) return resolve(decodeURIComponent(value.slice(5).replace(/[?#].*$/, '')));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
    throw new ConfigError('--db', value, 'a file path or a file: URL (a server goes in TURSO_URL)');
  return resolve(value);
}

const TURSO_SCHEMES = ['libsql:', 'http:', 'https:', 'ws:', 'wss:', 'file:'];

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(name, raw, `an integer in [${min}, ${max}]`);
  return value;
}

const list = (raw: string | undefined) =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Flags map onto the same settings as the environment; flags win. Bad values throw ConfigError. */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): AppConfig {
  const sandbox = loadConfig(env);
  let backendSource: AppConfig['backendSource'] = env.MCP_SANDBOX_BACKEND?.trim()
    ? 'MCP_SANDBOX_BACKEND'
    : 'default';
  let command: AppConfig['command'] = 'serve';
  let db: string | undefined;
  let httpWanted = Boolean(env.MCP_HTTP_PORT?.trim());
  let port: string | undefined = env.MCP_HTTP_PORT?.trim() || undefined;
  let host = env.MCP_HTTP_HOST?.trim() || '127.0.0.1';
  let stateless = /^(1|true|yes)$/i.test(env.MCP_HTTP_STATELESS ?? '');
  const allowedHosts = list(env.MCP_ALLOWED_HOSTS);
  const allowedOrigins = list(env.MCP_ALLOWED_ORIGINS);
  const args = [...argv];
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === 'doctor') command = 'doctor';
    else if (arg === 'help' || arg === '--help' || arg === '-h') command = 'help';
    else if (arg === '--version' || arg === '-v' || arg === 'version') command = 'version';
    else if (arg === '--db') db = required(args.shift(), '--db', 'a file path or a file: URL');
    else if (arg === '--http') {
      httpWanted = true;
      if (args[0] !== undefined && /^\d+$/.test(args[0])) port = args.shift();
    } else if (arg === '--host') {
      host = required(args.shift(), '--host', 'a host name or address');
      httpWanted = true;
    } else if (arg === '--allowed-host')
      allowedHosts.push(required(args.shift(), '--allowed-host', 'a host[:port]'));
    else if (arg === '--allowed-origin')
      allowedOrigins.push(
        required(args.shift(), '--allowed-origin', 'an origin such as https://app.example'),
      );
    else if (arg === '--stateless') {
      stateless = true;
      httpWanted = true;
    } else if (arg === '--backend') {
      sandbox.backend = loadConfig({
        MCP_SANDBOX_BACKEND: required(args.shift(), '--backend', 'node | wasm | hybrid'),
      }).backend;
      backendSource = '--backend';
    } else
      throw new ConfigError(
        arg,
        undefined,
        'doctor, --version, --http [port], --host <host>, --allowed-host <host>, --allowed-origin <origin>, --stateless, --db <path>, --backend <hybrid|kind>, --help',
      );
  }
  const config: AppConfig = {
    sandbox,
    backendSource,
    command,
    databaseUrl: '',
    databaseSource: 'MEMORY_MCP_DATA_DIR',
    shutdownGraceMs: int(env, 'MCP_SHUTDOWN_GRACE_MS', 8_000, 0, 600_000),
    stdioMaxLineBytes: int(env, 'MCP_STDIO_MAX_LINE_BYTES', 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    jsSessions: {
      maxSessions: int(env, 'MEMORY_MCP_SESSIONS_MAX', 100, 1, 1_000_000),
      maxStateBytes: int(env, 'MEMORY_MCP_SESSION_STATE_MB', 32, 1, 4096) * 1024 * 1024,
      ttlMs: int(env, 'MEMORY_MCP_SESSION_TTL_MS', 24 * 3_600_000, 1_000, 365 * 24 * 3_600_000),
      maxTtlMs: int(env, 'MEMORY_MCP_SESSION_MAX_TTL_MS', 7 * 24 * 3_600_000, 1_000, 365 * 24 * 3_600_000),
    },
  };
  if (httpWanted) config.http = httpConfig({ env, port, host, stateless, allowedHosts, allowedOrigins });
  if (db) {
    config.databasePath = dbPathFromFlag(db);
    config.databaseUrl = `file:${config.databasePath}`;
    config.databaseSource = '--db';
  } else if (env.TURSO_URL?.trim()) {
    const url = env.TURSO_URL.trim();
    let scheme: string | undefined;
    try {
      scheme = new URL(url).protocol;
    } catch {
      scheme = undefined;
    }
    if (!scheme || !TURSO_SCHEMES.includes(scheme))
      throw new ConfigError(
        'TURSO_URL',
        url,
        'a libsql://, https:// or wss:// URL of a libSQL server or Turso database',
      );
    config.databaseUrl = url;
    config.databaseSource = 'TURSO_URL';
    if (env.TURSO_TOKEN) config.databaseToken = env.TURSO_TOKEN;
  } else {
    config.databasePath = resolve(dataDir(env), 'memory.db');
    config.databaseUrl = `file:${config.databasePath}`;
  }
  return config;
}

function httpConfig(input: {
  env: NodeJS.ProcessEnv;
  port: string | undefined;
  host: string;
  stateless: boolean;
  allowedHosts: string[];
  allowedOrigins: string[];
}): HttpConfig {
  const { env } = input;
  const port = Number(input.port ?? 3333);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError('MCP_HTTP_PORT', input.port, 'an integer port in [0, 65535]');
  for (const origin of input.allowedOrigins) {
    try {
      if (new URL(origin).origin !== origin.replace(/\/$/, '')) throw new Error('not an origin');
    } catch {
      throw new ConfigError(
        'MCP_ALLOWED_ORIGINS',
        origin,
        'origins such as https://app.example (scheme, host, port)',
      );
    }
  }
  const http: HttpConfig = {
    port,
    host: input.host,
    maxBodyBytes: int(env, 'MCP_HTTP_MAX_BODY_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    allowedHosts: input.allowedHosts.map((h) => h.toLowerCase()),
    allowedOrigins: input.allowedOrigins.map((o) => o.replace(/\/$/, '').toLowerCase()),
    stateless: input.stateless,
    sessionIdleMs: int(env, 'MCP_SESSION_IDLE_MS', 30 * 60_000, 1_000, 7 * 24 * 3_600_000),
    maxSessions: int(env, 'MCP_MAX_SESSIONS', 1_000, 1, 1_000_000),
    maxConnections: int(env, 'MCP_HTTP_MAX_CONNECTIONS', 256, 1, 1_000_000),
    headersTimeoutMs: int(env, 'MCP_HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    requestTimeoutMs: int(env, 'MCP_HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    keepAliveTimeoutMs: int(env, 'MCP_HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 600_000),
  };
  if (env.MCP_AUTH_TOKEN) http.authToken = env.MCP_AUTH_TOKEN;
  else if (!isLoopback(http.host))
    throw new ConfigError(
      'MCP_AUTH_TOKEN',
      undefined,
      `a bearer token, required when serving HTTP on ${http.host} (not loopback)`,
    );
  return http;
}

function required(value: string | undefined, flag: string, accepted: string): string {
  if (!value) throw new ConfigError(flag, value, accepted);
  return value;
}
