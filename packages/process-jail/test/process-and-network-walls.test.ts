import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startJail } from '../src/start-jail.js';
import { expectHealthyJail, livingProcessesWith, runJailed, SEND_FRAME } from './run-jailed.js';

const hostDir = mkdtempSync(join(tmpdir(), 'process-jail-net-'));
const socketPath = join(hostDir, 'host.sock');
const abstractName = `\0process-jail-test-${process.pid}`;
const servers: Server[] = [];
let tcpPort = 0;
let accepted = 0;

beforeAll(async () => {
  for (const address of [socketPath, abstractName]) {
    const server = createServer((socket) => {
      accepted++;
      socket.end('host secret\n');
    });
    server.listen(address);
    await once(server, 'listening');
    servers.push(server);
  }
  const tcp = createServer((socket) => {
    accepted++;
    socket.end('host secret\n');
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  tcpPort = (tcp.address() as { port: number }).port;
  servers.push(tcp);
});

afterAll(() => {
  for (const server of servers) server.close();
  rmSync(hostDir, { recursive: true, force: true });
});
afterEach(expectHealthyJail);

const CONNECT = `
function tryConnect(options) {
  return new Promise((resolve) => {
    const socket = require('net').connect(options);
    socket.setTimeout(3000, () => { socket.destroy(); resolve('timeout'); });
    socket.on('data', (d) => resolve('connected: ' + d.toString().trim()));
    socket.on('error', (e) => resolve(e.code));
  });
}`;

describe('network and process walls', () => {
  it('cannot reach host sockets: a unix socket path, an abstract socket, TCP on host loopback', async () => {
    const run = await runJailed(`${SEND_FRAME}${CONNECT}
      (async () => send({
        path: await tryConnect({ path: ${JSON.stringify(socketPath)} }),
        abstract: await tryConnect({ path: ${JSON.stringify(abstractName)} }),
        tcp: await tryConnect({ host: '127.0.0.1', port: ${tcpPort} }),
        interfaces: Object.keys(require('os').networkInterfaces()),
      }).then(() => process.exit(0)))();`);
    expect(run.frames[0]).toEqual({
      path: 'ENOENT',
      abstract: 'ECONNREFUSED',
      tcp: 'ECONNREFUSED',
      interfaces: ['lo'],
    });
    expect(accepted).toBe(0);
  });

  it('cannot plant a socket file outside its write grant', async () => {
    const run = await runJailed(`${SEND_FRAME}
      const listen = (path) => new Promise((resolve) => {
        const server = require('net').createServer();
        server.on('error', (e) => resolve(e.code));
        server.listen(path, () => { server.close(); resolve('listening'); });
      });
      (async () => send({
        hostDir: await listen(${JSON.stringify(join(hostDir, 'planted.sock'))}),
        root: await listen('/planted.sock'),
        work: await listen('/sandbox/planted.sock'),
      }).then(() => process.exit(0)))();`);
    const results = run.frames[0] as Record<string, string>;
    expect(Object.keys(results)).toEqual(['hostDir', 'root', 'work']);
    for (const [where, result] of Object.entries(results)) expect(result, where).toMatch(/^E[A-Z]+$/);
    expect(existsSync(join(hostDir, 'planted.sock'))).toBe(false);
  });

  it('reaches the host network only when allowed', async () => {
    const run = await runJailed(
      `${SEND_FRAME}${CONNECT}
      tryConnect({ host: '127.0.0.1', port: ${tcpPort} }).then((r) => send(r)).then(() => process.exit(0));`,
      { allowNetwork: true },
    );
    expect(run.frames[0]).toBe('connected: host secret');
    expect(run.handle.walls).not.toContain('network-namespace');
    accepted = 0;
  });

  it('kill() ends the whole tree, including a detached grandchild that ignores SIGTERM', async () => {
    const marker = `process-jail-marker-${randomUUID()}`;
    // Only the grandchild's argv holds the marker whole; the program's own code holds it in halves.
    const [head, tail] = [marker.slice(0, 20), marker.slice(20)];
    const jail = await startJail({
      args: [
        '-e',
        `const { spawn } = require('child_process');
         const grandchild = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); process.on("SIGHUP", () => {}); setInterval(() => {}, 1000)', '${head}' + '${tail}'], { detached: true, stdio: 'ignore' });
         grandchild.unref();
         process.on('SIGTERM', () => {});
         console.log('ready');
         setInterval(() => {}, 1000);`,
      ],
    });
    await once(jail.stdout, 'data');
    // Both the program and its grandchild are up, as host processes.
    await expect.poll(() => livingProcessesWith(marker).length, { timeout: 20_000 }).toBe(1);
    jail.kill('SIGTERM');
    // A polite signal is only a request: the program ignores it and everything stays up.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(livingProcessesWith(marker).length).toBe(1);
    jail.kill();
    expect(await jail.exited).toMatchObject({ reason: 'killed' });
    await expect.poll(() => livingProcessesWith(marker), { timeout: 20_000 }).toEqual([]);
  });

  it('survives a program that floods stdout, closes its pipes and writes garbage on the channel', async () => {
    const jail = await startJail({
      args: [
        '-e',
        `const fs = require('fs');
         fs.writeSync(3, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
         for (let i = 0; i < 2000; i++) fs.writeSync(1, 'x'.repeat(4096));
         fs.closeSync(0); fs.closeSync(2); fs.closeSync(3);
         fs.writeSync(1, 'still here');
         process.exit(7);`,
      ],
    });
    let bytes = 0;
    jail.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    const [protocolError] = await once(jail.channel, 'protocolError');
    expect(protocolError.code).toBe('frame_too_large');
    // Writing to a jail that closed its end is a no-op, not an exception.
    jail.stdin.write('ignored');
    expect(await jail.exited).toMatchObject({ code: 7, reason: 'exit' });
    expect(jail.channel.write({ late: true })).toBe(false);
    expect(bytes).toBe(2000 * 4096 + 'still here'.length);
  });

  it('carries frames both ways and reports a frame cut short', async () => {
    const jail = await startJail({
      args: [
        '-e',
        `${SEND_FRAME}
         let buffered = Buffer.alloc(0);
         __channel.on('data', async (chunk) => {
           buffered = Buffer.concat([buffered, chunk]);
           if (buffered.length < 4 || buffered.length < 4 + buffered.readUInt32BE(0)) return;
           const request = JSON.parse(buffered.subarray(4, 4 + buffered.readUInt32BE(0)).toString());
           await send({ doubled: request.n * 2 });
           // Then half a frame, and exit.
           require('fs').writeSync(3, Buffer.from([0, 0, 0, 9, 0x7b]));
           process.exit(0);
         });`,
      ],
    });
    const protocolErrors: string[] = [];
    jail.channel.on('protocolError', (error) => protocolErrors.push(error.code));
    expect(jail.channel.write({ n: 21 })).toBe(true);
    const frames: unknown[] = [];
    for await (const frame of jail.channel.frames()) frames.push(frame);
    expect(frames).toEqual([{ doubled: 42 }]);
    await jail.exited;
    expect(protocolErrors).toEqual(['truncated']);
  });
});
