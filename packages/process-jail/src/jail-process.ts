import type { ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { JailChannel } from './channel/jail-channel.js';
import { classifyExit, type JailExit } from './classify-exit.js';
import type { IsolationLevel, JailWall } from './jail-wall.js';

/** What `startJail` hands back: one running jailed program. */
export interface JailHandle {
  /** Host pid of the process the host started (bwrap, or the program itself without namespaces). */
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** The program's stderr (the host keeps a copy of the last 4 KiB to classify how it ended). */
  readonly stderr: Readable;
  /** The private framed channel, fd 3 inside the jail. */
  readonly channel: JailChannel;
  readonly isolation: IsolationLevel;
  /** The walls actually up around this process. */
  readonly walls: readonly JailWall[];
  /** The program's working directory inside the jail, and where it lives on the host when writable. */
  readonly workDir: { path: string; hostPath?: string };
  /** Settles (never rejects) once the program and everything it started are gone. */
  readonly exited: Promise<JailExit>;
  /**
   * `SIGKILL` (the default) ends the whole jail: every process in it, however it tries to hide.
   * Any other signal goes to the program alone, as a request it may ignore.
   */
  kill(signal?: NodeJS.Signals): void;
  /** Kills the jail and waits for it to be gone. */
  close(): Promise<JailExit>;
  /**
   * The program's memory as the kernel reports it in `/proc/<pid>/status`, while it runs:
   * `peakRssBytes` (VmHWM, the high-water mark of resident memory, file-backed pages included)
   * and `rssFileBytes` (RssFile now: the mapped binary and libraries). Undefined once it is gone.
   */
  memory(): JailMemory | undefined;
  [Symbol.asyncDispose](): Promise<void>;
}

/** See `JailHandle.memory()`. */
export interface JailMemory {
  peakRssBytes: number;
  rssFileBytes: number;
}

const STDERR_TAIL_BYTES = 4096;
/** How long to wait after exit for the pipes to drain (a stray holder of stderr must not stall us). */
const DRAIN_GRACE_MS = 1000;

export interface JailProcessInit {
  child: ChildProcess;
  channel: JailChannel;
  isolation: IsolationLevel;
  walls: JailWall[];
  workDir: { path: string; hostPath?: string };
}

/** The host side of one jailed program: its pipes, its end, and how to kill all of it. */
export class JailProcess implements JailHandle {
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly channel: JailChannel;
  readonly isolation: IsolationLevel;
  readonly walls: readonly JailWall[];
  readonly workDir: { path: string; hostPath?: string };
  readonly exited: Promise<JailExit>;
  readonly #child: ChildProcess;
  #killedByHost = false;
  #done = false;
  #stderrTail = '';

  constructor(init: JailProcessInit) {
    const { child } = init;
    this.#child = child;
    this.pid = child.pid ?? -1;
    this.channel = init.channel;
    this.isolation = init.isolation;
    this.walls = Object.freeze([...init.walls]);
    this.workDir = init.workDir;
    // Nothing the jailed side does to its pipes (closing them early, EPIPE) may throw in the host.
    for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.on('error', () => {});
    this.stdin = child.stdin!;
    this.stdout = child.stdout!;
    const stderr = new PassThrough();
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderrTail = (this.#stderrTail + chunk.toString('latin1')).slice(-STDERR_TAIL_BYTES);
    });
    child.stderr!.pipe(stderr);
    this.stderr = stderr;
    this.exited = new Promise<JailExit>((resolve) => {
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      const finish = () => {
        if (this.#done || !exit) return;
        this.#done = true;
        this.channel.close();
        if (this.workDir.hostPath) removeQuietly(this.workDir.hostPath);
        resolve(
          classifyExit({
            ...exit,
            stderrTail: this.#stderrTail,
            killedByHost: this.#killedByHost,
            viaBwrap: this.isolation === 'namespaces',
          }),
        );
      };
      child.on('error', (error) => {
        this.#stderrTail += `\nprocess-jail: ${error.message}`;
        exit ??= { code: 1, signal: null };
        finish();
      });
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        setTimeout(finish, DRAIN_GRACE_MS).unref();
      });
      child.on('close', (code, signal) => {
        exit ??= { code, signal };
        finish();
      });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.#done || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    if (signal !== 'SIGKILL') {
      const program = this.#programPid();
      if (program !== undefined) signalSafely(program, signal);
      return;
    }
    this.#killedByHost = true;
    if (this.isolation === 'namespaces') {
      // Killing the namespace's init lets the kernel kill everything in the PID namespace, and lets
      // bwrap reap it and exit; killing bwrap first would orphan it.
      const init = childrenOf(this.pid)[0];
      if (init !== undefined) signalSafely(init, 'SIGKILL');
      // Belt and braces: if init was not found or did not die, bwrap's death takes it down
      // (--die-with-parent makes the kernel send it SIGKILL).
      const fallback = setTimeout(() => this.#child.kill('SIGKILL'), init === undefined ? 0 : 500);
      fallback.unref();
      this.#child.once('exit', () => clearTimeout(fallback));
    } else {
      // Without a PID namespace the process group is the best handle on the tree.
      signalSafely(-this.pid, 'SIGKILL');
      this.#child.kill('SIGKILL');
    }
  }

  memory(): JailMemory | undefined {
    if (this.#done) return undefined;
    const pid = this.#programPid();
    if (pid === undefined) return undefined;
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return undefined;
    }
    const kib = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    const peakRssBytes = kib('VmHWM');
    const rssFileBytes = kib('RssFile');
    if (!Number.isFinite(peakRssBytes) || !Number.isFinite(rssFileBytes)) return undefined;
    return { peakRssBytes, rssFileBytes };
  }

  async close(): Promise<JailExit> {
    this.kill('SIGKILL');
    return this.exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The program's host pid: bwrap → the namespace's init → the program. */
  #programPid(): number | undefined {
    if (this.isolation !== 'namespaces') return this.pid;
    const init = childrenOf(this.pid)[0];
    return init === undefined ? undefined : childrenOf(init)[0];
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** A work directory the jail filled with odd files must not turn its exit into a host exception. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Left for the OS's tmp cleaner.
  }
}

function signalSafely(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
