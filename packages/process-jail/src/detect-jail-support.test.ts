import { describe, expect, it } from 'vitest';
import { detectJailSupport } from './detect-jail-support.js';
import { JailUnavailableError } from './errors/jail-unavailable-error.js';
import { startJail } from './start-jail.js';

// CI installs bubblewrap; this file checks the detection against what the machine really offers.
describe.skipIf(process.platform !== 'linux')('detectJailSupport', () => {
  it('finds every wall on a Linux host with bubblewrap, once', async () => {
    const support = await detectJailSupport();
    expect(support).toMatchObject({
      level: 'namespaces',
      userNamespaces: true,
      unprivilegedUid: true,
      bwrap: { path: expect.stringMatching(/bwrap$/), version: expect.stringMatching(/^\d+\.\d+/) },
      prlimit: { path: expect.stringMatching(/prlimit$/) },
    });
    expect(await detectJailSupport()).toBe(support);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'refuses, with a fix, to jail as root unless a weaker level is named',
    async () => {
      const root = { uid: 0, gid: 0 };
      const support = await detectJailSupport({ user: root });
      expect(support).toMatchObject({
        level: 'permission-model',
        unprivilegedUid: false,
        reason: 'jail user is root',
      });
      const error = await startJail({ user: root, args: ['-e', '0'] }).catch((e: unknown) => e);
      expect(JailUnavailableError.isInstance(error)).toBe(true);
      expect((error as JailUnavailableError).fix).toBeTruthy();
      expect((error as Error).message.split('\n')).toHaveLength(1);
    },
  );

  it('runs the named weaker level without namespaces, with a clean env and rlimits, and says so', async () => {
    const jail = await startJail({
      isolation: 'permission-model',
      args: [
        '-e',
        `console.log(JSON.stringify({ env: process.env, uid: process.getuid(), host: require('fs').existsSync('/etc') }))`,
      ],
    });
    let out = '';
    jail.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    expect(await jail.exited).toMatchObject({ code: 0, reason: 'exit' });
    const seen = JSON.parse(out) as { env: Record<string, string>; uid: number; host: boolean };
    expect(Object.keys(seen.env).sort()).toEqual(['HOME', 'PATH', 'TMPDIR']);
    expect(seen.host).toBe(true);
    expect(seen.env.HOME).toBe(jail.workDir.path);
    expect(jail.isolation).toBe('permission-model');
    expect(jail.walls).toContain('rlimit-data');
    expect(jail.walls).not.toContain('mount-namespace');
    expect(jail.walls).not.toContain('rlimit-nproc');
    if (process.getuid?.() === 0) expect(seen.uid).toBe(65534);
  });
});
