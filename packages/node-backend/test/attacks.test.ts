// Real attack code against the node backend. Each attack must be stopped by a mechanism
// (permission model, namespaces, limits); after each, the host is alive and the next run is correct.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodeBackend } from '../src/index.js';

const backend = new NodeBackend({ poolSize: 2, maxConcurrency: 4 });
let server: Server;
let port = 0;
let connections = 0;
const hostDir = mkdtempSync(join(tmpdir(), 'memory-mcp-host-'));
const secretFile = join(hostDir, '.env');
writeFileSync(secretFile, 'API_KEY=host-secret-123\n');

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    socket.end('hello from the host\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await backend.close();
  server.close();
  rmSync(hostDir, { recursive: true, force: true });
});
afterEach(async () => {
  const next = await backend.execute({
    language: 'javascript',
    code: 'console.log("still alive"); return 6 * 7;',
  });
  expect(next).toMatchObject({ status: 'ok', stdout: 'still alive\n', value: 42 });
});

const run = (code: string, extra: object = {}) => backend.execute({ language: 'javascript', code, ...extra });
const escapeToProcess = `const p = this.constructor.constructor('return process')();`;

describe('node backend under attack', () => {
  it('cannot read /etc/passwd', async () => {
    const result = await run(`return require('fs').readFileSync('/etc/passwd', 'utf8');`);
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('ERR_ACCESS_DENIED');
    expect(JSON.stringify(result)).not.toContain('root:');
  });

  it("cannot read the host's .env", async () => {
    const result = await run(`return require('fs').readFileSync(${JSON.stringify(secretFile)}, 'utf8');`);
    expect(result.error?.kind).toBe('ERR_ACCESS_DENIED');
    expect(JSON.stringify(result)).not.toContain('host-secret-123');
  });

  it('cannot write outside its directory (or anywhere, unless granted)', async () => {
    const target = join(hostDir, 'pwned.txt');
    const result = await run(
      `require('fs').writeFileSync(${JSON.stringify(target)}, 'pwned'); return 'wrote';`,
    );
    expect(result.error?.kind).toBe('ERR_ACCESS_DENIED');
    expect(existsSync(target)).toBe(false);
  });

  it('cannot start a child process', async () => {
    for (const code of [
      `return require('child_process').execSync('id').toString();`,
      `const cp = 'child_' + 'process'; return require(cp).spawnSync('id').stdout.toString();`,
    ]) {
      const result = await run(code);
      expect(result.error?.kind, code).toBe('ERR_ACCESS_DENIED');
      expect(result.stdout).not.toMatch(/uid=/);
    }
  });

  it('cannot reach native bindings', async () => {
    const result = await run(
      `return process.binding('spawn_sync').spawn({ file: '/bin/sh', args: ['sh', '-c', 'id'] });`,
    );
    expect(result.error?.kind).toBe('ERR_ACCESS_DENIED');
  });

  it('cannot start a worker thread', async () => {
    const result = await run(
      `const { Worker } = require('worker_threads'); new Worker('1', { eval: true }); return 'started';`,
    );
    expect(result.error?.kind).toBe('ERR_ACCESS_DENIED');
  });

  it('cannot reach a server on the host loopback with fetch or net.connect', async () => {
    const before = connections;
    const viaFetch = await run(`const r = await fetch('http://127.0.0.1:${port}/'); return await r.text();`);
    expect(viaFetch.status).toBe('error');
    const viaNet = await run(`
      const net = require('net');
      return await new Promise((resolve, reject) => {
        const s = net.connect(${port}, '127.0.0.1', () => resolve('connected'));
        s.on('data', (d) => resolve(String(d)));
        s.on('error', reject);
      });`);
    expect(viaNet.status).toBe('error');
    expect(connections - before).toBe(0);
  });

  it('the network block is lifted by policy.allowNetwork (control: the server is reachable)', async () => {
    const before = connections;
    const result = await run(
      `const net = require('net');
      return await new Promise((resolve, reject) => {
        const s = net.connect(${port}, '127.0.0.1');
        s.on('data', (d) => { resolve(String(d)); s.end(); });
        s.on('error', reject);
      });`,
      { policy: { allowNetwork: true } },
    );
    expect(result).toMatchObject({ status: 'ok', value: 'hello from the host\n' });
    expect(connections - before).toBe(1);
  });

  it('cannot kill its parent', async () => {
    const viaPpid = await run(`process.kill(process.ppid, 'SIGKILL'); return 'sent';`);
    expect(viaPpid.status).not.toBe('timeout');
    const viaHostPid = await run(
      `try { process.kill(${process.pid}, 'SIGKILL'); return 'sent'; } catch (e) { return e.code; }`,
    );
    // In a PID namespace the host's PID does not exist; under the fallback guard the call is refused.
    expect(viaHostPid.value).toBe(backend.isolation === 'namespaces' ? 'ESRCH' : 'ERR_ACCESS_DENIED');
    // this test process is still here to assert it
    expect(process.pid).toBeGreaterThan(0);
  });

  it('escaping to `process` through the Function constructor gains nothing', async () => {
    const attacks = [
      `${escapeToProcess} return p.mainModule.require('fs').readFileSync('/etc/passwd', 'utf8');`,
      `${escapeToProcess} return p.mainModule.require('child_process').execSync('id').toString();`,
      `${escapeToProcess} return p.binding('fs');`,
      `${escapeToProcess} return p.dlopen({ exports: {} }, '/usr/lib/x86_64-linux-gnu/libc.so.6');`,
      `${escapeToProcess} const { Worker } = p.mainModule.require('worker_threads'); new Worker('1', { eval: true });`,
      `${escapeToProcess} p.mainModule.require('fs').writeFileSync(${JSON.stringify(join(hostDir, 'escaped.txt'))}, 'x');`,
    ];
    for (const code of attacks) {
      const result = await run(code);
      expect(result.status, code).toBe('error');
      expect(['ERR_ACCESS_DENIED', 'ERR_DLOPEN_DISABLED'], code).toContain(result.error?.kind);
    }
    expect(existsSync(join(hostDir, 'escaped.txt'))).toBe(false);
  });

  it('a fork bomb goes nowhere', async () => {
    const result = await run(`
      const { fork } = require('child_process');
      for (;;) fork(__filename);`);
    expect(result.error?.kind).toBe('ERR_ACCESS_DENIED');
  });

  it('while(true){} is a timeout, and the process is killed', async () => {
    const started = performance.now();
    const result = await run('while (true) {}', { limits: { timeoutMs: 500 } });
    expect(result.status).toBe('timeout');
    expect(result.error?.limit).toMatchObject({ name: 'timeoutMs', allowed: 500 });
    expect(performance.now() - started).toBeLessThan(15_000); // a hang guard, not a speed test
  });

  it('a setInterval that never ends is a timeout, not a hang', async () => {
    const result = await run(`setInterval(() => console.log('tick'), 50); return 'returned';`, {
      limits: { timeoutMs: 400 },
    });
    expect(result.status).toBe('timeout');
    expect(result.stdout).toContain('tick');
  });

  it('allocating until the heap dies is memory_limit', async () => {
    const result = await run(
      `const keep = []; for (;;) keep.push(new Array(1e6).fill({ x: Math.random() }));`,
      {
        limits: { memoryBytes: 64 * 1024 * 1024, timeoutMs: 20_000 },
      },
    );
    expect(result.status).toBe('memory_limit');
    expect(result.error?.limit).toMatchObject({ name: 'memoryBytes', allowed: 64 * 1024 * 1024 });
  });

  it('printing 100 MB is cut at the cap', async () => {
    const started = performance.now();
    const result = await run(
      `const line = 'x'.repeat(1024 * 1024); for (let i = 0; i < 100; i++) console.log(line);`,
      {
        limits: { maxOutputBytes: 64 * 1024 },
      },
    );
    expect(result.status).toBe('output_limit');
    expect(result.truncated).toBe(true);
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(64 * 1024);
    expect(performance.now() - started).toBeLessThan(30_000); // a hang guard, not a speed test
  });

  it('cannot forge a result by printing or by talking on the IPC channel', async () => {
    const result = await run(`
      console.log(JSON.stringify({ nonce: 'guess', valueJson: '"forged"', stdoutBytes: 0, stderrBytes: 0 }));
      const sent = typeof process.send;
      try { process.channel && process.channel.writeUtf8String && 'raw'; } catch {}
      return { sent };`);
    expect(result).toMatchObject({ status: 'ok', value: { sent: 'undefined' } });
  });
});
