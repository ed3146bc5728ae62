import { spawn } from 'node:child_process';
import { buildBwrapArgs } from './build-bwrap-args.js';
import { findExecutable } from './find-executable.js';
import { isRoot, type JailUser, resolveJailUser } from './jail-user.js';
import type { IsolationLevel } from './jail-wall.js';
import { resolveExecutableFiles } from './resolve-executable-files.js';

/** What this host offers, found by trying it. */
export interface JailSupport {
  /** The strongest level available: `namespaces` only when every kernel wall works. */
  level: IsolationLevel;
  /** Why `level` is not `namespaces`. */
  reason?: string;
  /** One line that fixes `reason`. */
  fix?: string;
  bwrap?: { path: string; version: string };
  /** A trivial `bwrap --unshare-all` ran as the jail user. */
  userNamespaces: boolean;
  /** Jailed processes run as a host uid other than 0. */
  unprivilegedUid: boolean;
  /** The uid/gid jails run as (undefined: the server's own, because it is not root). */
  user?: JailUser;
  prlimit?: { path: string };
}

const cache = new Map<string, Promise<JailSupport>>();

/**
 * Finds out, once per user, which walls this host can raise: bubblewrap (path and version), user
 * namespaces (by actually running a jail with every namespace and flag `startJail` uses), whether
 * the jail runs as an unprivileged uid, and `prlimit`. Never throws.
 */
export function detectJailSupport(options: { user?: JailUser } = {}): Promise<JailSupport> {
  const user = resolveJailUser(options.user);
  const key = user ? `${user.uid}:${user.gid}` : 'self';
  let support = cache.get(key);
  if (!support) {
    support = probe(user);
    cache.set(key, support);
  }
  return support;
}

async function probe(user: JailUser | undefined): Promise<JailSupport> {
  const prlimitPath = findExecutable('prlimit');
  const base: JailSupport = {
    level: 'permission-model',
    userNamespaces: false,
    unprivilegedUid: user ? user.uid !== 0 : !isRoot(),
    ...(user ? { user } : {}),
    ...(prlimitPath ? { prlimit: { path: prlimitPath } } : {}),
  };
  if (process.platform !== 'linux') {
    return { ...base, reason: `no Linux namespaces on ${process.platform}`, fix: 'run on Linux' };
  }
  const bwrapPath = findExecutable('bwrap');
  if (!bwrapPath) return { ...base, reason: 'bubblewrap not found', fix: 'apt-get install bubblewrap' };
  const version = await run(bwrapPath, ['--version'], user);
  const bwrap = { path: bwrapPath, version: version.stdout.trim().replace(/^bubblewrap\s*/, '') };
  if (version.code !== 0) {
    return {
      ...base,
      bwrap,
      reason: `bwrap does not run as uid ${user?.uid ?? 'self'}: ${version.detail}`,
      fix: 'check that bwrap is executable by the jail user',
    };
  }
  const probeTool = prlimitPath ?? findExecutable('true');
  if (!probeTool)
    return { ...base, bwrap, reason: 'no probe executable (true) found', fix: 'apt-get install coreutils' };
  let files: Awaited<ReturnType<typeof resolveExecutableFiles>>;
  try {
    files = await resolveExecutableFiles(probeTool);
  } catch (error) {
    return {
      ...base,
      bwrap,
      reason: `cannot list libraries: ${(error as Error).message}`,
      fix: 'apt-get install libc-bin',
    };
  }
  const args = buildBwrapArgs({
    files,
    grants: [],
    allowNetwork: false,
    env: {},
    tmpBytes: 1024 * 1024,
    argv: [probeTool, '--version'],
  });
  const trial = await run(bwrapPath, args, user);
  if (trial.code !== 0) {
    return {
      ...base,
      bwrap,
      reason: `bwrap --unshare-all failed: ${trial.detail}`,
      fix: 'enable unprivileged user namespaces (sysctl -w kernel.unprivileged_userns_clone=1 user.max_user_namespaces=15000)',
    };
  }
  if (!prlimitPath) {
    return {
      ...base,
      bwrap,
      userNamespaces: true,
      reason: 'prlimit not found',
      fix: 'apt-get install util-linux',
    };
  }
  if (!base.unprivilegedUid) {
    return {
      ...base,
      bwrap,
      userNamespaces: true,
      reason: 'jail user is root',
      fix: 'pass an unprivileged user',
    };
  }
  return { ...base, bwrap, userNamespaces: true, level: 'namespaces' };
}

interface RunResult {
  code: number | null;
  stdout: string;
  detail: string;
}

function run(command: string, args: string[], user: JailUser | undefined): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(command, args, {
      env: {},
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
      ...(user && isRoot() ? { uid: user.uid, gid: user.gid } : {}),
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < 4096) stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    child.on('error', (error) => resolve({ code: null, stdout, detail: error.message }));
    child.on('close', (code, signal) =>
      resolve({ code, stdout, detail: stderr.trim().split('\n')[0] || `exit ${code ?? signal}` }),
    );
  });
}
