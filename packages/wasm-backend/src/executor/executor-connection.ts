import { type CompileOptions, type ExecutionResult, LruCache } from '@memory-mcp/sandbox-core';
import type { CompileOutcome } from '../engine/wasm-engine.js';
import { verifiedDigest } from '../session/state-header.js';
import {
  type ExecutorInit,
  type ExecutorStats,
  type HostMessage,
  MAX_HOST_FRAME_BYTES,
  STATE_BASE_CACHE_BYTES,
  type WireRequest,
} from './executor-protocol.js';
import { FrameReader, frameWrites } from './frame-codec.js';
import { parseExecutorMessage } from './parse-executor-message.js';
import type { ExecutorCommand, ExecutorProcess, SpawnExecutor } from './spawn-executor.js';

export type ConnectionOutcome =
  | { kind: 'result'; result: ExecutionResult }
  | { kind: 'invalid'; field: string; message: string }
  | { kind: 'failed'; message: string }
  /** The executor died or broke the protocol while this request was in flight. */
  | { kind: 'lost'; message: string; signal: string | null; outOfMemory?: boolean; heldRuns?: number }
  /** The host's backstop fired: the executor did not answer by the deadline plus the grace. */
  | { kind: 'timeout'; elapsedMs: number }
  /** How a compile for storage ended. */
  | { kind: 'compiled'; outcome: CompileOutcome }
  /** The run named its session base by digest and the executor no longer held it: run it again with the bytes. */
  | { kind: 'state_missing' };

interface InFlight {
  resolve: (outcome: ConnectionOutcome) => void;
  /** Armed when the executor is ready: its boot is not the request's time. */
  timer?: NodeJS.Timeout;
  backstopMs: number;
  /** A session run's base, which an answer that kept it does not send back. */
  restoredBase?: Uint8Array;
}

/** The longest delay a Node timer holds; longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long an executor may take to start and warm up before it counts as unable to start. */
const START_TIMEOUT_MS = 60_000;

/**
 * What V8 and Node print when a process runs out of memory: the heap limit, a failed allocation
 * under the kernel's RLIMIT_DATA, or a worker's allocation failing outside its own limits.
 */
const OUT_OF_MEMORY = /heap limit|out of memory|Allocation failed|OOM/i;

/** Most bytes of an executor's stderr kept for messages. */
const STDERR_TAIL_BYTES = 4096;

/**
 * The host's side of one executor process: sends requests as frames, matches answers by id,
 * parses everything it receives defensively, and ends every request it sent exactly once: with
 * the answer, at the backstop deadline, or when the executor dies.
 */
export class ExecutorConnection {
  readonly #process: ExecutorProcess;
  readonly #reader: FrameReader;
  readonly #inFlight = new Map<number, InFlight>();
  /** Mirror of the session bases the executor holds (its cache has the same budget and order). */
  readonly #bases = new LruCache<true>(STATE_BASE_CACHE_BYTES);
  readonly #onDead: (connection: ExecutorConnection) => void;
  #nextId = 1;
  #dead = false;
  #stderr = '';
  #ready = false;
  readonly #startTimer: NodeJS.Timeout;
  #deathMessage = '';
  /** The executor said it ran out of memory (V8's fatal line), and that line. */
  #outOfMemory = false;
  #fatalLine: string | undefined;
  /** The executor's counters as of its last answer. */
  stats: ExecutorStats | undefined;
  /** `performance.now()` of its last answer with status ok. */
  lastAnswerAt = Number.NEGATIVE_INFINITY;
  /** Resolves when the process has ended and its pipes are closed. */
  readonly exited: Promise<void>;
  /** Resolves when the executor is ready to run, or has died without getting there. */
  readonly settled: Promise<void>;
  #settleReady!: () => void;

