// Runs inside a worker thread: instantiates one module per message with a fresh WASI host, runs it,
// and answers with the outcome. The wasm code can reach nothing but the imports built here.

import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type { Compiler } from '@memory-mcp/sandbox-core';
import { runComponent } from '../component/run-component.js';
import { engineIdentity } from '../engine/module-cache-key.js';
import { FUEL_COSTS, FUEL_EXPORT, OUT_OF_FUEL_EXPORT, START_EXPORT } from '../fuel/fuel-instrumenter.js';
import {
  type RestoredState,
  restoreState,
  StateCache,
  StateError,
  type StateTarget,
  saveState,
} from '../session/engine-state.js';
import { readStateHead } from '../session/state-header.js';
import { OutputLimitExceeded, ProcExit } from '../wasi/errno.js';
import { WasiPreview1Host } from '../wasi/wasi-preview1-host.js';
import { classifyTrap } from './classify-trap.js';
import { memoryNearCap } from './memory-near-cap.js';
import { runPrepareJob } from './prepare-job.js';
import {
  type LinkedModule,
  type RunMessage,
  type RunReply,
  WORKER_MODULE_CACHE,
  type WorkerMessage,
  type WorkerSetup,
} from './worker-protocol.js';

if (!parentPort) throw new Error('wasm-worker must run in a worker thread');
const port = parentPort;

const setup = (workerData ?? {}) as WorkerSetup;
let compiler: Promise<Compiler> | undefined;

