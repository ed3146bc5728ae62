// The executor process: everything that touches untrusted bytes (WAT parsing, validation, fuel
// instrumentation, memory and table capping, compilation, component transpiling and its glue,
// instantiation and the run) happens here, in worker threads, never in the host. It speaks only
// frames on stdin/stdout; anything else that would reach stdout is sent to stderr instead.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { InvalidRequestError, LruCache } from '@memory-mcp/sandbox-core';
import { type EngineRequest, WasmEngine } from '../engine/wasm-engine.js';
import { verifiedDigest } from '../session/state-header.js';
import {
  type ExecutorInit,
  type ExecutorMessage,
  type ExecutorStats,
  type HostMessage,
  MAX_HOST_FRAME_BYTES,
  STATE_BASE_CACHE_BYTES,
} from './executor-protocol.js';
import { FrameReader, frameWrites } from './frame-codec.js';
import { EXECUTOR_NICENESS } from './spawn-executor.js';

/**
 * Session bases this executor received or wrote, by digest: the host sends a hot session's base
 * (often megabytes) once and names it by digest afterwards. Only bytes that hash to their digest
 * (over the whole layer, head included) are kept, so a digest found here names exactly the bytes
 * the host verified under it.
 */
const bases = new LruCache<Uint8Array>(STATE_BASE_CACHE_BYTES);

// Untrusted work yields the CPU to the server that talks to clients. Niceness is per thread on
// Linux: every thread that exists now (V8's compiler threads included) is lowered, and the worker
// threads started later inherit it. Raising niceness needs no privilege, in or out of a jail.
lowerPriority();

function lowerPriority(): void {
  let threads: string[] = [];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    // No /proc (not Linux): the main thread alone, below.
  }
  for (const id of threads.length > 0 ? threads.map(Number) : [0]) {
    try {
      setPriority(id, EXECUTOR_NICENESS);
    } catch {
      // A thread that ended meanwhile, or a platform without priorities.
    }
  }
}

