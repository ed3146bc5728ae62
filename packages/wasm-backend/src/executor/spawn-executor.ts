import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Readable, Writable } from 'node:stream';

/** What the host needs to start one executor: a Node command line and its environment. */
export interface ExecutorCommand {
  /** The Node executable (`process.execPath` by default). */
  command: string;
  /** Node flags (`--max-old-space-size=…`), then the executor script, as an absolute path. */
  args: string[];
  /** The executor's whole environment: nothing of the host's is passed unless listed here. */
  env: Record<string, string>;
  /** Heap cap the args give V8, in MiB, for a jail that wants to set a matching kernel limit. */
  heapMb: number;
}

/**
 * One running executor, as the host sees it. The host writes frames to `input`, reads frames from
 * `output`, keeps a capped tail of `stderr` for messages, and kills with SIGKILL.
 */
export interface ExecutorProcess {
  readonly input: Writable;
  readonly output: Readable;
  readonly stderr?: Readable | null;
  readonly pid?: number | undefined;
  /** Ends the process at once (SIGKILL); safe to call more than once or after it exited. */
  kill(): void;
  /** Called once when the process has ended, with its exit code or the signal that ended it. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
}

/**
 * Starts an executor. The default starts a plain child process; the process jail plugs in here,
 * running the same command line inside its namespaces and limits.
 */
export type SpawnExecutor = (command: ExecutorCommand) => ExecutorProcess;

/** Niceness of executor processes: untrusted work yields the CPU to the server that talks to clients. */
export const EXECUTOR_NICENESS = 10;

/**
 * The default: a child process with a clean environment, no inherited descriptors, and a lower
 * CPU priority than the host (nice 10), so compiling a 12 MB module on every core does not starve
 * the host's event loop.
 */
export const spawnChildExecutor: SpawnExecutor = ({ command, args, env }) => {
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  if (child.pid !== undefined) {
    try {
      setPriority(child.pid, EXECUTOR_NICENESS);
    } catch {
      // Not permitted here (some containers): the executor keeps the host's priority.
    }
  }
  let exited = false;
  const listeners: Array<(code: number | null, signal: string | null) => void> = [];
  let ended: [number | null, string | null] | undefined;
  const finish = (code: number | null, signal: string | null) => {
    if (ended) return;
    exited = true;
    ended = [code, signal];
    for (const listener of listeners) listener(code, signal);
  };
  child.on('exit', (code, signal) => finish(code, signal));
  // A spawn failure (no such executable) is an exit without a code.
  child.on('error', () => finish(null, null));
  return {
    input: child.stdin,
    output: child.stdout,
    stderr: child.stderr,
    pid: child.pid,
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
    onExit(listener) {
      if (ended) listener(...ended);
      else listeners.push(listener);
    },
  };
};
