import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Duplex, Writable } from 'node:stream';
import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import { buildBwrapArgs, JAIL_WORK_DIR } from './build-bwrap-args.js';
import type { FrameDecoderOptions } from './channel/frame-decoder.js';
import { JailChannel } from './channel/jail-channel.js';
import { detectJailSupport, type JailSupport } from './detect-jail-support.js';
import { JailUnavailableError } from './errors/jail-unavailable-error.js';
import { type JailLimits, prlimitArgs, resolveJailLimits } from './jail-limits.js';
import { type JailHandle, JailProcess } from './jail-process.js';
import { isRoot, type JailUser, resolveJailUser } from './jail-user.js';
import type { IsolationLevel, JailWall } from './jail-wall.js';
import { type BoundFile, resolveExecutableFiles } from './resolve-executable-files.js';
import { unixSocketFilter } from './unix-socket-filter.js';
import { validateEnv } from './validate-env.js';
import { checkGrant, RESERVED_JAIL_PATHS, validateGrants } from './validate-grants.js';

export interface JailOptions {
  /** Absolute path of the executable to run. Default: this Node (`process.execPath`). */
  command?: string;
  args?: readonly string[];
  /**
   * Host files the command needs to read (its runner script), bound read-only: a path is bound at
   * the same path; `{ source, target }` binds `source` at `target` (absolute, normalized), so the
   * host's install path need not be visible inside. Without namespaces a file is at its host path.
   */
  files?: readonly (string | JailFile)[];
  /** Further executables to make available inside, with their shared libraries (e.g. `/bin/sh`). */
  executables?: readonly string[];
  /** The program's whole environment, on top of `HOME`, `TMPDIR` and `PATH`. Nothing is inherited. */
  env?: Readonly<Record<string, string>>;
  /** Host directories or files readable inside, at the same absolute, canonical paths. */
  readPaths?: readonly string[];
  /** Host directories or files writable inside (they must be writable by the jail user). */
  writePaths?: readonly string[];
  /** Share the host's network namespace. Default false: only a private loopback exists. */
  allowNetwork?: boolean;
  /** Make the work directory (`/sandbox`) a fresh writable host directory, deleted after exit. Default false: empty and read-only. */
  writableWorkDir?: boolean;
  limits?: Partial<JailLimits>;
  /** Host uid/gid to run as. Default `nobody` (65534) when the server is root; otherwise the server's own. */
  user?: JailUser;
  /**
   * `namespaces` (default) refuses to start without every kernel wall (`JailUnavailableError`).
   * `permission-model` is the named weaker level: no bwrap, only a clean env, the uid switch and
   * rlimits where available; the caller's runtime must restrict itself (Node's `--permission`).
   */
  isolation?: IsolationLevel;
  /**
   * Install a seccomp filter that makes `socket(AF_UNIX)` fail (EAFNOSUPPORT): no unix socket of
   * any kind can be connected to or created, even one visible through a grant. x86_64 and arm64;
   * namespaces level only. Default false.
   */
  denyUnixSockets?: boolean;
  /** Caps for the framed channel. */
  channel?: FrameDecoderOptions;
}

/** A host file bound read-only at another path inside the jail. */
export interface JailFile {
  source: string;
  target: string;
}

/** bwrap's fd for the seccomp program (0-2 stdio, 3 the channel). */
const SECCOMP_FD = 4;

const NAMESPACE_WALLS: JailWall[] = [
  'user-namespace',
  'mount-namespace',
  'pid-namespace',
  'ipc-namespace',
  'uts-namespace',
  'cgroup-namespace',
  'no-nested-user-namespaces',
  'minimal-root',
  'no-capabilities',
];
const RLIMIT_WALLS: JailWall[] = [
  'rlimit-data',
  'rlimit-fsize',
  'rlimit-nofile',
  'rlimit-stack',
  'rlimit-core',
];

/**
 * The walls a jail started with these options on this host has (what `JailHandle.walls` will say),
 * for reporting before any jail runs (a backend's `capabilities()` and `health()`).
 */
export function jailWalls(
  support: JailSupport,
  options: { isolation?: IsolationLevel; allowNetwork?: boolean; denyUnixSockets?: boolean } = {},
): JailWall[] {
  const walls: JailWall[] = ['clean-env'];
  if (support.unprivilegedUid) walls.push('unprivileged-uid');
  if ((options.isolation ?? 'namespaces') === 'namespaces') {
    if (support.level !== 'namespaces') return [];
    walls.push(...NAMESPACE_WALLS, ...RLIMIT_WALLS, 'rlimit-nproc');
    if (!options.allowNetwork) walls.push('network-namespace');
    if (options.denyUnixSockets && unixSocketFilter()) walls.push('seccomp-no-unix-sockets');
  } else if (support.prlimit) walls.push(...RLIMIT_WALLS);
  return walls;
}

/**
 * Starts one command as a single-use jailed process and returns its pipes, its channel and how
 * to end it. Throws only for a bad request (`InvalidRequestError`, naming the field) or missing
 * walls (`JailUnavailableError`); whatever the program then does is reported through the handle.
 */
