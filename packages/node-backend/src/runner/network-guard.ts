// In-process network block, used only where the OS gives no network namespace. It is a guard, not
// a wall: determined code may find a way around it, which is why capabilities() reports it as
// `networkIsolation: 'guard'` rather than 'namespace'.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function denied(name: string, what = 'network access', code = 'ERR_NETWORK_DENIED'): () => never {
  return () => {
    const error = new Error(`${what} is denied by the sandbox policy (${name})`) as Error & { code: string };
    error.code = code;
    throw error;
  };
}

export function installNetworkGuard(): void {
  const modules: Record<string, string[]> = {
    net: ['connect', 'createConnection', 'createServer'],
    tls: ['connect', 'createServer'],
    dgram: ['createSocket'],
    http: ['request', 'get', 'createServer'],
    https: ['request', 'get', 'createServer'],
    http2: ['connect', 'createServer', 'createSecureServer'],
    dns: ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'reverse'],
  };
  for (const [name, fns] of Object.entries(modules)) {
    const mod = require(`node:${name}`) as Record<string, unknown>;
    for (const fn of fns) mod[fn] = denied(`${name}.${fn}`);
  }
  const net = require('node:net') as { Socket: { prototype: Record<string, unknown> } };
  net.Socket.prototype.connect = denied('net.Socket.connect');
  const dnsPromises = require('node:dns/promises') as Record<string, unknown>;
  for (const fn of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'reverse'])
    dnsPromises[fn] = denied(`dns.promises.${fn}`);
  // Without a PID namespace the child shares the host's PID space: refuse signals to other processes.
  const ownPid = process.pid;
  const kill = process.kill.bind(process);
  process.kill = ((pid: number, signal?: string | number) => {
    if (pid !== ownPid) denied('process.kill', 'signalling other processes', 'ERR_ACCESS_DENIED')();
    return kill(pid, signal);
  }) as typeof process.kill;
  (process as unknown as { _kill?: unknown })._kill = denied(
    'process._kill',
    'signalling other processes',
    'ERR_ACCESS_DENIED',
  );
  const g = globalThis as Record<string, unknown>;
  g.fetch = denied('fetch');
  g.WebSocket = denied('WebSocket');
  g.EventSource = denied('EventSource');
}
