import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IsolationLevel } from '@memory-mcp/process-jail';
import {
  type Backend,
  type BackendCapabilities,
  type BackendHealth,
  BackendUnavailableError,
  type CompiledModule,
  CompileError,
  type CompileOptions,
  type Compiler,
  type ExecutionRequest,
  type ExecutionResult,
  emptyResult,
  fuelBudget,
  InvalidRequestError,
  type Limits,
  limitExceeded,
  type RunStats,
  resolveLimits,
  SandboxMetrics,
  validateRequest,
} from '@memory-mcp/sandbox-core';
import { DEFAULT_MAX_TABLE_ELEMENTS } from './binary/cap-tables.js';
import {
  type CompileOutcome,
  PROBE_TIMEOUT_MS,
  TRIVIAL_MODULE,
  type WasmEngineOptions,
} from './engine/wasm-engine.js';
import type { ExecutorConnection } from './executor/executor-connection.js';
import type {
  ExecutorCompiler,
  ExecutorInit,
  ExecutorStats,
  WireRequest,
} from './executor/executor-protocol.js';
import { ExecutorSet } from './executor/executor-set.js';
import { jailedExecutor } from './executor/jailed-executor.js';
import type { ExecutorCommand, SpawnExecutor } from './executor/spawn-executor.js';
import { DEFAULT_FUEL_PER_SECOND } from './fuel/fuel-calibration.js';
import { mapConnectionOutcome } from './host/map-connection-outcome.js';
import { wireRequest } from './host/wire-request.js';
import { ResultChannelRegistry, sha256 } from './result-channel/result-channel-registry.js';
import { stateRefusal, verifiedDigest } from './session/state-header.js';
import { DEFAULT_FS_LIMITS } from './wasi/memory-fs.js';

export interface WasmBackendOptions
  extends Omit<WasmEngineOptions, 'maxConcurrency' | 'warmWorkers' | 'workerCompiler'> {
  /** Executions at once, over all executors. Default 20; keep it at or below the sandbox limiter's. */
  maxConcurrency?: number;
  /** Worker threads each executor starts at once. Default 1. */
  warmWorkers?: number;
  /**
   * Executor processes. Default 2: one executor's death (a V8 fatal error, a kernel kill) ends
   * only the runs it held, about half, while the other keeps serving as the replacement starts.
   */
  executors?: number;
  /** Starts an executor process. Default: `jailedExecutor` at `isolation` (`spawnChildExecutor` runs one unjailed, for tests and trusted code only). */
  spawnExecutor?: SpawnExecutor;
  /** V8 heap cap of each executor process, in MiB (`--max-old-space-size`). Default 1024. */
  executorHeapMb?: number;
  /** Executor script override (bundlers). Default `wasm-executor.js` beside this bundle. */
  executorUrl?: URL;
  /**
   * Past a request's deadline, how long the host waits for its executor's own answer before it
   * ends the request as `timeout` and kills the executor as stuck, in ms. Default 10,000: killing an
   * executor ends every run it holds, so the backstop waits out a loaded machine's slow worker starts
   * (seen at 2 s on a busy 2-core host) and catches only an executor that is really stuck.
   */
  backstopGraceMs?: number;
  /** Largest frame accepted from an executor, in bytes. Default 256 MiB. */
  maxFrameBytes?: number;
  /**
   * Compiles `language: 'javascript'` to WebAssembly in this process (for example
   * `@memory-mcp/javy-compiler`). Prefer `executorCompiler`, which keeps compiling off the host.
   */
  compiler?: Compiler;
  /**
   * A compiler each executor loads and runs itself, so untrusted JavaScript is parsed and compiled
   * off the host, under the request's deadline: `{ module, exportName = 'createCompiler', options }`,
   * with `module` a `file:` URL (for example `import.meta.resolve('@memory-mcp/javy-compiler')`).
   * Used when `compiler` is not given.
   */
  executorCompiler?: ExecutorCompiler;
  /**
   * The walls around each executor when `spawnExecutor` is not given. `namespaces` (default): the
   * process jail with every kernel wall, or no executor at all (the backend then reports itself
   * unhealthy and says why); `permission-model`: the named weaker level for machines without
   * namespaces (clean environment, uid 65534, rlimits).
   */
  isolation?: IsolationLevel;
}