const channel = process.stdout.write.bind(process.stdout);
// Nothing but frames may reach the channel: stray writes (a library's console.log) go to stderr.
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
for (const method of ['log', 'info', 'debug', 'warn'] as const) {
  console[method] = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(' ')}\n`);
}

/** The host's frame cap (from `init`): a larger answer would make the host kill this executor. */
let maxFrameBytes = Number.POSITIVE_INFINITY;

const send = (message: ExecutorMessage) => {
  let parts: Uint8Array[] | undefined;
  let problem: string | undefined;
  try {
    parts = frameWrites(message);
    const bytes = parts.reduce((n, part) => n + part.length, 0);
    if (bytes > maxFrameBytes) {
      problem = `the run's answer is ${bytes} bytes, more than the channel carries (maxFrameBytes ${maxFrameBytes})`;
    }
  } catch (error) {
    // A value nested past the encoder's depth, text past V8's string limit: what a module returned.
    problem = `the run's answer cannot be encoded: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (problem !== undefined) {
    // That run's answer alone cannot cross: it fails alone, and this executor carries on.
    if (!('id' in message)) return;
    parts = frameWrites({
      type: 'failed',
      id: message.id,
      message: problem,
      stats: stats(),
    } satisfies ExecutorMessage);
  }
  for (const part of parts!) channel(part);
};
const reader = new FrameReader(MAX_HOST_FRAME_BYTES);
const running = new Map<number, AbortController>();
let engine: WasmEngine | undefined;
/** Settles once the engine is warm (WAT parser loaded, a worker started); runs wait for it. */
let warm: Promise<void> = Promise.resolve();

function stats(): ExecutorStats {
  const s = engine!.counters();
  return {
    poolSize: s.poolSize,
    busyWorkers: s.busyWorkers,
    aliveWorkers: s.aliveWorkers,
    queued: s.queued,
    crashes: s.crashes,
    recycledWorkers: s.recycledWorkers,
    cacheHits: s.cacheHits,
    cacheMisses: s.cacheMisses,
    cacheEntries: s.cacheEntries,
  };
}

function init(message: ExecutorInit): void {
  maxFrameBytes = message.maxFrameBytes;
  engine = new WasmEngine({
    // Each worker thread loads the compiler: scripts are compiled under their deadline, off the
    // thread that answers the host.
    ...(message.compiler ? { workerCompiler: message.compiler } : {}),
    maxConcurrency: message.maxConcurrency,
    warmWorkers: message.warmWorkers,
    limits: message.limits,
    fuelPerSecond: message.fuelPerSecond,
    maxModuleBytes: message.maxModuleBytes,
    maxTableElements: message.maxTableElements,
    fileSystem: message.fileSystem,
    ...(message.cacheBytes !== undefined ? { cacheBytes: message.cacheBytes } : {}),
    ...(message.workerUrl ? { workerUrl: new URL(message.workerUrl) } : {}),
  });
  // Warm up before saying ready, so no request's deadline pays for booting the first worker and,
  // with a compiler, for loading it and preparing the engine it links (the default memory cap's):
  // most of a first script's cost. The WAT parser then loads in the background: a first WAT
  // request may wait for it, a first script does not.
  const started = engine;
  const warmWat = () => started.execute({ language: 'wat', code: '(module (func (export "_start")))' });
  if (message.compiler) {
    warm = started
      .execute({ language: 'javascript', code: '0' })
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        send({ type: 'ready' });
        void warmWat().catch(() => {});
      });
  } else {
    warm = warmWat().then(
      () => send({ type: 'ready' }),
      () => send({ type: 'ready' }),
    );
  }
}

function run(id: number, request: HostMessage & { type: 'run' }): void {
  const restore = request.request.session?.restore;
  if (restore) {
    if (restore.base) {
      // kept only when the bytes are what their digest says: a damaged base must never stand in
      // for a good one later named by the same digest
      const digest = verifiedDigest(restore.base);
      if (digest) bases.set(digest, restore.base, restore.base.length);
    } else {
      const held = restore.baseDigest ? bases.get(restore.baseDigest) : undefined;
      if (!held) {
        send({ type: 'state-missing', id, stats: stats() });
        return;
      }
      restore.base = held;
    }
  }
  const controller = new AbortController();
  running.set(id, controller);
  warm
    // every base is bytes by now (named ones were filled in from the cache above)
    .then(() => engine!.execute({ ...(request.request as EngineRequest), signal: controller.signal }))
    .then(
      (result) => {
        running.delete(id);
        // Output travels as UTF-16 bytes: two per unit, whatever the text. In JSON each control
        // character grows sixfold (\u0000), in UTF-8 an invalid byte's U+FFFD threefold.
        const wire: Record<string, unknown> = {
          ...result,
          stdout: utf16(result.stdout),
          stderr: utf16(result.stderr),
        };
        // a state that kept the base the host sent goes back without it: the host has those bytes
        if (result.state && result.state.base === request.request.session?.restore?.base) {
          const { base: _kept, ...rest } = result.state;
          wire.state = { ...rest, baseKept: true };
        } else if (result.state) {
          const digest = verifiedDigest(result.state.base);
          if (digest) bases.set(digest, result.state.base, result.state.base.length);
        }
        send({ type: 'result', id, result: wire as unknown as typeof result, stats: stats() });
      },
      (error: unknown) => {
        running.delete(id);
        if (InvalidRequestError.isInstance(error)) {
          const prefix = `${error.field}: `;
          const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
          send({ type: 'invalid', id, field: error.field, message: text, stats: stats() });
        } else {
          send({
            type: 'failed',
            id,
            message: error instanceof Error ? error.message : String(error),
            stats: stats(),
          });
        }
      },
    );
}

function utf16(text: string): Uint8Array {
  return Buffer.from(text, 'utf16le');
}

function compile(message: HostMessage & { type: 'compile' }): void {
  const { id, source, options, timeoutMs } = message;
  const controller = new AbortController();
  running.set(id, controller);
  warm
    .then(() => engine!.compile(source, options, { timeoutMs, signal: controller.signal }))
    .catch((error: unknown) => ({
      kind: 'failed' as const,
      status: 'error' as const,
      message: error instanceof Error ? error.message : String(error),
    }))
    .then((outcome) => {
      running.delete(id);
      send({ type: 'compiled', id, outcome, stats: stats() });
    });
}

process.stdin.on('data', (chunk: Buffer) => {
  for (const event of reader.push(chunk)) {
    if (event.kind === 'error') {
      process.stderr.write(`executor: ${event.message}\n`);
      process.exit(70);
    }
    const message = event.message as HostMessage;
    if (message.type === 'init') init(message);
    else if (message.type === 'run') run(message.id, message);
    else if (message.type === 'compile') compile(message);
    else if (message.type === 'cancel') running.get(message.id)?.abort();
  }
});
// The host closed the channel: nothing more to do.
process.stdin.on('end', () => process.exit(0));
