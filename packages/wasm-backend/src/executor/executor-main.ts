// The executor process: everything that touches untrusted bytes (WAT parsing, validation, fuel
// instrumentation, memory and table capping, compilation, component transpiling and its glue,
// instantiation and the run) happens here, in worker threads, never in the host. It speaks only
// frames on stdin/stdout; anything else that would reach stdout is sent to stderr instead.
import { type Compiler, InvalidRequestError } from '@memory-mcp/sandbox-core';
import { preloadTranspiler } from '../component/transpile-component.js';
import { WasmEngine } from '../engine/wasm-engine.js';
import {
  type ExecutorCompiler,
  type ExecutorInit,
  type ExecutorMessage,
  type ExecutorStats,
  type HostMessage,
  MAX_HOST_FRAME_BYTES,
} from './executor-protocol.js';
import { FrameReader, frameWrites } from './frame-codec.js';

const channel = process.stdout.write.bind(process.stdout);
// Nothing but frames may reach the channel: stray writes (a library's console.log) go to stderr.
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
for (const method of ['log', 'info', 'debug', 'warn'] as const) {
  console[method] = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(' ')}\n`);
}

const send = (message: ExecutorMessage) => {
  for (const part of frameWrites(message)) channel(part);
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

/** Why the configured compiler could not be loaded, if it could not. */
let compilerFailure: string | undefined;

async function loadCompiler(spec: ExecutorCompiler): Promise<Compiler | undefined> {
  try {
    const module = (await import(spec.module)) as Record<string, unknown>;
    const name = spec.exportName ?? 'createCompiler';
    const factory = module[name];
    if (typeof factory !== 'function') throw new Error(`${spec.module} has no export ${name}`);
    return (factory as (options?: unknown) => Compiler)(spec.options);
  } catch (error) {
    compilerFailure = error instanceof Error ? error.message : String(error);
    process.stderr.write(`executor: cannot load the compiler: ${compilerFailure}\n`);
    return undefined;
  }
}

function init(message: ExecutorInit): void {
  warm = (message.compiler ? loadCompiler(message.compiler) : Promise.resolve(undefined)).then((compiler) =>
    start(message, compiler),
  );
}

function start(message: ExecutorInit, compiler: Compiler | undefined): Promise<void> {
  engine = new WasmEngine({
    ...(compiler ? { compiler } : {}),
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
  // Warm up before saying ready, so no request's deadline pays for loading the WAT parser or
  // booting the first worker; the host starts its deadlines at this message.
  const started = engine;
  return Promise.all([
    started.execute({ language: 'wat', code: '(module (func (export "_start")))' }),
    preloadTranspiler(),
  ])
    .then(
      () => undefined,
      () => undefined,
    )
    .then(() => {
      send({ type: 'ready' });
    });
}

function run(id: number, request: HostMessage & { type: 'run' }): void {
  const controller = new AbortController();
  running.set(id, controller);
  warm
    .then(() => {
      if (request.request.language === 'javascript' && compilerFailure) {
        throw new Error(`the executor could not load its JavaScript compiler: ${compilerFailure}`);
      }
      return engine!.execute({ ...request.request, signal: controller.signal });
    })
    .then(
      (result) => {
        running.delete(id);
        send({ type: 'result', id, result, stats: stats() });
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

process.stdin.on('data', (chunk: Buffer) => {
  for (const event of reader.push(chunk)) {
    if (event.kind === 'error') {
      process.stderr.write(`executor: ${event.message}\n`);
      process.exit(70);
    }
    const message = event.message as HostMessage;
    if (message.type === 'init') init(message);
    else if (message.type === 'run') run(message.id, message);
    else if (message.type === 'cancel') running.get(message.id)?.abort();
  }
});
// The host closed the channel: nothing more to do.
process.stdin.on('end', () => process.exit(0));