export interface WasmBackendStats extends RunStats {
  poolSize: number;
  busyWorkers: number;
  aliveWorkers: number;
  queued: number;
  /** Worker threads that died, over all executors, past and present. */
  crashes: number;
  recycledWorkers: number;
  cacheHits: number;
  cacheMisses: number;
  cacheEntries: number;
  executors: number;
  /** Executor processes that died or were killed and replaced. */
  executorRestarts: number;
}

/**
 * Runs WebAssembly (WASI preview 1 modules, preview 2 components, WAT, and JavaScript through an
 * injected compiler) in executor processes, never in this one: this process decodes requests,
 * keeps the result-channel registry and talks to executors over a framed channel it parses
 * defensively. Each executor runs worker threads; a dead executor is replaced, its in-flight runs
 * end as `error`, and everything else carries on.
 */
export class WasmBackend implements Backend {
  readonly specificationVersion = 'v1';
  readonly name = 'wasm';
  readonly fuelPerSecond: number;
  readonly #limits: Limits;
  readonly #maxConcurrency: number;
  readonly #maxModuleBytes: number;
  readonly #compiler: Compiler | undefined;
  readonly #channels = new ResultChannelRegistry();
  readonly #metrics = new SandboxMetrics();
  readonly #spawn: SpawnExecutor;
  readonly #command: ExecutorCommand;
  readonly #init: ExecutorInit;
  readonly #graceMs: number;
  readonly #maxFrameBytes: number;
  readonly #healthFreshMs: number;
  readonly #executors: ExecutorSet;
  #closed = false;

