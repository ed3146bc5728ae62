import { randomBytes } from 'node:crypto';
import { type IsolationLevel, type JailHandle, type JailMemory, startJail } from '@memory-mcp/process-jail';
import { OutputCap, type OutputStream } from '@memory-mcp/sandbox-core';
import { isReadyFrame, parseRunnerResult } from './parse-runner-result.js';
import {
  MAX_RESULT_FRAME_BYTES,
  NONCE_BYTES,
  type RunnerJob,
  type RunnerResult,
} from './runner/runner-protocol.js';

/** Where the runner file is inside the jail: a fixed path, so the host's install path stays hidden. */
export const JAILED_RUNNER_PATH = '/opt/memory-mcp/runner.cjs';

/** Everything fixed when a runner process starts; processes with equal keys are interchangeable. */
export interface RunnerProfile {
  runnerPath: string;
  memoryBytes: number;
  readPaths: string[];
  writePaths: string[];
  allowNetwork: boolean;
  allowProcesses: boolean;
  isolation: IsolationLevel;
  /** `RLIMIT_DATA` Node needs on its own, added to `memoryBytes` (measured per binary). */
  dataBaselineBytes: number;
  /** The flag that turns Node's permission model on (detected per Node version). */
  permissionFlag: string;
}

export function profileKey(profile: RunnerProfile): string {
  return JSON.stringify([
    profile.memoryBytes,
    [...profile.readPaths].sort(),
    [...profile.writePaths].sort(),
    profile.allowNetwork,
    profile.allowProcesses,
  ]);
}

export type RunOutcome =
  | { kind: 'result'; result: Omit<RunnerResult, 'nonce'> }
  | { kind: 'bad_result'; message: string }
  | { kind: 'timeout' }
  | { kind: 'output_limit' }
  | { kind: 'cancelled' }
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; reason: string };

export interface RunReport {
  outcome: RunOutcome;
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** What the output cap charged (at least its floor per chunk). */
  outputChargedBytes: number;
  /** From sending the job to the outcome (the jail's teardown after it is not included). */
  runMs: number;
  /** The program's memory read from /proc when its result arrived. */
  memory?: JailMemory;
}

/** Node's own flags inside the jail: the permission model as an inner layer, heap cap, frozen V8 flags. */
export function nodeArgs(profile: RunnerProfile, runnerPath: string): string[] {
  const args = [
    '--no-warnings',
    `--max-old-space-size=${Math.max(16, Math.floor(profile.memoryBytes / (1024 * 1024)))}`,
    '--stack-size=984',
    // v8.setFlagsFromString after start-up (e.g. --allow-natives-syntax) becomes a fatal error.
    '--freeze-flags-after-init',
    profile.permissionFlag,
    // One flag per path: Node 20 reads a comma in the value as part of the path.
    `--allow-fs-read=${runnerPath}`,
    ...profile.readPaths.map((path) => `--allow-fs-read=${path}`),
    ...profile.writePaths.map((path) => `--allow-fs-write=${path}`),
  ];
  if (profile.allowProcesses) args.push('--allow-child-process', '--allow-worker');
  args.push(runnerPath);
  return args;
}

/**
 * One jailed Node process that runs exactly one job and is then killed. The host trusts nothing it
 * says: the result is one frame checked field by field, with a per-job nonce, and the jail is
 * killed as soon as it arrives; `run()` settles only once every process in the jail is gone.
 */
export class JailedRunner {
  readonly ready: Promise<void>;
  readonly #handle: Promise<JailHandle>;
  #jail: JailHandle | undefined;
  #used = false;
  #exited = false;
  #killRequested = false;

