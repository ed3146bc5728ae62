import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startJail } from '../src/start-jail.js';
import { expectHealthyJail, JAIL_GID, JAIL_UID, runJailed, SEND_FRAME } from './run-jailed.js';

const hostDir = mkdtempSync(join(tmpdir(), 'process-jail-fs-'));
const secret = join(hostDir, 'host-secret.txt');
writeFileSync(secret, 'host secret');
// bwrap runs as the jail user on the host side too, so it can only bind what that user can reach.
chmodSync(hostDir, 0o755);
const readGrant = join(hostDir, 'read-grant');
const writeGrant = join(hostDir, 'write-grant');
mkdirSync(join(readGrant, 'inner'), { recursive: true });
writeFileSync(join(readGrant, 'data.txt'), 'granted data');
mkdirSync(writeGrant);
// The jail runs as nobody: a write grant must be writable by it.
chownSync(writeGrant, JAIL_UID, JAIL_GID);

afterAll(() => rmSync(hostDir, { recursive: true, force: true }));
afterEach(expectHealthyJail);

describe('filesystem and identity walls', () => {
  it('sees no host paths: not /work, /root, /etc, host /tmp files or the host hostname', async () => {
    const run = await runJailed(`${SEND_FRAME}
      const fs = require('fs'), os = require('os');
      const exists = (p) => { try { fs.statSync(p); return true; } catch { return false; } };
      send({
        root: fs.readdirSync('/').sort(),
        tmp: fs.readdirSync('/tmp'),
        visible: ${JSON.stringify(['/work', '/root', '/etc', '/etc/hostname', '/etc/passwd', '/home', '/var/run', '/run', secret, hostDir])}.filter(exists),
        hostname: os.hostname(),
        uid: process.getuid(), gid: process.getgid(),
      }).then(() => process.exit(0));`);
    expect(run.exit).toMatchObject({ code: 0, reason: 'exit' });
    const seen = run.frames[0] as { root: string[] };
    // The jail's own mounts plus the directories holding node and its libraries, nothing else.
    const allowed = ['dev', 'proc', 'sandbox', 'tmp', 'usr', 'lib', 'lib64', 'lib32', 'libx32', 'opt'];
    expect(seen.root.filter((entry) => !allowed.includes(entry))).toEqual([]);
    expect(run.frames[0]).toMatchObject({
      tmp: [],
      visible: [],
      hostname: 'sandbox',
      uid: JAIL_UID,
      gid: JAIL_GID,
    });
  });

  it('cannot write to the root, the runtime or the read-only work directory; /tmp is private and writable', async () => {
    const run = await runJailed(`${SEND_FRAME}
      const fs = require('fs');
      const attempt = (p) => { try { fs.writeFileSync(p, 'x'); return 'written'; } catch (e) { return e.code; } };
      send({
        root: attempt('/planted'), usr: attempt('/usr/bin/planted'), node: attempt(process.execPath),
        work: attempt('/sandbox/planted'), tmp: attempt('/tmp/scratch'), proc: attempt('/proc/sys/kernel/hostname'),
      }).then(() => process.exit(0));`);
    const results = run.frames[0] as Record<string, string>;
    expect(results.tmp).toBe('written');
    for (const key of ['root', 'usr', 'node', 'work', 'proc']) expect(results[key], key).not.toBe('written');
  });

  it('read grants are readable and read-only; write grants create files owned by nobody on the host', async () => {
    const run = await runJailed(
      `${SEND_FRAME}
      const fs = require('fs');
      let readOnly;
      try { fs.writeFileSync(${JSON.stringify(join(readGrant, 'planted'))}, 'x'); readOnly = false; } catch { readOnly = true; }
      fs.writeFileSync(${JSON.stringify(join(writeGrant, 'made-inside.txt'))}, 'from the jail');
      send({
        data: fs.readFileSync(${JSON.stringify(join(readGrant, 'data.txt'))}, 'utf8'),
        readOnly,
        parent: fs.readdirSync(${JSON.stringify(hostDir)}).sort(),
        tmp: fs.readdirSync('/tmp'),
      }).then(() => process.exit(0));`,
      { readPaths: [readGrant], writePaths: [writeGrant] },
    );
    expect(run.exit.code).toBe(0);
    expect(run.frames[0]).toMatchObject({ data: 'granted data', readOnly: true });
    // Only the directories bwrap had to create: the secret beside the grants stays unseen.
    expect((run.frames[0] as { parent: string[] }).parent).toEqual(['read-grant', 'write-grant']);
    const made = statSync(join(writeGrant, 'made-inside.txt'));
    expect([made.uid, made.gid]).toEqual([JAIL_UID, JAIL_GID]);
    expect(readFileSync(join(writeGrant, 'made-inside.txt'), 'utf8')).toBe('from the jail');
  });

  it('a writable work directory is fresh, owned by nobody, and removed after exit', async () => {
    const run = await runJailed(
      `require('fs').writeFileSync('/sandbox/out.txt', 'x'); console.log(require('fs').readdirSync('/sandbox'));`,
      { writableWorkDir: true },
    );
    expect(run.exit.code).toBe(0);
    expect(run.stdout.trim()).toBe("[ 'out.txt' ]");
    expect(run.handle.workDir.hostPath).toBeDefined();
    expect(() => statSync(run.handle.workDir.hostPath!)).toThrow();
  });

  it('cannot get host root through a nested user namespace', async () => {
    const run = await runJailed(
      `${SEND_FRAME}
      const { spawnSync } = require('child_process');
      const r = spawnSync('/usr/bin/unshare', ['--map-root-user', '/usr/bin/unshare', '--version'], { encoding: 'utf8' });
      send({ status: r.status, stderr: r.stderr }).then(() => process.exit(0));`,
      { executables: ['/usr/bin/unshare'], writePaths: [writeGrant] },
    );
    const result = run.frames[0] as { status: number; stderr: string };
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/unshare failed|Operation not permitted|No space left/);
  });

  it('refuses bad grants with InvalidRequestError naming the field', async () => {
    const cases: Array<[Parameters<typeof startJail>[0], string]> = [
      [{ readPaths: ['relative/path'] }, 'readPaths[0]'],
      [{ readPaths: [readGrant, `${hostDir}/*`] }, 'readPaths[1]'],
      [{ writePaths: [`${writeGrant}/../read-grant`] }, 'writePaths[0]'],
      [{ writePaths: [`${hostDir}/missing`] }, 'writePaths[0]'],
      [{ files: ['/etc/../etc/passwd'] }, 'files[0]'],
      [{ env: { 'BAD=NAME': 'x' } }, 'env.BAD=NAME'],
      [{ limits: { memoryBytes: -1 } }, 'limits.memoryBytes'],
      [{ command: 'node' }, 'command'],
    ];
    for (const [options, field] of cases) {
      const error = await startJail(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(InvalidRequestError.isInstance(error), field).toBe(true);
      expect((error as InvalidRequestError).field).toBe(field);
    }
  });
});
