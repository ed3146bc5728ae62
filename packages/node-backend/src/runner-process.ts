import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputCap, type OutputStream } from '@memory-mcp/sandbox-core';
import type { IsolationSupport } from './detect-isolation.js';
import type { RunnerJob, RunnerResult } from './runner/runner-protocol.js';

/** Everything fixed when a runner process starts; processes with equal keys are interchangeable. */
export interface RunnerProfile {
  runnerPath: string;
  memoryMb: number;
  readPaths: string[];
  writePaths: string[];
  allowNetwork: boolean;
  allowProcesses: boolean;
}

export function profileKey(profile: RunnerProfile): string {
  return JSON.stringify([
    profile.memoryMb,
    [...profile.readPaths].sort(),
    [...profile.writePaths].sort(),
    profile.allowNetwork,
    profile.allowProcesses,
  ]);
}

export type RunOutcome =
  | { kind: 'result'; result: RunnerResult }
  | { kind: 'timeout' }
  | { kind: 'output_limit' }
  | { kind: 'cancelled' }
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null };

export interface RunReport {
  outcome: RunOutcome;
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** What the output cap charged (at least its floor per chunk). */
  outputChargedBytes: number;
  runMs: number;
}

const KILL_GRACE_MS = 100;

/**
 * One restricted Node process that runs exactly one job and is then discarded. It starts with the
 * permission model (read access to the runner file and granted paths only, writes only where
 * granted, no child processes or workers unless allowed, no native addons), a heap cap, an empty
 * environment and a fresh temporary working directory, inside its own user, network and PID
 * namespaces when the OS allows.
 */
export class RunnerProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly cwd: string;
  #used = false;
  #exited = false;
  readonly #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly profile: RunnerProfile,
    isolation: IsolationSupport,
  ) {
    this.cwd = mkdtempSync(join(tmpdir(), 'memory-mcp-node-'));
    const nodeArgs = ['--no-warnings', `--max-old-space-size=${profile.memoryMb}`, '--stack-size=984'];
    if (isolation.permissionFlag) {
      // One flag per path: Node 20 reads a comma in the value as part of the path.
      nodeArgs.push(isolation.permissionFlag);
      for (const path of [profile.runnerPath, this.cwd, ...profile.readPaths])
        nodeArgs.push(`--allow-fs-read=${path}`);
      for (const path of profile.writePaths) nodeArgs.push(`--allow-fs-write=${path}`);
      if (profile.allowProcesses) nodeArgs.push('--allow-child-process', '--allow-worker');
    }
    nodeArgs.push(profile.runnerPath);
    const env: Record<string, string> = {};
    let command = process.execPath;
    let args = nodeArgs;
    if (!profile.allowNetwork) {
      if (isolation.namespaceArgs) {
        command = 'unshare';
        args = [...isolation.namespaceArgs, '--', process.execPath, ...nodeArgs];
      } else env.MEMORY_MCP_NETWORK_GUARD = '1';
    }
    this.child = spawn(command, args, {
      cwd: this.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
      serialization: 'json',
    });
    this.#exit = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#exited = true;
        resolve({ code, signal });
      });
    });
    this.#closed = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        rmSync(this.cwd, { recursive: true, force: true });
        resolve({ code, signal });
      });
    });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if ((message as { ready?: boolean }).ready) {
          this.child.off('message', onMessage);
          resolve();
        }
      };
      this.child.on('message', onMessage);
      this.child.once('error', reject);
      void this.#exit.then(({ code, signal }) =>
        reject(new Error(`runner exited before it was ready (code ${code}, signal ${signal})`)),
      );
    });
    this.ready.catch(() => {});
  }

  get alive(): boolean {
    return !this.#exited;
  }

  /** Runs the one job this process will ever run. */
  async run(
    job: Omit<RunnerJob, 'nonce'>,
    limits: { timeoutMs: number; maxOutputBytes: number },
    signal?: AbortSignal,
  ): Promise<RunReport> {
    if (this.#used) throw new Error('a runner process runs exactly one job');
    this.#used = true;
    await this.ready;
    const nonce = randomBytes(16).toString('hex');
    const started = performance.now();
    const output = new OutputCap({ maxBytes: limits.maxOutputBytes });
    let received = { stdout: 0, stderr: 0 };

    return new Promise<RunReport>((resolve) => {
      let settled = false;
      let result: RunnerResult | undefined;
      const finish = (outcome: RunOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.child.stdout!.off('data', onStdout);
        this.child.stderr!.off('data', onStderr);
        if (outcome.kind !== 'result') this.kill();
        resolve({
          outcome,
          stdout: output.text('stdout'),
          stderr: output.text('stderr'),
          truncated: output.truncated,
          outputChargedBytes: output.chargedBytes,
          runMs: performance.now() - started,
        });
      };
      const complete = () => {
        if (result && received.stdout >= result.stdoutBytes && received.stderr >= result.stderrBytes) {
          finish({ kind: 'result', result });
        }
      };
      const take = (stream: OutputStream) => (chunk: Buffer) => {
        received = { ...received, [stream]: received[stream] + chunk.length };
        if (output.write(stream, chunk)) complete();
        else finish({ kind: 'output_limit' });
      };
      const onStdout = take('stdout');
      const onStderr = take('stderr');
      this.child.stdout!.on('data', onStdout);
      this.child.stderr!.on('data', onStderr);
      this.child.on('message', (message: RunnerResult) => {
        if (message?.nonce !== nonce || result) return;
        result = message;
        complete();
      });
      void this.#closed.then(({ code, signal: sig }) => {
        // 'close' comes after the pipes drained; the IPC message can still trail it a little.
        if (result) return finish({ kind: 'result', result });
        setTimeout(() => {
          if (result) finish({ kind: 'result', result });
          else finish({ kind: 'exited', code, signal: sig });
        }, 25);
      });
      const timer = setTimeout(() => finish({ kind: 'timeout' }), limits.timeoutMs);
      const onAbort = () => finish({ kind: 'cancelled' });
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.child.send({ ...job, nonce } satisfies RunnerJob);
    });
  }

  /** Kills the whole process group: SIGTERM, then SIGKILL after a short grace. */
  kill(): void {
    if (this.#exited || this.child.pid === undefined) return;
    const group = -this.child.pid;
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      return;
    }
    const force = setTimeout(() => {
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        // already gone
      }
    }, KILL_GRACE_MS);
    force.unref();
    void this.#exit.then(() => clearTimeout(force));
  }

  /** Resolves when the process has exited (killing it first if asked). */
  async dispose(kill = true): Promise<void> {
    if (kill) this.kill();
    await this.#exit;
  }
}