  constructor(options: WasmBackendOptions = {}) {
    this.#limits = resolveLimits(options.limits);
    this.#maxConcurrency = Math.max(1, options.maxConcurrency ?? 20);
    const executors = Math.max(1, Math.min(options.executors ?? 2, this.#maxConcurrency));
    this.#maxModuleBytes = options.maxModuleBytes ?? 64 * 1024 * 1024;
    this.fuelPerSecond = options.fuelPerSecond ?? DEFAULT_FUEL_PER_SECOND;
    this.#compiler = options.compiler;
    // Untrusted bytes are only ever touched inside the jail unless the caller supplies its own spawner.
    this.#spawn =
      options.spawnExecutor ??
      jailedExecutor({
        isolation: options.isolation ?? 'namespaces',
        workers: Math.ceil(Math.max(1, options.maxConcurrency ?? 20) / Math.max(1, options.executors ?? 2)),
        ...(options.executorCompiler ? { codePaths: [fileURLToPath(options.executorCompiler.module)] } : {}),
      });
    this.#graceMs = options.backstopGraceMs ?? 10_000;
    this.#maxFrameBytes = options.maxFrameBytes ?? 256 * 1024 * 1024;
    this.#healthFreshMs = options.healthFreshMs ?? 10_000;
    const heapMb = options.executorHeapMb ?? 1024;
    const script = fileURLToPath(options.executorUrl ?? defaultExecutorUrl());
    this.#command = {
      command: process.execPath,
      args: [`--max-old-space-size=${heapMb}`, script],
      env: {},
      heapMb,
    };
    this.#init = {
      type: 'init',
      maxConcurrency: Math.ceil(this.#maxConcurrency / executors),
      warmWorkers: options.warmWorkers ?? 1,
      limits: this.#limits,
      fuelPerSecond: this.fuelPerSecond,
      maxModuleBytes: this.#maxModuleBytes,
      maxTableElements: options.maxTableElements ?? DEFAULT_MAX_TABLE_ELEMENTS,
      fileSystem: { ...DEFAULT_FS_LIMITS, ...options.fileSystem },
      // The compiled-module cache lives on the executor's heap: a quarter of it by default.
      cacheBytes: options.cacheBytes ?? Math.min(256, Math.floor(heapMb / 4)) * 1024 * 1024,
      maxFrameBytes: this.#maxFrameBytes,
      ...(options.workerUrl ? { workerUrl: options.workerUrl.href } : {}),
      ...(options.executorCompiler && !options.compiler ? { compiler: options.executorCompiler } : {}),
    };
    this.#executors = new ExecutorSet({
      count: executors,
      spawn: this.#spawn,
      command: this.#command,
      init: this.#init,
      maxFrameBytes: this.#maxFrameBytes,
    });
  }

  /**
   * Resolves once the executors started with the backend are ready to run (their engine warm), or
   * have died trying: a host can hold back other start-up work (the node backend's warm pool) that
   * would compete with them for the CPU.
   */
  whenStarted(): Promise<void> {
    return this.#executors.started;
  }

  capabilities(): BackendCapabilities {
    return {
      languages: this.#compiler || this.#init.compiler ? ['wasm', 'wat', 'javascript'] : ['wasm', 'wat'],
      isolation: 'wasm',
      networkIsolation: 'no-network-api',
      fuel: true,
      nodeApis: false,
      maxConcurrency: this.#maxConcurrency,
      // a session's state lives in the executors' engine; a compiler in this process has none
      sessions: !this.#compiler && this.#init.compiler !== undefined,
    };
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (this.#closed) throw new BackendUnavailableError('wasm', 'the wasm backend is closed');
    validateRequest(request);
    if (request.session && !this.capabilities().sessions) {
      throw new InvalidRequestError(
        'session',
        "sessions need the executors' JavaScript compiler (executorCompiler, and no compiler in this process)",
      );
    }
    const started = performance.now();
    const limits = resolveLimits(request.limits, this.#limits);
    const restore = request.session?.restore;
    // refused here, before its digest names anything an executor holds
    const refusal = stateRefusal(restore);
    if (refusal) return this.#finish(emptyResult(this.name, 'error', refusal), started);
    const wire = await wireRequest(request, {
      channels: this.#channels,
      maxModuleBytes: this.#maxModuleBytes,
      hostCompiler: this.#compiler,
      executorCompiles: this.#init.compiler !== undefined,
    });
    if ('status' in wire) return this.#finish(wire, started);
    if (wire.compileMs > 0) {
      // The host's compiler spent part of the deadline: the executor gets what is left, and the
      // fuel the whole deadline buys (fuel stays a function of the request, not of the clock).
      const left = Math.floor(limits.timeoutMs - wire.compileMs);
      if (left <= 0) return this.#finish(this.#timeout(limits, wire.compileMs), started, wire.compileMs);
      wire.request.limits = {
        ...wire.request.limits,
        timeoutMs: left,
        fuel: limits.fuel ?? fuelBudget(limits, this.fuelPerSecond),
      };
    }
    // a session's calls go where its base is held (and its last instance may be parked)
    const base = restore?.base;
    const affinity = base ? `state:${verifiedDigest(base)}` : wire.affinity;
    const result = await this.#send(wire.request, affinity, limits, request.signal);
    if (result.status === 'timeout' && result.error?.limit) {
      result.error.limit = { ...result.error.limit, allowed: limits.timeoutMs };
    }
    return this.#finish(result, started, wire.compileMs);
  }

  #timeout(limits: Limits, usedMs: number): ExecutionResult {
    const { status, error } = limitExceeded({
      name: 'timeoutMs',
      allowed: limits.timeoutMs,
      used: Math.round(usedMs),
      message: `compiling the JavaScript took the whole ${limits.timeoutMs} ms deadline`,
    });
    return emptyResult(this.name, status, error);
  }

  async #send(
    request: WireRequest,
    affinity: string,
    limits: Limits,
    signal: AbortSignal | undefined,
  ): Promise<ExecutionResult> {
    const connection = await this.#executors.acquire(affinity, signal);
    if (!connection) return this.#cancelled();
    let { id, outcome } = connection.run(request, limits.timeoutMs + this.#graceMs);
    this.#executors.sent(connection);
    const onAbort = () => connection.cancel(id);
    try {
      signal?.addEventListener('abort', onAbort, { once: true });
      let answer = await outcome;
      if (answer.kind === 'state_missing') {
        // the executor dropped the session's base since the host last sent it: send the bytes
        ({ id, outcome } = connection.run(request, limits.timeoutMs + this.#graceMs, { sendBase: true }));
        answer = await outcome;
      }
      return mapConnectionOutcome(answer, limits);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#executors.done();
    }
  }

  #cancelled(): ExecutionResult {
    return emptyResult(this.name, 'cancelled', {
      kind: 'cancelled',
      message: 'the caller cancelled the execution',
    });
  }

  #finish(result: ExecutionResult, started: number, compileMs = 0): ExecutionResult {
    const { saveMs } = result.timing;
    result.timing = {
      queuedMs: 0,
      compileMs: compileMs + result.timing.compileMs,
      runMs: result.timing.runMs,
      totalMs: performance.now() - started,
      ...(saveMs !== undefined ? { saveMs } : {}),
    };
    this.#metrics.record(result, result.timing.runMs);
    return result;
  }

  stats(): WasmBackendStats {
    const sum = (key: keyof ExecutorStats) => this.#executors.sum(key);
    return {
      ...this.#metrics.runStats(),
      poolSize: this.#maxConcurrency,
      busyWorkers: sum('busyWorkers'),
      aliveWorkers: sum('aliveWorkers'),
      queued: sum('queued') + this.#executors.waiting,
      crashes: sum('crashes'),
      recycledWorkers: sum('recycledWorkers'),
      cacheHits: sum('cacheHits'),
      cacheMisses: sum('cacheMisses'),
      cacheEntries: sum('cacheEntries'),
      executors: this.#executors.connections.length,
      executorRestarts: this.#executors.restarts,
    };
  }

  /** Process ids of the live executors (for operators and tests). */
  executorPids(): number[] {
    return this.#executors.pids();
  }

  /**
   * Healthy while executors start and run a trivial module. What a request does to its own run,
   * its worker or its executor is that request's result and never counts here, so an attacker
   * cannot flip this. A recent answer from every executor vouches; otherwise each silent one
   * runs `(module (func (export "_start")))` as a probe.
   */
  async health(): Promise<BackendHealth> {
    const details = { ...this.stats() } as Record<string, unknown>;
    if (this.#closed) return { healthy: false, message: 'closed', details };
    const now = performance.now();
    // An executor with every worker busy is not probed: the probe would queue behind runs that may
    // rightly take minutes, and its hang guard would then kill the executor with them. Its runs'
    // own backstops catch an executor that is really stuck.
    const silent = this.#executors.connections.filter(
      (c) => now - c.lastAnswerAt >= this.#healthFreshMs && this.#executors.hasFreeWorker(c),
    );
    const failures = await Promise.all(silent.map((c) => this.#probe(c)));
    const failure = failures.find((f) => f !== undefined);
    if (failure) return { healthy: false, message: `cannot run a trivial module: ${failure}`, details };
    return { healthy: true, message: 'ok', details };
  }

  async #probe(connection: ExecutorConnection): Promise<string | undefined> {
    const limits = resolveLimits({ timeoutMs: PROBE_TIMEOUT_MS }, this.#limits);
    const { outcome } = connection.run({ language: 'wasm', code: TRIVIAL_MODULE, limits }, PROBE_TIMEOUT_MS);
    // The probe held a worker: whoever queued behind it gets the executor once it answers.
    const answer = await outcome.finally(() => this.#executors.done());
    if (answer.kind === 'result') {
      return answer.result.status === 'ok' ? undefined : `it ended as ${answer.result.status}`;
    }
    return 'message' in answer ? answer.message : answer.kind;
  }

  /**
   * A `Compiler` that compiles in the executors (jailed, in a worker thread, within a deadline),
   * for an app's `compile_to_wasm`: the source never touches this process. Each module it returns
   * is registered so its result channel is honoured when it runs. Needs `executorCompiler`.
   */
  compiler({
    name = 'memory-mcp-quickjs',
    timeoutMs,
    defaults = {},
  }: {
    /** The name clients see (the executors' compiler's). Default `memory-mcp-quickjs`. */
    name?: string;
    /** Deadline of one compile, in ms. Default: the backend's `timeoutMs`. */
    timeoutMs?: number;
    /** Options each compile starts from, e.g. `{ mode: 'static' }` for modules that are stored. */
    defaults?: CompileOptions;
  } = {}): Compiler {
    return {
      specificationVersion: 'v1',
      name,
      compile: async (source, options) => {
        const outcome = await this.#compileInExecutor(
          source,
          { ...defaults, ...options },
          timeoutMs ?? this.#limits.timeoutMs,
        );
        if (outcome.kind === 'compile_error') throw new CompileError(outcome.message);
        if (outcome.kind === 'failed') {
          if (outcome.status === 'timeout')
            throw new CompileError(`compiling passed its ${timeoutMs ?? this.#limits.timeoutMs} ms deadline`);
          throw new BackendUnavailableError('wasm', `the executor could not compile: ${outcome.message}`);
        }
        this.#channels.register(outcome.compiled);
        return outcome.compiled;
      },
    };
  }

  async #compileInExecutor(
    source: string,
    options: CompileOptions | undefined,
    timeoutMs: number,
  ): Promise<CompileOutcome> {
    if (this.#closed) throw new BackendUnavailableError('wasm', 'the wasm backend is closed');
    if (!this.#init.compiler) {
      return {
        kind: 'failed',
        status: 'error',
        message: 'this wasm backend has no executorCompiler configured',
      };
    }
    const connection = await this.#executors.acquire(sha256(source));
    if (!connection) return { kind: 'failed', status: 'cancelled', message: 'the wasm backend was closed' };
    try {
      const asked = connection.compile(source, options, timeoutMs, timeoutMs + this.#graceMs);
      this.#executors.sent(connection);
      const answer = await asked.outcome;
      if (answer.kind === 'compiled') {
        const { compiled } = answer.outcome.kind === 'compiled' ? answer.outcome : { compiled: undefined };
        if (compiled && compiled.bytes.length > this.#maxModuleBytes) {
          return {
            kind: 'failed',
            status: 'error',
            message: `the compiled module is over ${this.#maxModuleBytes} bytes`,
          };
        }
        return answer.outcome;
      }
      if (answer.kind === 'timeout')
        return { kind: 'failed', status: 'timeout', message: 'the executor did not answer' };
      return { kind: 'failed', status: 'error', message: 'message' in answer ? answer.message : answer.kind };
    } finally {
      this.#executors.done();
    }
  }

  /**
   * Honours the result channel of a module that a trusted compiler produced outside this backend
   * (for example an app's `compile_to_wasm` compiling on the host for storage): registered by the
   * hash of its bytes, which the backend computes, with its engine hash. Bytes from anywhere else
   * keep running without a channel.
   */
  trustCompiledModule(compiled: CompiledModule): void {
    this.#channels.register(compiled);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#executors.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Resolves the executor script beside this bundle; from sources (tests) it uses the built one. */
function defaultExecutorUrl(): URL {
  const beside = new URL('./wasm-executor.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../dist/wasm-executor.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new BackendUnavailableError(
    'wasm',
    'wasm-executor.js not found: build the package first (pnpm build)',
  );
}