/** Loads the configured compiler once per worker; its failure is every JavaScript job's failure. */
function loadCompiler(): Promise<Compiler> {
  compiler ??= (async () => {
    const spec = setup.compiler;
    if (!spec) throw new Error('no JavaScript compiler is configured in this executor');
    const module = (await import(spec.module)) as Record<string, unknown>;
    const name = spec.exportName ?? 'createCompiler';
    const factory = module[name];
    if (typeof factory !== 'function') throw new Error(`${spec.module} has no export ${name}`);
    return (factory as (options?: unknown) => Compiler)(spec.options);
  })().catch((error: unknown) => {
    throw new Error(
      `the executor could not load its JavaScript compiler: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  return compiler;
}

/** A run that ends with at least this much memory is followed by a garbage collection. */
const RECLAIM_AFTER_BYTES = 256 * 1024 * 1024;
/** A full garbage collection of this worker (V8's `gc`, obtained once), or nothing where unavailable. */
const reclaim: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
    return typeof gc === 'function' ? () => gc() : () => {};
  } catch {
    return () => {};
  }
})();

port.on('message', (message: WorkerMessage) => {
  if ('prepare' in message) {
    void runPrepareJob(message, loadCompiler).then((reply) => port.postMessage(reply));
    return;
  }
  if ('component' in message) {
    const started = performance.now();
    void runComponent(message).then(
      (outcome) =>
        port.postMessage({
          id: message.id,
          ...outcome,
          instantiateMs: 0,
          runMs: performance.now() - started,
        }),
      (error: unknown) =>
        port.postMessage({
          id: message.id,
          outcome: 'trap',
          stdout: '',
          stderr: '',
          truncated: false,
          instantiateMs: 0,
          runMs: performance.now() - started,
          error: { kind: 'host_error', message: error instanceof Error ? error.message : String(error) },
        } satisfies RunReply),
    );
    return;
  }
  const answer = run(message);
  // a saved state is its own ArrayBuffer: hand it over instead of copying it
  const transfer = [answer.state?.base, answer.state?.delta].flatMap((b) =>
    b ? [b.buffer as ArrayBuffer] : [],
  );
  port.postMessage(answer, transfer);
  // While idle, get a fresh instance of each linked module (a dynamic module's engine) ready for
  // the next run: instantiating a large engine is most of a small run's cost. Each instance still
  // serves exactly one run.
  for (const link of message.links ?? []) prepareSoon(link);
  // A big memory the run left is freed only when a collection finds it dropped, and V8 does not
  // collect for a failed memory.grow: without this, the next big run in this executor (its own
  // growth, or a session's restore) runs out of memory while the last one's is still held.
  if ((answer.memoryBytes ?? 0) >= RECLAIM_AFTER_BYTES) reclaim();
});

interface Prepared {
  instance: WebAssembly.Instance;
  /** The WASI functions it imported forward to whichever host is current. */
  setHost(host: WasiPreview1Host): void;
  /**
   * For a resettable link: puts the instance back in its initial state (memory and exported
   * globals), false when it cannot (its memory grew). Undefined: never reused.
   */
  reset?: () => boolean;
  /** For a resettable link: what a session's state is saved from and restored into. */
  state?: StateTarget;
}
const prepared = new Map<string, Prepared>();
/** Instances of resettable links that served the current run, to reset once it is answered. */
const used = new Map<string, Prepared>();
/** A resettable link's initial state, per key: the memory image and the exported mutable globals. */
const initialStates = new Map<
  string,
  { image: Uint8Array; globals: Map<string, unknown>; engineId: Uint8Array }
>();
/** Sessions' decoded layers by digest: a session resumed here again skips inflating. */
const stateCache = new StateCache(32 * 1024 * 1024);
/**
 * Engine instances left exactly in the state a session run saved, by link key and that state's
 * top layer digest: the session's next call here runs on it as it is (no copy, no growth). Taken,
 * never shared: a fork resumed from the same state gets a restored instance of its own.
 */
const parked = new Map<string, { ready: Prepared; from: RestoredState; bytes: number }>();
/** At most this many parked instances (the pool mirrors the count), holding at most this much memory. */
const MAX_PARKED = 4;
const MAX_PARKED_BYTES = 64 * 1024 * 1024;
let parkedBytes = 0;

function unpark(key: string): { ready: Prepared; from: RestoredState } | undefined {
  const found = parked.get(key);
  if (found) {
    parked.delete(key);
    parkedBytes -= found.bytes;
  }
  return found;
}
/** Globals the host sets before every run: never part of a saved state. */
const RUN_GLOBALS = new Set([FUEL_EXPORT, OUT_OF_FUEL_EXPORT]);
/** Linked modules by key: the backend posts each one to a worker only once. */
const linkedModules = new Map<string, WebAssembly.Module>();

function cachedModule(key: string | undefined, module: WebAssembly.Module | undefined): WebAssembly.Module {
  if (module && key && linkedModules.size < WORKER_MODULE_CACHE) linkedModules.set(key, module);
  const found = module ?? (key ? linkedModules.get(key) : undefined);
  if (!found) throw new Error(`module ${key} was never sent to this worker`);
  return found;
}

function instantiateForwarding(link: LinkedModule): Prepared {
  let table: Record<string, Record<string, (...args: never[]) => unknown>> = {};
  const imports: WebAssembly.Imports = {};
  for (const [namespace, names] of Object.entries(link.wasiImports)) {
    const forward: Record<string, (...args: never[]) => unknown> = {};
    for (const name of names) forward[name] = (...args: never[]) => table[namespace]![name]!(...args);
    imports[namespace] = forward;
  }
  const instance = new WebAssembly.Instance(cachedModule(link.key, link.module), imports);
  const engine = link.resettable ? engineStateOf(link, instance) : undefined;
  return {
    instance,
    ...(engine ? engine : {}),
    setHost(host) {
      table = Object.fromEntries(
        Object.entries(link.wasiImports).map(([namespace, names]) => [
          namespace,
          host.imports(names, namespace),
        ]),
      );
    },
  };
}

/**
 * Resetting a used engine instance costs a copy of its initial memory; a new instance also pays
 * for fresh pages, the data segments and the instance itself. Sound only for modules whose whole
 * mutable state is memory plus exported globals, which the compiler's build checks (`resettable`).
 */
function engineStateOf(
  link: LinkedModule,
  instance: WebAssembly.Instance,
): { reset: () => boolean; state: StateTarget } | undefined {
  const memory = link.memoryExport ? instance.exports[link.memoryExport] : undefined;
  if (!(memory instanceof WebAssembly.Memory)) return undefined;
  let state = initialStates.get(link.key);
  if (!state) {
    const globals = new Map<string, unknown>();
    for (const [name, value] of Object.entries(instance.exports)) {
      if (!(value instanceof WebAssembly.Global)) continue;
      try {
        const initial = value.value;
        value.value = initial; // throws for an immutable global: nothing to restore
        globals.set(name, initial);
      } catch {}
    }
    state = {
      image: new Uint8Array(memory.buffer).slice(),
      globals,
      engineId: createHash('sha256').update(engineIdentity(link.key)).digest(),
    };
    initialStates.set(link.key, state);
  }
  const { image, globals, engineId } = state;
  const stateGlobals = new Map<string, WebAssembly.Global>();
  for (const name of globals.keys()) {
    if (!RUN_GLOBALS.has(name)) stateGlobals.set(name, instance.exports[name] as WebAssembly.Global);
  }
  return {
    reset: () => {
      if (memory.buffer.byteLength !== image.byteLength) return false;
      new Uint8Array(memory.buffer).set(image);
      for (const [name, value] of globals) (instance.exports[name] as WebAssembly.Global).value = value;
      return true;
    },
    state: { memory, globals: stateGlobals, image, engineId },
  };
}

function takePrepared(link: LinkedModule, host: WasiPreview1Host): Prepared {
  const ready = prepared.get(link.key) ?? instantiateForwarding(link);
  prepared.delete(link.key);
  if (ready.reset) used.set(link.key, ready);
  ready.setHost(host);
  return ready;
}

/** After a run is answered: reset what it used, or instantiate afresh, for the next run. */
function prepareSoon(link: LinkedModule): void {
  const last = used.get(link.key);
  used.delete(link.key);
  if (prepared.has(link.key)) return;
  if (last?.reset?.()) {
    prepared.set(link.key, last);
    return;
  }
  setImmediate(() => {
    if (!prepared.has(link.key)) prepared.set(link.key, instantiateForwarding(link));
  });
}

function run(message: RunMessage): RunReply {
  const host = new WasiPreview1Host({
    args: message.args,
    env: message.env,
    stdin: message.stdin,
    maxOutputBytes: message.maxOutputBytes,
    allowConsole: message.allowConsole,
    deterministic: message.deterministic,
    ...(message.files ? { files: message.files } : {}),
    ...(message.fsLimits ? { fsLimits: message.fsLimits } : {}),
    ...(message.resultFd !== undefined ? { resultFd: message.resultFd } : {}),
    ...(message.maxResultBytes !== undefined ? { maxResultBytes: message.maxResultBytes } : {}),
  });
  const wasiFor = (wanted: Record<string, string[]>) => {
    const imports: WebAssembly.Imports = {};
    for (const [namespace, names] of Object.entries(wanted))
      imports[namespace] = host.imports(names, namespace);
    return imports;
  };
  const imports = wasiFor(message.wasiImports);
  let memory: WebAssembly.Memory | undefined;
  if (message.importedMemory) {
    const { module, name, initial, maximum, shared } = message.importedMemory;
    try {
      memory = new WebAssembly.Memory({ initial, maximum, shared });
    } catch (error) {
      return reply(message, host, 0, 0, 'memory_limit', { kind: 'memory_limit', message: String(error) });
    }
    imports[module] = { ...imports[module], [name]: memory };
  }

  const t0 = performance.now();
  const mainModule = message.bytecode ? undefined : cachedModule(message.moduleKey, message.module);
  const instances: WebAssembly.Instance[] = [];
  let instance: WebAssembly.Instance;
  /** A bytecode run's engine: its checked exports and its own memory. */
  let bytecodeEngine: BytecodeEngine | undefined;
  /** A session run: the engine instance its state lives in, and the state it started from. */
  let session: SessionRun | undefined;
  try {
    // Linked modules first (a dynamic module's engine): their exports become the main module's imports.
    for (const link of message.links ?? []) {
      const restore = message.session?.restore;
      const parkedKey = restore ? `${link.key}|${readStateHead(restore.delta ?? restore.base)?.digest}` : '';
      const hot = unpark(parkedKey);
      const taken = hot?.ready ?? takePrepared(link, host);
      if (hot) hot.ready.setHost(host);
      const linked = taken.instance;
      if (message.session && taken.state && !session) {
        // restored before the fuel is set: fuel is the run's, never the state's
        session = { target: taken.state, link, ready: taken };
        if (hot) session.from = hot.from;
        else if (restore)
          session.from = restoreState(restore, taken.state, message.memoryCapBytes, stateCache, reclaim);
      }
      (linked.exports[FUEL_EXPORT] as WebAssembly.Global).value = BigInt(message.fuel);
      instances.push(linked);
      const linkedMemory = link.memoryExport ? linked.exports[link.memoryExport] : undefined;
      if (linkedMemory instanceof WebAssembly.Memory) {
        memory = linkedMemory;
        host.bind(memory);
      }
      if (link.hasStart) (linked.exports[START_EXPORT] as () => void)();
      imports[link.name] = linked.exports;
    }
    if (message.session && !session) {
      throw new StateError(
        'session_state_invalid',
        'sessions need an engine whose whole state can be saved; this module links none',
      );
    }
    if (message.bytecode) {
      // the linked engine runs the bytecode itself: it is the run's only instance
      const at = (message.links ?? []).findIndex((l) => l.name === message.bytecode!.link);
      const engine = instances[at];
      const own = engine?.exports[message.links![at]?.memoryExport ?? ''];
      if (own instanceof WebAssembly.Memory && own !== memory) {
        memory = own;
        host.bind(memory);
      }
      bytecodeEngine = engine && bytecodeEngineOf(engine, own);
      if (!engine || !bytecodeEngine) {
        throw new WebAssembly.LinkError(
          `the linked engine ${message.bytecode.link} does not export memory_mcp_alloc, memory_mcp_eval_bytecode and its memory`,
        );
      }
      instance = engine;
    } else {
      instance = new WebAssembly.Instance(mainModule!, imports);
    }
  } catch (error) {
    const t1 = performance.now();
    if (error instanceof StateError) {
      return reply(message, host, t1 - t0, 0, 'session_state', { kind: error.kind, message: error.message });
    }
    if (error instanceof WebAssembly.LinkError) {
      return reply(message, host, t1 - t0, 0, 'link_error', { kind: 'link', message: error.message });
    }
    if (error instanceof RangeError) {
      return reply(message, host, t1 - t0, 0, 'memory_limit', {
        kind: 'memory_limit',
        message: error.message,
      });
    }
    const trap = classifyTrap(error);
    return reply(message, host, t1 - t0, 0, 'trap', trap);
  }
  const t1 = performance.now();
  if (!message.bytecode) {
    instances.push(instance);
    (instance.exports[FUEL_EXPORT] as WebAssembly.Global).value = BigInt(message.fuel);
  }
  const exported = message.memoryExport ? instance.exports[message.memoryExport] : undefined;
  if (exported instanceof WebAssembly.Memory) memory = exported;
  if (memory) host.bind(memory);
  // Host work (bytes a WASI call addresses) is paid from the main instance's counter; when it runs
  // out, the flag is set as the instrumented code would set it and the run ends as out of fuel.
  const charge = (units: number) => {
    const counter = instance.exports[FUEL_EXPORT] as WebAssembly.Global;
    const left = (counter.value as bigint) - BigInt(units);
    counter.value = left;
    if (left < 0n) {
      (instance.exports[OUT_OF_FUEL_EXPORT] as WebAssembly.Global).value = 1;
      throw new HostFuelExhausted();
    }
  };
  host.meterFuel(charge);
  const outOfFuel = {
    get value() {
      return instances.some((i) => (i.exports[OUT_OF_FUEL_EXPORT] as WebAssembly.Global).value === 1) ? 1 : 0;
    },
  };
  const withFuel = (r: RunReply) => {
    // every instance meters its own counter against the same budget; the cost is their sum
    r.fuelUsed = instances.reduce(
      (sum, i) => sum + message.fuel - Number((i.exports[FUEL_EXPORT] as WebAssembly.Global).value as bigint),
      0,
    );
    return withMemory(r, memory);
  };

  let value: unknown;
  try {
    if (message.hasStart) (instance.exports[START_EXPORT] as () => void)();
    if (message.entry) {
      const fn = instance.exports[message.entry] as (...args: Array<number | bigint>) => unknown;
      value = toJson(fn(...(message.entryArgs ?? [])));
    } else if (message.bytecode) {
      runBytecode(bytecodeEngine!, message.bytecode.bytes, charge);
    } else {
      (instance.exports._start as () => void)();
    }
  } catch (error) {
    const t2 = performance.now();
    if (error instanceof ProcExit) {
      const r = reply(message, host, t1 - t0, t2 - t1, error.code === 0 ? 'ok' : 'exit');
      r.exitCode = error.code;
      if (error.code !== 0) r.error = { kind: 'exit', message: `process exited with code ${error.code}` };
      else withState(r, message, host, session);
      return withFuel(r);
    }
    if (error instanceof BytecodeDoesNotFit) {
      return withFuel(
        reply(message, host, t1 - t0, t2 - t1, 'memory_limit', {
          kind: 'memory_limit',
          message: `the script's bytecode (${error.bytes} bytes) does not fit in the engine's memory under its ${message.memoryCapBytes}-byte cap`,
        }),
      );
    }
    if (error instanceof OutputLimitExceeded) {
      return withFuel(
        reply(message, host, t1 - t0, t2 - t1, 'output_limit', {
          kind: 'output_limit',
          message: `output passed maxOutputBytes (${error.limit} bytes)`,
        }),
      );
    }
    if (outOfFuel.value === 1) {
      return withFuel(
        reply(message, host, t1 - t0, t2 - t1, 'out_of_fuel', {
          kind: 'out_of_fuel',
          message: `fuel exhausted (budget ${message.fuel})`,
        }),
      );
    }
    const trap = classifyTrap(error);
    // A trap with memory near its cap is almost always a failed allocation (memory.grow returned -1
    // and the program aborted). The margin covers allocators that grow in large steps.
    const atCap = memoryNearCap(memory?.buffer.byteLength, message.memoryCapBytes);
    if (atCap && trap.kind !== 'trap:stack_overflow') {
      return withFuel(
        reply(message, host, t1 - t0, t2 - t1, 'memory_limit', {
          kind: 'memory_limit',
          message: `${trap.message} (memory is at its ${message.memoryCapBytes}-byte cap)`,
        }),
      );
    }
    return withFuel(reply(message, host, t1 - t0, t2 - t1, 'trap', trap));
  }
  const t2 = performance.now();
  const r = reply(message, host, t1 - t0, t2 - t1, 'ok');
  if (message.entry) r.value = value;
  else r.exitCode = 0;
  withState(r, message, host, session);
  return withFuel(r);
}

/**
 * After a session run that ended well (the program's own record says ok), saves the engine's
 * state into the reply; a state over its cap turns the reply into that error instead.
 */
function withState(
  r: RunReply,
  message: RunMessage,
  host: WasiPreview1Host,
  session: SessionRun | undefined,
): void {
  if (!session || !message.session?.save || !recordSaysOk(host)) return;
  try {
    const t0 = performance.now();
    const saved = saveState(session.target, session.from, message.session.maxStateBytes);
    r.saveMs = performance.now() - t0;
    let now: RestoredState;
    if (saved.base) {
      stateCache.set(saved.baseLayer);
      r.state = { base: saved.base };
      now = { base: saved.baseLayer };
    } else {
      stateCache.set(saved.deltaLayer);
      r.state = { delta: saved.delta };
      now = { base: session.from!.base, delta: saved.deltaLayer };
    }
    // the instance is that state now: keep it for the session's next call instead of resetting it
    // (within the worker's budget: the oldest parked instance goes first)
    // (its memory and the pages its state keeps outside it)
    const bytes = session.target.memory.buffer.byteLength + now.base.size + (now.delta?.size ?? 0);
    if (bytes <= MAX_PARKED_BYTES) {
      used.delete(session.link.key);
      const digest = (saved.deltaLayer ?? saved.baseLayer)!.digest;
      parked.set(`${session.link.key}|${digest}`, { ready: session.ready, from: now, bytes });
      parkedBytes += bytes;
      while (parked.size > MAX_PARKED || parkedBytes > MAX_PARKED_BYTES) unpark(parked.keys().next().value!);
    }
  } catch (error) {
    // an allocation the executor cannot make is this call's memory_limit, never the worker's end
    const failed =
      error instanceof RangeError
        ? new StateError('memory_limit', `saving the session's state ran out of memory: ${error.message}`)
        : error;
    if (!(failed instanceof StateError)) throw error;
    r.outcome = 'session_state';
    r.error = { kind: failed.kind, message: failed.message };
  }
}

interface SessionRun {
  target: StateTarget;
  from?: RestoredState;
  link: LinkedModule;
  ready: Prepared;
}

/** Whether the program ended with a success record (a JavaScript run that returned, not threw). */
function recordSaysOk(host: WasiPreview1Host): boolean {
  const text = host.resultText();
  if (text === undefined || host.resultTruncated) return false;
  try {
    return (JSON.parse(text) as { ok?: unknown })?.ok === true;
  } catch {
    return false;
  }
}

/** Thrown from a host call that spent the last of the fuel: unwinds the module like a fuel trap. */
class HostFuelExhausted {}

/**
 * What a compiler's dynamic module does in `_start`, done from here so that no module is compiled
 * or instantiated per script: the engine allocates room for the bytecode, the bytecode is copied in
 * (charged as the module's `memory.init` would be), the engine runs it, and its exit code ends the
 * run as `proc_exit` would. Everything the engine returns is checked before it is used.
 */
function runBytecode(
  { exports, memory }: BytecodeEngine,
  bytes: Uint8Array,
  charge: (units: number) => void,
): never {
  charge(1 + (bytes.length >>> FUEL_COSTS.bulkByteShift));
  const at = exports.memory_mcp_alloc(bytes.length) >>> 0;
  // no room (its allocator grows memory, and the cap stops the growth) is the cap's doing; a
  // pointer past the end of its own memory is the engine's fault, a trap
  if (at === 0) throw new BytecodeDoesNotFit(bytes.length);
  if (at + bytes.length > memory.buffer.byteLength) {
    throw new WebAssembly.RuntimeError(
      `memory access out of bounds: the engine placed the script's bytecode at ${at}, past the end of its memory (${memory.buffer.byteLength} bytes)`,
    );
  }
  new Uint8Array(memory.buffer, at, bytes.length).set(bytes);
  throw new ProcExit(exports.memory_mcp_eval_bytecode(at, bytes.length));
}

/** The engine's allocator had no room for the bytecode. */
class BytecodeDoesNotFit {
  constructor(readonly bytes: number) {}
}

interface BytecodeEngine {
  exports: {
    memory_mcp_alloc(size: number): number;
    memory_mcp_eval_bytecode(at: number, length: number): number;
  };
  memory: WebAssembly.Memory;
}

/** What `runBytecode` calls on a linked engine, or undefined when the engine lacks any of it. */
function bytecodeEngineOf(engine: WebAssembly.Instance, memory: unknown): BytecodeEngine | undefined {
  const { memory_mcp_alloc: alloc, memory_mcp_eval_bytecode: evaluate } = engine.exports;
  if (
    !(memory instanceof WebAssembly.Memory) ||
    typeof alloc !== 'function' ||
    typeof evaluate !== 'function'
  ) {
    return undefined;
  }
  return { exports: engine.exports as unknown as BytecodeEngine['exports'], memory };
}

function reply(
  message: RunMessage,
  host: WasiPreview1Host,
  instantiateMs: number,
  runMs: number,
  outcome: RunReply['outcome'],
  error?: RunReply['error'],
): RunReply {
  const r: RunReply = {
    id: message.id,
    outcome,
    stdout: host.stdoutText(),
    stderr: host.stderrText(),
    truncated: host.truncated,
    instantiateMs,
    runMs,
  };
  if (error) r.error = error;
  if (host.fs) {
    const written = host.fs.writtenFiles();
    r.files = written.files;
    if (written.truncated) r.truncated = true;
  }
  const result = host.resultText();
  if (result !== undefined) r.result = result;
  if (host.resultTruncated) r.resultTruncated = true;
  return r;
}

function withMemory(r: RunReply, memory: WebAssembly.Memory | undefined): RunReply {
  if (memory) r.memoryBytes = memory.buffer.byteLength;
  return r;
}

function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Array.isArray(value)) return value.map(toJson);
  return value;
}

// Last thing at load: the pool starts no deadline on this worker before it can run. The compiler
// loads meanwhile, so the first script's deadline does not pay for it.
if (setup.compiler) void loadCompiler().catch(() => {});
port.postMessage({ ready: true });
