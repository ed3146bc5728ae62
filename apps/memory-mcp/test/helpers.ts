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

/**
 * Generous per-call bound for load tests: on a loaded 2-core machine a call can queue behind many
 * others; what they assert is outcomes, not speed (the SDK's own default is 60 s).
 */
export const LOAD_CALL_TIMEOUT = { timeout: 600_000 };

export async function exec(client: Client, args: Record<string, unknown>): Promise<Structured> {
  const result = await client.callTool(
    { name: 'execute_agent_code', arguments: args },
    undefined,
    LOAD_CALL_TIMEOUT,
  );
  return result.structuredContent as Structured;
}

export const WAT_ID = '(module (func (export "id") (param i32) (result i32) (local.get 0)))';

export interface Acknowledged {
  executions: string[];
  steps: number;
  /** The acknowledged steps' actions (`step <i>`, unique in one load): each is looked up by name. */
  stepActions: string[];
  episodes: string[];
}

/**
 * Mixed writes (start_episode, log_step, execute_agent_code linked to an episode) through one
 * client, `inFlight` at a time, until `total` are done or `stop()` returns true. Returns what the
 * server acknowledged and every error, with the time each call started.
 */
export async function mixedLoad(
  client: Client,
  options: { total: number; inFlight: number; stop?: () => boolean; onAck?: () => void },
): Promise<{ acknowledged: Acknowledged; errors: Array<{ error: unknown; startedAt: number }> }> {
  const seed = (await client.callTool({ name: 'start_episode', arguments: { task: 'load seed' } }))
    .structuredContent as { episode_id: string };
  const acknowledged: Acknowledged = {
    executions: [],
    steps: 0,
    stepActions: [],
    episodes: [seed.episode_id],
  };
  const errors: Array<{ error: unknown; startedAt: number }> = [];
  let next = 0;
  const worker = async () => {
    while (next < options.total && !options.stop?.()) {
      const i = next++;
      const episodeId = acknowledged.episodes[i % acknowledged.episodes.length]!;
      const startedAt = performance.now();
      try {
        if (i % 3 === 0) {
          const r = await client.callTool(
            { name: 'start_episode', arguments: { task: `task ${i}` } },
            undefined,
            LOAD_CALL_TIMEOUT,
          );
          acknowledged.episodes.push((r.structuredContent as { episode_id: string }).episode_id);
        } else if (i % 3 === 1) {
          await client.callTool({
            name: 'log_step',
            arguments: { episode_id: episodeId, action: `step ${i}` },
          });
          acknowledged.steps++;
          acknowledged.stepActions.push(`step ${i}`);
        } else {
          const r = await exec(client, {
            language: 'wat',
            code: WAT_ID,
            entry: 'id',
            context: { input: [i] },
            episode_id: episodeId,
          });
          // Any status is a recorded execution (on a loaded machine a trivial run can hit its
          // deadline): what this load checks is that the record is written and kept.
          if (!r.execution_id) throw new Error(`execution ${i}: no execution_id`);
          acknowledged.executions.push(r.execution_id);
        }
        options.onAck?.();
      } catch (error) {
        errors.push({ error, startedAt });
      }
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  return { acknowledged, errors };
}

/** Opens the database file the way another process would and counts what is really there. */
export async function storedCounts(db: string, acknowledged: Acknowledged) {
  const { MemoryStore } = await import('@memory-mcp/mcp-server');
  const store = await MemoryStore.open({ url: `file:${db}` });
  try {
    const count = async (sql: string, args: string[] = []) => {
      let total = 0;
      for (let i = 0; i < Math.max(args.length, 1); i += 500) {
        const chunk = args.slice(i, i + 500);
        const where = sql.includes('IN (?)')
          ? sql.replace('IN (?)', `IN (${chunk.map(() => '?').join(',')})`)
          : sql;
        total += await store.db.read(async (q) =>
          Number(Object.values((await q.execute({ sql: where, args: chunk })).rows[0]!)[0]),
        );
        if (!sql.includes('IN (?)')) break;
      }
      return total;
    };
    return {
      executions: await count('SELECT COUNT(*) FROM executions WHERE id IN (?)', acknowledged.executions),
      episodes: await count('SELECT COUNT(*) FROM episodes WHERE id IN (?)', acknowledged.episodes),
      /** Every step stored, acknowledged or not. */
      steps: await count('SELECT COUNT(*) FROM steps'),
      /** The acknowledged steps found, by their action. */
      acknowledgedSteps: await count(
        'SELECT COUNT(*) FROM steps WHERE action IN (?)',
        acknowledged.stepActions,
      ),
    };
  } finally {
    await store.close();
  }
}
