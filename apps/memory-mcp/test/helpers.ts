import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export const baseEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  MCP_SANDBOX_BACKEND: 'hybrid',
  ...extra,
});

/** Starts the built app over stdio and connects the SDK's real Client to it. */
export async function stdioClient(db: string, env: Record<string, string> = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, '--db', db],
    env: baseEnv(env),
    stderr: 'pipe',
  });
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, pid: transport.pid! };
}

export interface HttpApp {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Starts the built app with --http on a free port and waits for its "listening" line. */
export async function startHttpApp(
  db: string,
  env: Record<string, string> = {},
  extraArgs: string[] = [],
): Promise<HttpApp> {
  const child = spawn(process.execPath, [CLI, '--http', '0', '--db', db, ...extraArgs], {
    env: baseEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app did not start: ${stderr}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`app exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    url,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export async function httpClient(url: string, token?: string) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    ...(token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {}),
  });
  const client = new Client({ name: 'e2e-http', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

export type Structured = Record<string, unknown> & { status: string; execution_id: string; value?: unknown };

export async function exec(client: Client, args: Record<string, unknown>): Promise<Structured> {
  const result = await client.callTool({ name: 'execute_agent_code', arguments: args });
  return result.structuredContent as Structured;
}
