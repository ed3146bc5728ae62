// The fallback for systems without network namespaces: an in-process guard. Forced on here so it
// is tested on every machine, namespaces or not.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeBackend } from '../src/index.js';

const backend = new NodeBackend({
  poolSize: 1,
  isolation: 'permission-model',
});
let server: Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await backend.close();
  server.close();
});

describe('network guard (no namespace)', () => {
  it('reports guard in capabilities', () => {
    expect(backend.capabilities().networkIsolation).toBe('guard');
  });

  const attacks = [
    `await fetch('http://127.0.0.1:PORT/');`,
    `await new Promise((res, rej) => require('net').connect(PORT, '127.0.0.1', res).on('error', rej));`,
    `await new Promise((res, rej) => new (require('net').Socket)().connect(PORT, '127.0.0.1', res).on('error', rej));`,
    `await new Promise((res, rej) => require('http').get('http://127.0.0.1:PORT/', res).on('error', rej));`,
    `require('dgram').createSocket('udp4');`,
    `await require('dns').promises.lookup('localhost');`,
  ];
  for (const attack of attacks) {
    it(`blocks: ${attack.slice(0, 60)}`, async () => {
      const before = connections;
      const result = await backend.execute({
        language: 'javascript',
        code: attack.replaceAll('PORT', String(port)),
      });
      expect(result.status).toBe('error');
      expect(result.error?.kind).toBe('ERR_NETWORK_DENIED');
      expect(connections - before).toBe(0);
    });
  }

  it('refuses signals to other processes (no PID namespace here)', async () => {
    const result = await backend.execute({
      language: 'javascript',
      code: `process.kill(process.ppid, 'SIGKILL');`,
    });
    expect(result.error?.kind).toBe('ERR_ACCESS_DENIED');
  });

  it('is lifted by policy.allowNetwork', async () => {
    const before = connections;
    const result = await backend.execute({
      language: 'javascript',
      code: `await new Promise((res, rej) => require('net').connect(${port}, '127.0.0.1', res).on('error', rej)); return 'ok';`,
      policy: { allowNetwork: true },
    });
    expect(result).toMatchObject({ status: 'ok', value: 'ok' });
    expect(connections - before).toBe(1);
  });
});
