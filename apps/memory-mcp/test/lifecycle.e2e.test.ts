// Start-up, shutdown and the stdio transport's edges, against the built app.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, CLI, stdioClient } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-lifecycle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SPIN = '(module (func (export "_start") (loop $l (br $l))))';

/** Runs the app to completion with stdin closed; returns its exit code and stderr. */
function runApp(args: string[], env: Record<string, string> = {}, cwd = dir) {
  const run = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    env: baseEnv(env),
    input: '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status, stderr: run.stderr, stdout: run.stdout };
}

/** A raw stdio peer: writes lines, reads answers by id. */
function rawStdio(db: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CLI, '--db', db], {
    env: baseEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const answers = new Map<unknown, { result?: unknown; error?: { code: number; message: string } }>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line);
    answers.set(message.id, message);
  });
  const waitFor = async (id: unknown) => {
    for (let i = 0; i < 3000 && !answers.has(id); i++) await new Promise((r) => setTimeout(r, 10));
    return answers.get(id);
  };
  const send = (message: unknown) => child.stdin!.write(`${JSON.stringify(message)}\n`);
  const initialize = async () => {
    send({
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await waitFor('init');
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  };
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, send, waitFor, initialize, exited };
}

describe('start-up failures: one line naming the setting and the fix, exit 2', () => {
  it('a data directory that cannot be created', () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const run = runApp([], { MEMORY_MCP_DATA_DIR: join(dir, 'a-file', 'sub') });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/MEMORY_MCP_DATA_DIR.*writable directory/),
    ]);
  });

  it('TURSO_URL that is not a URL', () => {
    const run = runApp([], { TURSO_URL: 'foo' });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^memory-mcp: TURSO_URL="foo" is invalid; accepted: a libsql:\/\//),
    ]);
  });

  it('a file that is not a database', () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(200));
    const run = runApp(['--db', path]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/notes\.txt is not a usable database \(SQLITE_NOTADB\).*--db/),
    ]);
  });

  it('an unknown flag', () => {
    const run = runApp(['--frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('flags', () => {
  it('--version prints the version', () => {
    const run = runApp(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('--db takes a file: URL without creating stray directories', () => {
    const cwd = join(dir, 'cwd');
    mkdirSync(cwd);
    const target = join(dir, 'by-url', 'memory.db');
    const run = runApp(['--db', `file://${target}`], {}, cwd);
    expect(run.code).toBe(0);
    expect(existsSync(target)).toBe(true);
    expect(readdirSync(cwd)).toEqual([]);
    const plain = runApp(['--db', `file:${join(dir, 'by-url2', 'memory.db')}`], {}, cwd);
    expect(plain.code).toBe(0);
    expect(existsSync(join(dir, 'by-url2', 'memory.db'))).toBe(true);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('doctor names where the mode came from, and checks the running Node', () => {
    const unset = runApp(['doctor', '--db', join(dir, 'doctor.db')], { MCP_SANDBOX_BACKEND: '' });
    expect(unset.stdout).toMatch(/mode +hybrid \(default; set MCP_SANDBOX_BACKEND or --backend to change\)/);
    expect(unset.stdout).toMatch(/node +v\d+\.\d+\.\d+ \(need 20\.19\+ on 20, 22\.13\+ on 22, or 24\+\)/);
    const set = runApp(['doctor', '--db', join(dir, 'doctor.db')], { MCP_SANDBOX_BACKEND: 'wasm' });
    expect(set.stdout).toMatch(/mode +wasm \(MCP_SANDBOX_BACKEND\)/);
  });

  it('MCP_HTTP_PORT alone serves HTTP', async () => {
    const child = spawn(process.execPath, [CLI, '--db', join(dir, 'port.db')], {
      env: baseEnv({ MCP_HTTP_PORT: '0' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (/listening on http:\/\/127\.0\.0\.1:\d+\/mcp/.test(stderr)) resolve();
      });
      child.once('exit', () => reject(new Error(stderr)));
    });
    const exit = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});

describe('stdio transport', () => {
  it('refuses tools/call before initialize and runs nothing', async () => {
    const app = rawStdio(join(dir, 'noinit.db'));
    app.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'start_episode', arguments: { task: 'x' } },
    });
    expect((await app.waitFor(1))?.error).toMatchObject({
      code: -32600,
      message: expect.stringMatching(/not initialized/),
    });
    await app.initialize();
    app.send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'query_memory', arguments: {} },
    });
    expect((await app.waitFor(2))?.result).toMatchObject({ structuredContent: { count: 0 } });
    app.child.stdin!.end();
    expect(await app.exited).toBe(0);
  });

  it('an oversized line gets a JSON-RPC error for its id, and the server keeps answering', async () => {
    const app = rawStdio(join(dir, 'big.db'), { MCP_STDIO_MAX_LINE_BYTES: String(4 * 1024 * 1024) });
    await app.initialize();
    const huge = 'x'.repeat(10 * 1024 * 1024);
    app.send({
      jsonrpc: '2.0',
      id: 'big',
      method: 'tools/call',
      params: { name: 'start_episode', arguments: { task: huge } },
    });
    expect((await app.waitFor('big'))?.error).toMatchObject({
      code: -32600,
      message: expect.stringMatching(/over 4194304 bytes \(MCP_STDIO_MAX_LINE_BYTES\)/),
    });
    app.send({ jsonrpc: '2.0', id: 'after', method: 'ping' });
    expect((await app.waitFor('after'))?.result).toEqual({});
    app.child.stdin!.end();
    expect(await app.exited).toBe(0);
  });

  it('a line that is not JSON is a parse error, and the server keeps answering', async () => {
    const app = rawStdio(join(dir, 'junk.db'));
    await app.initialize();
    app.child.stdin!.write('this is not json\n');
    expect((await app.waitFor(null))?.error).toMatchObject({ code: -32700 });
    app.send({ jsonrpc: '2.0', id: 3, method: 'ping' });
    expect((await app.waitFor(3))?.result).toEqual({});
    app.child.stdin!.end();
    expect(await app.exited).toBe(0);
  });
});

describe('shutdown answers every call in flight', () => {
  it('SIGTERM with 50 calls in flight: all 50 finish within the grace period and are answered', async () => {
    // A grace long enough for any machine: this checks that every call is answered, not how fast
    // (the next test covers calls cut off by the grace period).
    const { client, pid } = await stdioClient(join(dir, 'term.db'), { MCP_SHUTDOWN_GRACE_MS: '90000' });
    const calls = Array.from({ length: 50 }, (_, i) =>
      client.callTool({
        name: 'execute_agent_code',
        arguments: { language: 'wat', code: SPIN, limits: { timeoutMs: 1500 + i, fuel: 1e15 } },
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, 'SIGTERM');
    const results = await Promise.allSettled(calls);
    // Each call is answered: with its result, or (when its request had not arrived before the
    // signal) with an error saying nothing ran. Never a dropped connection.
    const outcomes = results.map((r) =>
      r.status === 'fulfilled'
        ? (r.value.structuredContent as { status: string }).status
        : String((r.reason as Error).message),
    );
    const odd = results.flatMap((r) =>
      r.status === 'fulfilled' && (r.value.structuredContent as { status: string }).status === 'error'
        ? [JSON.stringify((r.value.structuredContent as { error?: unknown }).error)]
        : [],
    );
    expect(odd, 'errors among the answers').toEqual([]);
    for (const outcome of outcomes) expect(outcome).toMatch(/^timeout$|shutting down: nothing ran/);
    expect(outcomes.filter((o) => o === 'timeout').length).toBeGreaterThan(0);
  });

  it('past the grace period, calls are cancelled and each answer says so', async () => {
    const { client, pid } = await stdioClient(join(dir, 'grace.db'), { MCP_SHUTDOWN_GRACE_MS: '300' });
    const calls = Array.from({ length: 5 }, () =>
      client.callTool({
        name: 'execute_agent_code',
        arguments: { language: 'wat', code: SPIN, limits: { timeoutMs: 60_000, fuel: 1e15 } },
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    const started = performance.now();
    process.kill(pid, 'SIGTERM');
    const results = await Promise.all(calls);
    for (const r of results)
      expect(r.structuredContent).toMatchObject({
        status: 'cancelled',
        error: { message: expect.stringMatching(/shutting down/) },
      });
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});