export async function startJail(options: JailOptions = {}): Promise<JailHandle> {
  const isolation = options.isolation ?? 'namespaces';
  if (isolation !== 'namespaces' && isolation !== 'permission-model') {
    throw new InvalidRequestError('isolation', `must be 'namespaces' or 'permission-model'`);
  }
  const command = options.command ?? process.execPath;
  const limits = resolveJailLimits(options.limits);
  const grants = validateGrants(options.readPaths, options.writePaths);
  const files = (options.files ?? []).map((file, i) => checkFile(file, `files[${i}]`));
  const env = validateEnv({ TMPDIR: '/tmp', PATH: '/usr/bin:/bin', ...options.env });
  const args = [...(options.args ?? [])];
  if (args.some((arg) => typeof arg !== 'string' || arg.includes('\0'))) {
    throw new InvalidRequestError('args', 'must be strings without NUL');
  }
  if (options.user && !isRoot() && options.user.uid !== process.getuid?.()) {
    throw new InvalidRequestError('user', 'only a root server can run jails as another user');
  }
  const user = resolveJailUser(options.user);
  const support = await detectJailSupport(user ? { user } : {});
  if (isolation === 'namespaces' && support.level !== 'namespaces') {
    throw new JailUnavailableError({
      reason: support.reason ?? 'unknown',
      fix: support.fix ?? 'apt-get install bubblewrap',
    });
  }

  const workDirHostPath = options.writableWorkDir ? makeWorkDir(user) : undefined;
  const spawnUser = user && isRoot() ? { uid: user.uid, gid: user.gid } : {};
  const stdio: Array<'pipe'> = ['pipe', 'pipe', 'pipe', 'pipe'];
  const walls = jailWalls(support, {
    isolation,
    allowNetwork: options.allowNetwork ?? false,
    denyUnixSockets: options.denyUnixSockets ?? false,
  });
  let child: ChildProcess;
  let workDir: { path: string; hostPath?: string };
  if (isolation === 'namespaces') {
    workDir = { path: JAIL_WORK_DIR, ...(workDirHostPath ? { hostPath: workDirHostPath } : {}) };
    const prlimit = support.prlimit!.path;
    const bound = await boundFiles([command, prlimit, ...(options.executables ?? [])], files);
    const filter = options.denyUnixSockets ? unixSocketFilter() : undefined;
    const bwrapArgs = buildBwrapArgs({
      files: bound,
      grants,
      allowNetwork: options.allowNetwork ?? false,
      env: { HOME: JAIL_WORK_DIR, ...env },
      ...(workDirHostPath ? { workDirHostPath } : {}),
      tmpBytes: limits.tmpBytes,
      ...(filter ? { seccompFd: SECCOMP_FD } : {}),
      argv: [prlimit, ...prlimitArgs(limits, true), '--', command, ...args],
    });
    child = spawn(support.bwrap!.path, bwrapArgs, {
      env: {},
      stdio: filter ? [...stdio, 'pipe'] : stdio,
      ...spawnUser,
    });
    // bwrap reads the program to EOF before it starts the command; it does not pass the fd on.
    if (filter) {
      const seccompPipe = child.stdio[SECCOMP_FD] as Writable | null;
      seccompPipe?.on('error', () => {});
      seccompPipe?.end(filter);
    }
  } else {
    const cwd = workDirHostPath ?? makeReadOnlyWorkDir();
    workDir = { path: cwd, hostPath: cwd };
    child = spawnWithoutNamespaces(command, args, { HOME: cwd, ...env }, limits, support, { cwd, spawnUser });
  }
  const channel = new JailChannel(child.stdio[3] as Duplex | undefined, options.channel);
  return new JailProcess({
    child,
    channel,
    isolation,
    walls,
    workDir,
  });
}

/** The executables with their libraries, then the caller's files; each target bound once. */
async function boundFiles(executables: string[], files: BoundFile[]): Promise<BoundFile[]> {
  const seen = new Set<string>();
  const bound: BoundFile[] = [];
  const resolved = await Promise.all(
    executables.map((path, i) => resolveExecutableFiles(path, i === 0 ? 'command' : `executables[${i - 2}]`)),
  );
  for (const file of [...resolved.flat(), ...files]) {
    if (seen.has(file.target)) continue;
    seen.add(file.target);
    bound.push(file);
  }
  return bound;
}

function checkFile(file: string | JailFile, field: string): BoundFile {
  if (typeof file === 'string') {
    const { path } = checkGrant(file, field, false);
    return { source: path, target: path };
  }
  const source = checkGrant(file?.source, `${field}.source`, false).path;
  const target = file.target;
  if (
    typeof target !== 'string' ||
    !target.startsWith('/') ||
    target.includes('\0') ||
    posix.normalize(target) !== target ||
    target.endsWith('/') ||
    RESERVED_JAIL_PATHS.some((reserved) => target === reserved || target.startsWith(`${reserved}/`))
  ) {
    throw new InvalidRequestError(
      `${field}.target`,
      `${JSON.stringify(target)} must be an absolute, normalized path outside /proc, /dev, /sandbox`,
    );
  }
  return { source, target };
}

function makeWorkDir(user: JailUser | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'process-jail-'));
  chmodSync(dir, 0o700);
  if (user && isRoot()) chownSync(dir, user.uid, user.gid);
  return dir;
}

/** Without a mount namespace the best read-only work directory is one the jail user does not own. */
function makeReadOnlyWorkDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'process-jail-ro-'));
  chmodSync(dir, 0o755);
  return dir;
}

function spawnWithoutNamespaces(
  command: string,
  args: string[],
  env: Record<string, string>,
  limits: JailLimits,
  support: JailSupport,
  how: { cwd: string; spawnUser: { uid?: number; gid?: number } },
): ChildProcess {
  const stdio: Array<'pipe'> = ['pipe', 'pipe', 'pipe', 'pipe'];
  // No RLIMIT_NPROC here: outside a user namespace it counts every process of the shared uid.
  const [file, argv] = support.prlimit
    ? [support.prlimit.path, [...prlimitArgs(limits, false), '--', command, ...args]]
    : [command, args];
  // Its own process group, so kill() can reach the children it starts.
  return spawn(file, argv, { env, stdio, cwd: how.cwd, detached: true, ...how.spawnUser });
}