  constructor(options: {
    spawn: SpawnExecutor;
    command: ExecutorCommand;
    init: ExecutorInit;
    maxFrameBytes: number;
    onDead: (connection: ExecutorConnection) => void;
  }) {
    this.#onDead = options.onDead;
    this.#reader = new FrameReader(options.maxFrameBytes);
    this.#process = options.spawn(options.command);
    this.#process.output.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#process.output.on('error', () => {});
    this.#process.input.on('error', () => {});
    this.#process.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      // Seen on arrival: V8 prints a long native stack after the fatal line, past the kept tail.
      if (!this.#outOfMemory && OUT_OF_MEMORY.test(this.#stderr.slice(-200) + text)) {
        this.#outOfMemory = true;
        this.#fatalLine = (this.#stderr.slice(-200) + text)
          .split('\n')
          .find((line) => OUT_OF_MEMORY.test(line));
      }
      this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL_BYTES);
    });
    this.settled = new Promise((resolve) => {
      this.#settleReady = resolve;
    });
    this.exited = new Promise((resolve) => {
      this.#process.onExit((code, signal) => {
        this.#settleReady();
        this.#die(describeExit(code, signal), signal);
        this.#process.output.destroy();
        this.#process.stderr?.destroy();
        this.#process.input.destroy();
        resolve();
      });
    });
    this.#send(options.init);
    this.#startTimer = setTimeout(
      () => this.kill(`the executor did not start within ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    this.#startTimer.unref();
  }

  get ready(): boolean {
    return this.#ready;
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  get alive(): boolean {
    return !this.#dead;
  }

  /** Requests sent and not yet answered. */
  get load(): number {
    return this.#inFlight.size;
  }

  /**
   * Sends a run. A session base this executor holds (by the host's mirror of its cache) is named
   * by digest instead of sent; `sendBase` sends it anyway (after a `state_missing`).
   */
  run(
    request: WireRequest,
    backstopMs: number,
    { sendBase = false }: { sendBase?: boolean } = {},
  ): { id: number; outcome: Promise<ConnectionOutcome> } {
    const restore = request.session?.restore;
    const base = restore?.base;
    let wire = request;
    if (base && restore) {
      // only a digest the host computed from the bytes it holds names a base (WasmBackend checked
      // these before the run); the executor keeps only bases that hash to their digest
      const digest = verifiedDigest(base);
      if (digest && !sendBase && this.#bases.get(digest)) {
        const { base: _held, ...named } = restore;
        wire = { ...request, session: { ...request.session, restore: { ...named, baseDigest: digest } } };
      } else if (digest) {
        this.#bases.set(digest, true, base.length);
      }
    }
    const asked = this.#ask((id) => ({ type: 'run', id, request: wire }), backstopMs, base);
    void asked.outcome.then((outcome) => {
      if (outcome.kind === 'state_missing' && base) this.#bases.delete(verifiedDigest(base) ?? '');
      if (outcome.kind === 'result' && outcome.result.state && outcome.result.state.base !== base) {
        const newBase = outcome.result.state.base;
        const digest = verifiedDigest(newBase);
        if (digest) this.#bases.set(digest, true, newBase.length);
      }
    });
    return asked;
  }

  /** Compiles JavaScript for storage in the executor, within `timeoutMs`. */
  compile(
    source: string,
    options: CompileOptions | undefined,
    timeoutMs: number,
    backstopMs: number,
  ): { id: number; outcome: Promise<ConnectionOutcome> } {
    return this.#ask(
      (id) => ({ type: 'compile', id, source, ...(options ? { options } : {}), timeoutMs }),
      backstopMs,
    );
  }

  #ask(
    message: (id: number) => HostMessage,
    backstopMs: number,
    restoredBase?: Uint8Array,
  ): { id: number; outcome: Promise<ConnectionOutcome> } {
    const id = this.#nextId++;
    if (this.#dead) {
      return { id, outcome: Promise.resolve({ kind: 'lost', message: this.#deathMessage, signal: null }) };
    }
    // Encoded before anything is sent: a request that cannot be encoded (input nested past the
    // JSON encoder's depth, a cycle, a BigInt, text past V8's string limit) is that request's bad
    // input, and the executor and its other runs never notice.
    let parts: Uint8Array[];
    try {
      parts = frameWrites(message(id));
      const bytes = parts.reduce((n, part) => n + part.length, 0);
      if (bytes > MAX_HOST_FRAME_BYTES)
        throw new Error(`it is ${bytes} bytes; the most is ${MAX_HOST_FRAME_BYTES}`);
    } catch (error) {
      return {
        id,
        outcome: Promise.resolve({
          kind: 'invalid',
          field: 'request',
          message: `cannot be sent to the executor: ${error instanceof Error ? error.message : String(error)}`,
        }),
      };
    }
    const outcome = new Promise<ConnectionOutcome>((resolve) => {
      const entry: InFlight = {
        resolve,
        backstopMs: Math.min(backstopMs, MAX_TIMER_MS),
        ...(restoredBase ? { restoredBase } : {}),
      };
      this.#inFlight.set(id, entry);
      if (this.#ready) this.#arm(id, entry);
    });
    this.#write(parts);
    return { id, outcome };
  }

  #arm(id: number, entry: InFlight): void {
    const started = performance.now();
    entry.timer = setTimeout(() => {
      // The executor owes an answer at the deadline; silent past the grace, it is stuck (a
      // compile that will not end): it is killed so it cannot hold anyone else's work.
      this.#settle(id, { kind: 'timeout', elapsedMs: performance.now() - started });
      this.kill(`the executor did not answer within ${entry.backstopMs} ms`);
    }, entry.backstopMs);
  }

  cancel(id: number): void {
    if (this.#inFlight.has(id)) this.#send({ type: 'cancel', id });
  }

  /** Kills the process; its requests end as `lost` with `reason`. */
  kill(reason: string): void {
    if (!this.#dead) this.#deathMessage = reason;
    this.#process.kill();
    this.#die(reason, null);
  }

  #send(message: unknown): void {
    if (this.#dead) return;
    let parts: Uint8Array[];
    try {
      parts = frameWrites(message);
    } catch (error) {
      this.kill(`cannot encode a message for the executor: ${(error as Error).message}`);
      return;
    }
    this.#write(parts);
  }

  #write(parts: Uint8Array[]): void {
    if (this.#dead) return;
    try {
      for (const part of parts) this.#process.input.write(part);
    } catch (error) {
      this.kill(`cannot write to the executor: ${(error as Error).message}`);
    }
  }

  #onData(chunk: Buffer): void {
    for (const event of this.#reader.push(chunk)) {
      if (event.kind === 'error') {
        this.kill(`the executor broke the channel: ${event.message}`);
        return;
      }
      const message = parseExecutorMessage(event.message, (id) => this.#inFlight.get(id)?.restoredBase);
      if (!message) {
        this.kill('the executor sent a malformed message');
        return;
      }
      if (message.type === 'ready') {
        if (!this.#ready) {
          this.#ready = true;
          this.#settleReady();
          clearTimeout(this.#startTimer);
          for (const [id, entry] of this.#inFlight) this.#arm(id, entry);
        }
        continue;
      }
      if (!this.#inFlight.has(message.id)) continue; // answered already (backstop), or never asked
      this.stats = message.stats;
      // Only a run that ended ok proves the executor can run a module.
      if (message.type === 'result' && message.result.status === 'ok') this.lastAnswerAt = performance.now();
      if (message.type === 'result') this.#settle(message.id, { kind: 'result', result: message.result });
      else if (message.type === 'state-missing') this.#settle(message.id, { kind: 'state_missing' });
      else if (message.type === 'compiled')
        this.#settle(message.id, { kind: 'compiled', outcome: message.outcome });
      else if (message.type === 'invalid') {
        this.#settle(message.id, { kind: 'invalid', field: message.field, message: message.message });
      } else this.#settle(message.id, { kind: 'failed', message: message.message });
    }
  }

  #settle(id: number, outcome: ConnectionOutcome): void {
    const entry = this.#inFlight.get(id);
    if (!entry) return;
    this.#inFlight.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(outcome);
  }

  #die(message: string, signal: string | null): void {
    if (this.#dead) {
      // A kill already ended everything; the exit that follows adds nothing.
      return;
    }
    this.#dead = true;
    clearTimeout(this.#startTimer);
    this.#deathMessage ||= message;
    const lines = this.#stderr.trim().split('\n');
    // A fatal error's own line says more than the native stack V8 prints after it.
    const fatal =
      this.#fatalLine ?? lines.find((line) => /FATAL ERROR|Fatal (process|JavaScript)/i.test(line));
    const detail = fatal?.trim() ?? lines.slice(-3).join(' | ');
    const full = detail ? `${this.#deathMessage} (stderr: ${detail.slice(0, 500)})` : this.#deathMessage;
    const outOfMemory = this.#outOfMemory;
    const heldRuns = this.#inFlight.size;
    for (const id of [...this.#inFlight.keys()]) {
      this.#settle(id, {
        kind: 'lost',
        message: full,
        signal,
        ...(outOfMemory ? { outOfMemory, heldRuns } : {}),
      });
    }
    this.#process.input.end();
    this.#onDead(this);
  }
}

function describeExit(code: number | null, signal: string | null): string {
  if (signal) {
    return signal === 'SIGKILL'
      ? 'the executor process was killed (SIGKILL; a kernel memory limit or the OOM killer does this)'
      : `the executor process ended on ${signal}`;
  }
  if (code === 134) return 'the executor process aborted (a V8 fatal error, such as heap exhaustion)';
  return `the executor process exited with code ${code}`;
}
