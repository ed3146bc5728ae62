// Attack classes the permission model alone let through, each stopped here by a kernel wall of the
// jail (or a host-side check), followed by a correct next run.
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { NODE_DATA_BASELINE_BYTES } from '@memory-mcp/process-jail';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodeBackend } from '../src/index.js';

const MiB = 1024 * 1024;
const backend = new NodeBackend({ poolSize: 1, maxConcurrency: 2 });
// A directory the jail user (65534) may enter and read, as a grant must be.
const hostDir = mkdtempSync(join(tmpdir(), 'memory-mcp-walls-'));
chmodSync(hostDir, 0o755);
const secretFile = join(hostDir, 'memory.db');
writeFileSync(secretFile, 'host database');
const socketPath = join(hostDir, 'host.sock');
// Like docker.sock (0660 root:docker) or an ssh-agent socket (0600): not for everyone.
const privateSocketPath = join(hostDir, 'private.sock');
let server: Server;
let privateServer: Server;
let connections = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    socket.end('hello from a host service\n');
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  chmodSync(socketPath, 0o777);
  privateServer = createServer((socket) => {
    connections++;
    socket.end('private\n');
  });
  await new Promise<void>((resolve) => privateServer.listen(privateSocketPath, resolve));
  chmodSync(privateSocketPath, 0o660);
});
afterAll(async () => {
  await backend.close();
  server.close();
  privateServer.close();
  rmSync(hostDir, { recursive: true, force: true });
});
afterEach(async () => {
  const next = await backend.execute({
    language: 'javascript',
    code: 'console.log("still alive"); return 6 * 7;',
  });
  expect(next).toMatchObject({ status: 'ok', stdout: 'still alive\n', value: 42 });
  expect(backend.stats().running).toBe(0);
});
const run = (code: string, extra: object = {}) => backend.execute({ language: 'javascript', code, ...extra });
const writableDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-write-'));
  chmodSync(dir, 0o777);
  return dir;
};

// Node's own resident, file-backed pages (the binary and its libraries) count in VmHWM but not in
// RLIMIT_DATA; the process-jail README measured ~35 MiB of them.
const FILE_BACKED_ALLOWANCE = 48 * MiB;

