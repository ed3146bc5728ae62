import { describe, expect, it } from 'vitest';
import { runJailed } from './run-jailed.js';

const probe = `
  const net = require('net');
  const server = net.createServer();
  server.on('error', (e) => console.log('listen:' + e.code));
  server.listen('/tmp/x.sock', () => { console.log('listen:ok'); server.close(); });
  const { spawnSync } = require('child_process');
  console.log('child:' + spawnSync(process.execPath, ['-e', 'process.stdout.write("ran")']).stdout);`;

describe('denyUnixSockets', () => {
  it('makes socket(AF_UNIX) fail while socketpair-based child pipes keep working', async () => {
    const run = await runJailed(probe, { denyUnixSockets: true });
    expect(run.exit.reason).toBe('exit');
    expect(run.stdout).toContain('listen:EAFNOSUPPORT');
    expect(run.stdout).toContain('child:ran');
    expect(run.handle.walls).toContain('seccomp-no-unix-sockets');
  });

  it('control: without it, a unix socket can be created in the private /tmp', async () => {
    const run = await runJailed(probe);
    expect(run.stdout).toContain('listen:ok');
    expect(run.handle.walls).not.toContain('seccomp-no-unix-sockets');
  });
});