  constructor(readonly profile: RunnerProfile) {
    const inside = profile.isolation === 'namespaces' ? JAILED_RUNNER_PATH : profile.runnerPath;
    this.#handle = startJail({
      args: nodeArgs(profile, inside),
      files: [
        profile.isolation === 'namespaces'
          ? { source: profile.runnerPath, target: inside }
          : profile.runnerPath,
      ],
      env:
        profile.isolation === 'permission-model' && !profile.allowNetwork
          ? { MEMORY_MCP_NETWORK_GUARD: '1' }
          : {},
      readPaths: profile.readPaths,
      writePaths: profile.writePaths,
      allowNetwork: profile.allowNetwork,
      denyUnixSockets: true,
      isolation: profile.isolation,
      limits: { memoryBytes: profile.memoryBytes, dataBaselineBytes: profile.dataBaselineBytes },
      channel: { maxFrameBytes: MAX_RESULT_FRAME_BYTES + 4096 },
    });
    this.ready = this.#handle.then(async (jail) => {
      this.#jail = jail;
      void jail.exited.then(() => {
        this.#exited = true;
      });
      if (this.#killRequested) jail.kill();
      jail.stdout.resume();
      jail.stderr.resume();
      await new Promise<void>((resolve, reject) => {
        const onFrame = (frame: unknown) => {
          off();
          if (isReadyFrame(frame)) resolve();
          else {
            jail.kill();
            reject(new Error('the runner announced itself wrongly'));
          }
        };
        const onEnd = () => {
          off();
          reject(new Error('the runner ended before it was ready'));
        };
        const off = () => {
          jail.channel.off('frame', onFrame);
          jail.channel.off('close', onEnd);
          jail.channel.off('protocolError', onEnd);
        };
        jail.channel.on('frame', onFrame);
        jail.channel.on('close', onEnd);
        jail.channel.on('protocolError', onEnd);
      });
      jail.stdout.pause();
      jail.stderr.pause();
    });
    this.ready.catch(() => {});
  }

  get alive(): boolean {
    return !this.#exited && !this.#killRequested;
  }

  /** Runs the one job this process will ever run; settles after the jail is gone. */
  async run(
    job: RunnerJob,
    limits: { timeoutMs: number; maxOutputBytes: number },
    signal?: AbortSignal,
    /** Called once the outcome is known and the kill is sent, before waiting for the jail to go. */
    onOutcome?: () => void,
  ): Promise<RunReport> {
    if (this.#used) throw new Error('a runner process runs exactly one job');
    this.#used = true;
    await this.ready;
    const jail = this.#jail!;
    const nonce = randomBytes(NONCE_BYTES / 2).toString('hex');
    const started = performance.now();
    const output = new OutputCap({ maxBytes: limits.maxOutputBytes });
    const received = { stdout: 0, stderr: 0 };

    const outcome = await new Promise<{ outcome: RunOutcome; runMs: number; memory?: JailMemory }>(
      (resolve) => {
        let settled = false;
        let result: Omit<RunnerResult, 'nonce'> | undefined;
        const finish = (outcome: RunOutcome) => {
          if (settled) return;
          settled = true;
          // Read before the kill: the kernel's high-water mark of the program's resident memory.
          const memory = outcome.kind === 'result' ? jail.memory() : undefined;
          jail.kill();
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          jail.stdout.off('data', onStdout);
          jail.stderr.off('data', onStderr);
          jail.channel.off('frame', onFrame);
          jail.channel.off('protocolError', onProtocolError);
          resolve({ outcome, runMs: performance.now() - started, ...(memory ? { memory } : {}) });
        };
        const complete = () => {
          if (result && received.stdout >= result.stdoutBytes && received.stderr >= result.stderrBytes) {
            finish({ kind: 'result', result });
          }
        };
        const take = (stream: OutputStream) => (chunk: Buffer) => {
          received[stream] += chunk.length;
          if (output.write(stream, chunk)) complete();
          else finish({ kind: 'output_limit' });
        };
        const onStdout = take('stdout');
        const onStderr = take('stderr');
        const onFrame = (frame: unknown) => {
          if (result) return;
          const parsed = parseRunnerResult(frame, nonce);
          if (!parsed.ok) return finish({ kind: 'bad_result', message: parsed.message });
          result = parsed.result;
          complete();
        };
        const onProtocolError = (error: Error) =>
          finish({ kind: 'bad_result', message: `the runner broke the channel protocol: ${error.message}` });
        jail.stdout.on('data', onStdout);
        jail.stderr.on('data', onStderr);
        // Paused while idle in the pool; an explicitly paused stream needs resume() as well.
        jail.stdout.resume();
        jail.stderr.resume();
        jail.channel.on('frame', onFrame);
        jail.channel.on('protocolError', onProtocolError);
        void jail.exited.then((exit) => {
          // exited settles after the pipes drained, so all output and frames are in.
          if (result) finish({ kind: 'result', result });
          else finish({ kind: 'exited', code: exit.code, signal: exit.signal, reason: exit.reason });
        });
        const timer = setTimeout(() => finish({ kind: 'timeout' }), limits.timeoutMs);
        const onAbort = () => finish({ kind: 'cancelled' });
        if (signal?.aborted) onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        const payload = Buffer.concat([
          Buffer.from(nonce, 'latin1'),
          Buffer.from(JSON.stringify(job), 'utf8'),
        ]);
        jail.channel.write(payload);
      },
    );
    onOutcome?.();
    await jail.exited;
    return {
      outcome: outcome.outcome,
      stdout: output.text('stdout'),
      stderr: output.text('stderr'),
      truncated: output.truncated,
      outputChargedBytes: output.chargedBytes,
      runMs: outcome.runMs,
      ...(outcome.memory ? { memory: outcome.memory } : {}),
    };
  }

  /** Kills the whole jail. */
  kill(): void {
    this.#killRequested = true;
    this.#jail?.kill();
  }

  /** Resolves when every process of the jail is gone (killing it first). */
  async close(): Promise<void> {
    this.kill();
    try {
      const jail = await this.#handle;
      jail.kill();
      await jail.exited;
    } catch {
      // never started
    }
  }
}