describe('kernel walls around each execution', () => {
  it('an off-heap Buffer bomb stops at the cap; peak RSS from /proc stays within cap + baseline', async () => {
    const memoryBytes = 64 * MiB;
    const result = await run(
      `const keep = []; let n = 0;
       try { for (; n < 64; n++) keep.push(Buffer.alloc(16 << 20, 1)); } catch (e) { return { n, error: e.name }; }
       return { n, error: null };`,
      { limits: { memoryBytes, timeoutMs: 60_000 } },
    );
    // Unjailed, all 64 buffers (1 GiB) fit; under RLIMIT_DATA the allocation fails early and cleanly.
    expect(result.status).toBe('ok');
    expect(result.value).toMatchObject({ error: 'RangeError' });
    expect((result.value as { n: number }).n).toBeLessThan(64);
    expect(result.memoryPeakBytes).toBeGreaterThan(0);
    expect(result.memoryPeakBytes!).toBeLessThanOrEqual(
      memoryBytes + NODE_DATA_BASELINE_BYTES + FILE_BACKED_ALLOWANCE,
    );
  });

  it('a WebAssembly.Memory bomb stops at the cap; peak RSS stays within cap + baseline', async () => {
    const memoryBytes = 64 * MiB;
    const result = await run(
      `const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
       let pages = 1;
       try {
         for (; pages < 16384; pages += 256) { memory.grow(256); new Uint8Array(memory.buffer).fill(1); }
       } catch (e) { return { mib: pages / 16, error: e.name }; }
       return { mib: pages / 16, error: null };`,
      { limits: { memoryBytes, timeoutMs: 60_000 } },
    );
    expect(result.status).toBe('ok');
    expect(result.value).toMatchObject({ error: 'RangeError' });
    expect((result.value as { mib: number }).mib).toBeLessThan(1024);
    expect(result.memoryPeakBytes!).toBeLessThanOrEqual(
      memoryBytes + NODE_DATA_BASELINE_BYTES + FILE_BACKED_ALLOWANCE,
    );
  });

  it('trace_events cannot write into a read grant, even after chdir there', async () => {
    const result = await run(
      `try { process.chdir(${JSON.stringify(hostDir)}); } catch {}
       try {
         const tracing = require('trace_events').createTracing({ categories: ['node', 'v8'] });
         tracing.enable();
         for (let i = 0; i < 1e5; i++) JSON.parse('{"a":[1,2,3]}');
         await new Promise((r) => setTimeout(r, 500));
         tracing.disable();
       } catch (e) { return e.code ?? e.name; }
       return process.cwd();`,
      { policy: { readPaths: [hostDir] }, limits: { timeoutMs: 10_000 } },
    );
    // Node 20 cannot open its trace file on the read-only mount ("read-only file system") and its
    // tracing agent may then hang the process until the deadline: any status, but no file.
    expect(['ok', 'error', 'timeout']).toContain(result.status);
    expect(readdirSync(hostDir).filter((name) => name.startsWith('node_trace'))).toEqual([]);
    expect(readdirSync(process.cwd()).filter((name) => name.startsWith('node_trace'))).toEqual([]);
  });

  it('cannot connect to a host unix socket, or plant one, at any path', async () => {
    const before = connections;
    const connect = await run(`
      return await new Promise((resolve) => {
        const s = require('net').connect(${JSON.stringify(socketPath)});
        s.on('data', (d) => resolve('got: ' + d));
        s.on('error', (e) => resolve(e.code));
      });`);
    // seccomp refuses socket(AF_UNIX) before the (absent) path is even looked up.
    expect(connect).toMatchObject({ status: 'ok', value: 'EAFNOSUPPORT' });
    const planted = join(hostDir, 'planted.sock');
    const listen = await run(`
      const net = require('net');
      const tryListen = (path) => new Promise((resolve) => {
        const server = net.createServer();
        server.on('error', (e) => resolve(e.code));
        server.listen(path, () => { server.close(); resolve('listening'); });
      });
      return [await tryListen(${JSON.stringify(planted)}), await tryListen('/planted.sock')];`);
    expect(listen.status).toBe('ok');
    expect(listen.value).not.toContain('listening');
    expect(existsSync(planted)).toBe(false);
    expect(existsSync('/planted.sock')).toBe(false);
    expect(connections - before).toBe(0);
  });

  it('require.resolve and realpathSync are no existence oracle for host files', async () => {
    const probe = (path: string) => `
      const path = ${JSON.stringify(path)};
      const outcome = (fn) => { try { fn(); return 'found'; } catch (e) { return e.code; } };
      return [
        outcome(() => require.resolve(path)),
        outcome(() => require('fs').realpathSync(path)),
        outcome(() => require('fs').statSync(path)),
        outcome(() => { if (!require('fs').existsSync(path)) throw Object.assign(new Error(), { code: 'absent' }); }),
      ];`;
    const existing = await run(probe(secretFile));
    const missing = await run(probe(join(hostDir, 'no-such-file.db')));
    expect(existing.status).toBe('ok');
    expect(existing.value).toEqual(missing.value);
    expect(existing.value).not.toContain('found');
  });

  it('a read grant does not reveal the host root or other entries of its parent directory', async () => {
    const result = await run(
      `const fs = require('fs');
       const list = (dir) => { try { return fs.readdirSync(dir); } catch (e) { return e.code; } };
       return { root: list('/'), parent: list(${JSON.stringify(tmpdir())}) };`,
      { policy: { readPaths: [hostDir] } },
    );
    expect(result.status).toBe('ok');
    const { root, parent } = result.value as { root: string[] | string; parent: string[] | string };
    const hostOnly = readdirSync('/').filter(
      (name) => !['usr', 'lib', 'lib64', 'bin', 'tmp', 'proc', 'dev', 'opt', 'sandbox', 'etc'].includes(name),
    );
    expect(hostOnly.length).toBeGreaterThan(0);
    if (Array.isArray(root)) for (const name of hostOnly) expect(root).not.toContain(name);
    // The host's /tmp holds other runs' directories; inside, the parent holds only the grant.
    if (Array.isArray(parent)) expect(parent).toContain(hostDir.split('/').pop());
  });

  it('relative, wildcard and dot-dot grants are refused, naming the path', async () => {
    for (const [field, path] of [
      ['readPaths', '..'],
      ['readPaths', '*'],
      ['readPaths', `${tmpdir()}/*`],
      ['writePaths', 'relative/dir'],
      ['readPaths', `${hostDir}/../..`],
    ] as const) {
      await expect(run('return 1;', { policy: { [field]: [path] } }), path).rejects.toMatchObject({
        name: 'InvalidRequestError',
        field: `${field}[0]`,
        message: expect.stringContaining(JSON.stringify(path)),
      });
    }
  });

  it("shows nothing of the host's identity: hostname, user, home, install path", async () => {
    const result = await run(`
      const os = require('os');
      let user; try { user = os.userInfo().username; } catch (e) { user = e.code; }
      let home; try { home = os.homedir(); } catch (e) { home = e.code; }
      let stack; try { null.x; } catch (e) { stack = e.stack; }
      return { hostname: os.hostname(), user, home, uid: process.getuid(), argv: process.argv, filename: __filename, cwd: process.cwd(), stack, env: process.env };`);
    expect(result.status).toBe('ok');
    const value = result.value as Record<string, unknown>;
    expect(value.hostname).toBe('sandbox');
    expect(value.hostname).not.toBe(hostname());
    expect(value.user).not.toBe(userInfo().username);
    // No /etc/passwd inside and HOME is not passed on: there is no home to find.
    expect(value.home).toBe('ERR_SYSTEM_ERROR');
    expect(value.uid).toBe(65534);
    const installPath = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
    expect(JSON.stringify(value)).not.toContain(installPath);
    expect(JSON.stringify(value)).not.toContain('/work/');
  });

  it('v8.setFlagsFromString("--allow-natives-syntax") cannot turn on %DebugPrint', async () => {
    const result = await run(`
      require('v8').setFlagsFromString('--allow-natives-syntax');
      return eval('%DebugPrint({ secret: 1 })');`);
    expect(result.status).toBe('error');
    expect(result.stdout).not.toMatch(/0x[0-9a-f]{6,}/);
    expect(result.stderr).not.toMatch(/JS_OBJECT_TYPE/);
  });

  it('files it creates in a write grant belong to uid 65534, not host root', async () => {
    const dir = writableDir();
    try {
      const result = await run(
        `require('fs').writeFileSync(${JSON.stringify(join(dir, 'made.txt'))}, 'x'); return 'ok';`,
        {
          policy: { readPaths: [dir], writePaths: [dir] },
        },
      );
      expect(result).toMatchObject({ status: 'ok', value: 'ok' });
      expect(statSync(join(dir, 'made.txt'))).toMatchObject({ uid: 65534, gid: 65534 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('with the inner layer out of the way, the kernel walls still hold', () => {
  it('a child Node without the permission model sees no host paths, files, sockets or identity', async () => {
    const probe = `
      const fs = require('fs');
      const net = require('net');
      const tryIt = (fn) => { try { return fn(); } catch (e) { return e.code; } };
      const connect = (path) => new Promise((resolve) => {
        const s = net.connect(path);
        s.on('connect', () => { s.destroy(); resolve('connected'); });
        s.on('error', (e) => resolve(e.code));
      });
      (async () => {
        console.log(JSON.stringify({
          root: tryIt(() => fs.readdirSync('/')),
          parent: tryIt(() => fs.readdirSync(${JSON.stringify(tmpdir())})),
          secret: tryIt(() => fs.readFileSync(${JSON.stringify(secretFile)}, 'utf8')),
          passwd: tryIt(() => fs.readFileSync('/etc/passwd', 'utf8')),
          writeRoot: tryIt(() => fs.writeFileSync('/pwned', 'x')),
          writeGrant: tryIt(() => fs.writeFileSync(${JSON.stringify(join(hostDir, 'pwned'))}, 'x')),
          socket: await connect(${JSON.stringify(socketPath)}),
          privateSocket: await connect(${JSON.stringify(privateSocketPath)}),
          hostname: require('os').hostname(),
          uid: process.getuid(),
        }));
      })();`;
    const before = connections;
    const result = await run(
      `const { spawnSync } = require('child_process');
       // Node 22+ hands its permission flags on to child Nodes; then widen them to everything, so
       // only the kernel walls are left.
       const inherits = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(!!process.permission))'], { encoding: 'utf8' }).stdout === 'true';
       const widen = inherits ? ['--allow-fs-read=*', '--allow-fs-write=*'] : [];
       const out = spawnSync(process.execPath, [...widen, '-e', ${JSON.stringify(probe)}], { encoding: 'utf8' });
       if (out.status !== 0) throw new Error('probe failed: ' + out.stderr);
       return JSON.parse(out.stdout);`,
      { policy: { readPaths: [hostDir], allowProcesses: true }, limits: { timeoutMs: 30_000 } },
    );
    expect(result.status).toBe('ok');
    const seen = result.value as Record<string, unknown>;
    const hostOnly = readdirSync('/').filter(
      (name) => !['usr', 'lib', 'lib64', 'bin', 'tmp', 'proc', 'dev', 'opt', 'sandbox', 'etc'].includes(name),
    );
    expect(hostOnly.length).toBeGreaterThan(0);
    expect(Array.isArray(seen.root)).toBe(true);
    for (const name of hostOnly) expect(seen.root).not.toContain(name);
    // The host's /tmp holds other runs' directories; inside, the grant's parent holds only the grant
    // (and the directory of the node binary itself when it lives under /tmp, as in the CI matrix).
    const allowed = [hostDir.split('/').pop(), ...process.execPath.split('/').filter(Boolean)];
    expect(Array.isArray(seen.parent)).toBe(true);
    expect(seen.parent).toContain(hostDir.split('/').pop());
    for (const name of seen.parent as string[]) expect(allowed).toContain(name);
    // The read grant is readable (it is granted); writes to it and to / are refused by read-only mounts.
    expect(seen.secret).toBe('host database');
    expect(seen.passwd).toBe('ENOENT');
    expect(seen.writeRoot).toBe('EROFS');
    expect(seen.writeGrant).toBe('EROFS');
    // Sockets inside a read grant are visible, and a read-only bind mount does not stop connect():
    // the seccomp filter does, for the world-writable one too (uid 65534 alone would not).
    expect(seen.socket).toBe('EAFNOSUPPORT');
    expect(seen.privateSocket).toBe('EAFNOSUPPORT');
    expect(connections - before).toBe(0);
    expect(seen).toMatchObject({ hostname: 'sandbox', uid: 65534 });
    expect(existsSync(join(hostDir, 'pwned'))).toBe(false);
  });
});

describe('nothing outlives its result', () => {
  it('an exit hook that would spin forever never runs; the jail is gone when execute returns', async () => {
    const result = await run(`process.on('exit', () => { for (;;) {} }); return 'reported';`);
    expect(result).toMatchObject({ status: 'ok', value: 'reported' });
    expect(backend.stats().running).toBe(0);
  });

  it('a detached child process and a beforeExit interval are killed with the jail', async () => {
    const dir = writableDir();
    const marks = join(dir, 'marks.txt');
    try {
      const result = await run(
        `const { spawn } = require('child_process');
         const script = "setInterval(() => require('fs').appendFileSync(" + JSON.stringify(${JSON.stringify(marks)}) + ", 'c'), 20)";
         const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: 'ignore' });
         child.unref();
         process.on('beforeExit', () => setInterval(() => require('fs').appendFileSync(${JSON.stringify(marks)}, 'p'), 20));
         // Report only once the child is demonstrably running (a hang guard bounds this wait).
         const fs = require('fs');
         for (let i = 0; i < 600 && !fs.existsSync(${JSON.stringify(marks)}); i++) await new Promise((r) => setTimeout(r, 50));
         return fs.existsSync(${JSON.stringify(marks)}) ? 'reported' : 'child never ran';`,
        {
          policy: { readPaths: [dir], writePaths: [dir], allowProcesses: true },
          limits: { timeoutMs: 30_000 },
        },
      );
      expect(result).toMatchObject({ status: 'ok', value: 'reported' });
      expect(backend.stats().running).toBe(0);
      const size = () => (existsSync(marks) ? statSync(marks).size : 0);
      const after = size();
      expect(after).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 1000));
      expect(size()).toBe(after);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
