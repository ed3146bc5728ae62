import { createHash } from 'node:crypto';
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
} from '@memory-mcp/sandbox-core';
import { DEFAULT_MAX_TABLE_ELEMENTS } from './binary/cap-tables.js';
import {
  type CompileOutcome,
  PROBE_TIMEOUT_MS,
  TRIVIAL_MODULE,
  type WasmEngineOptions,
} from './engine/wasm-engine.js';
import { type ConnectionOutcome, ExecutorConnection } from './executor/executor-connection.js';
import type {
  ExecutorCompiler,
  ExecutorInit,
  ExecutorStats,
  WireRequest,
} from './executor/executor-protocol.js';
import { jailedExecutor } from './executor/jailed-executor.js';
import type { ExecutorCommand, SpawnExecutor } from './executor/spawn-executor.js';
import { DEFAULT_FUEL_PER_SECOND } from './fuel/fuel-calibration.js';
import { ResultChannelRegistry, sha256 } from './result-channel/result-channel-registry.js';
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

const STAT_TOTALS = ['crashes', 'recycledWorkers', 'cacheHits', 'cacheMisses'] as const;

interface Waiter {
  affinity: string;
  resolve: (connection: ExecutorConnection | undefined) => void;
}

/** Wait before replacing an executor that died before it was ready. */
const RESPAWN_DELAY_MS = 1000;

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
  readonly #connections: ExecutorConnection[] = [];
  readonly #waiting: Waiter[] = [];
  /** Runs handed to a connection but not yet sent (between a waiter's wake-up and its `run`). */
  readonly #reserved = new Map<ExecutorConnection, number>();
  /** Counters of executors that are gone, so totals survive a restart. */
  readonly #retired: Record<(typeof STAT_TOTALS)[number], number> = {
    crashes: 0,
    recycledWorkers: 0,
    cacheHits: 0,
    cacheMisses: 0,
  };
  #restarts = 0;
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
      ...(options.cacheBytes !== undefined ? { cacheBytes: options.cacheBytes } : {}),
      ...(options.workerUrl ? { workerUrl: options.workerUrl.href } : {}),
      ...(options.executorCompiler && !options.compiler ? { compiler: options.executorCompiler } : {}),
    };
    for (let i = 0; i < executors; i++) this.#connections.push(this.#connect());
  }

  capabilities(): BackendCapabilities {
    return {
      languages: this.#compiler || this.#init.compiler ? ['wasm', 'wat', 'javascript'] : ['wasm', 'wat'],
      isolation: 'wasm',
      networkIsolation: 'no-network-api',
      fuel: true,
      nodeApis: false,
      maxConcurrency: this.#maxConcurrency,
    };
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (this.#closed) throw new BackendUnavailableError('wasm', 'the wasm backend is closed');
    const started = performance.now();
    const limits = resolveLimits(request.limits, this.#limits);
    const wire = await this.#wireRequest(request, started);
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
    const result = await this.#send(wire.request, wire.affinity, limits, request.signal);
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

  /**
   * Turns a request into what an executor runs, without reading the module: WAT stays text,
   * module bytes are only decoded from base64 and hashed. JavaScript is compiled here by the
   * injected compiler, and only its output may open a result channel.
   */
  async #wireRequest(
    request: ExecutionRequest,
    started: number,
  ): Promise<{ request: WireRequest; affinity: string; compileMs: number } | ExecutionResult> {
    // Only this backend may say what the executor trusts (a vouched channel, a precompiled module,
    // a hash): such fields on a caller's request object are dropped, never forwarded.
    const { signal: _signal, ...rest } = request;
    const { compiled: _c, resultFd: _r, bytesHash: _h, ...plain } = rest as WireRequest;
    if (request.language === 'wat') {
      if (typeof request.code !== 'string') throw new InvalidRequestError('code', 'WAT must be text');
      return { request: plain, affinity: request.code.slice(0, 256), compileMs: 0 };
    }
    if (request.language === 'wasm') {
      const bytes = typeof request.code === 'string' ? await decodeBase64(request.code) : request.code;
      if (!(bytes instanceof Uint8Array))
        throw new InvalidRequestError('code', 'a wasm module must be bytes or base64');
      if (bytes.length > this.#maxModuleBytes) {
        throw new InvalidRequestError(
          'code',
          `module is ${bytes.length} bytes; the limit is ${this.#maxModuleBytes}`,
        );
      }
      const hash = await digest(bytes);
      const fd = this.#channels.fdFor(hash);
      return {
        // The executor trusts this hash for its cache key, so it never hashes 12 MB on its own thread.
        request: { ...plain, code: bytes, bytesHash: hash, ...(fd !== undefined ? { resultFd: fd } : {}) },
        affinity: hash,
        compileMs: 0,
      };
    }
    if (request.language === 'javascript' && !this.#compiler && this.#init.compiler) {
      if (typeof request.code !== 'string')
        throw new InvalidRequestError('code', 'JavaScript must be source text');
      // Compiled in the executor: the host only hashes the source to pick a warm executor.
      return { request: plain, affinity: sha256(request.code), compileMs: 0 };
    }
    if (request.language === 'javascript') {
      if (!this.#compiler) {
        throw new InvalidRequestError(
          'language',
          'this wasm backend has no JavaScript compiler configured; run JavaScript on the node backend',
        );
      }
      if (typeof request.code !== 'string')
        throw new InvalidRequestError('code', 'JavaScript must be source text');
      let compiled: Awaited<ReturnType<Compiler['compile']>>;
      try {
        compiled = await this.#compiler.compile(request.code);
      } catch (error) {
        if (!CompileError.isInstance(error)) throw error;
        const result = emptyResult(this.name, 'error', { kind: 'SyntaxError', message: error.message });
        result.timing.compileMs = performance.now() - started;
        return result;
      }
      const hash = this.#channels.register(compiled, await digest(compiled.bytes));
      const fd = this.#channels.fdFor(hash, compiled.engine.hash);
      return {
        request: {
          ...plain,
          language: 'wasm',
          code: new Uint8Array(0),
          compiled: {
            bytes: compiled.bytes,
            ...(compiled.imports ? { imports: compiled.imports } : {}),
            ...(fd !== undefined ? { resultFd: fd } : {}),
          },
        },
        affinity: hash,
        compileMs: performance.now() - started,
      };
    }
    throw new InvalidRequestError(
      'language',
      `the wasm backend runs wasm, wat and javascript, not ${request.language}`,
    );
  }

  async #send(
    request: WireRequest,
    affinity: string,
    limits: Limits,
    signal: AbortSignal | undefined,
  ): Promise<ExecutionResult> {
    if (signal?.aborted) return this.#cancelled();
    const connection = this.#pick(affinity) ?? (await this.#wait(affinity, signal));
    if (!connection) return this.#cancelled();
    this.#release(connection);
    const { id, outcome } = connection.run(request, limits.timeoutMs + this.#graceMs);
    const onAbort = () => connection.cancel(id);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return this.#toResult(await outcome, limits);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#drain();
    }
  }

  /**
   * Waits, in this process, for an executor with a free worker: an executor is only sent as many
   * runs as it has workers, so its deadlines (and the host's backstop) never pay for a queue.
   */
  #wait(affinity: string, signal: AbortSignal | undefined): Promise<ExecutorConnection | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = { affinity, resolve };
      this.#waiting.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const at = this.#waiting.indexOf(waiter);
          if (at >= 0) this.#waiting.splice(at, 1);
          resolve(undefined);
        },
        { once: true },
      );
    });
  }

  /** Hands free executors to waiting requests, oldest first. */
  #drain(): void {
    while (this.#waiting.length > 0) {
      const connection = this.#pick(this.#waiting[0]!.affinity);
      if (!connection) return;
      const waiter = this.#waiting.shift()!;
      this.#reserved.set(connection, (this.#reserved.get(connection) ?? 0) + 1);
      waiter.resolve(connection);
    }
  }

  /** The handed-over run is now the connection's own load. */
  #release(connection: ExecutorConnection): void {
    const reserved = this.#reserved.get(connection) ?? 0;
    if (reserved > 0) this.#reserved.set(connection, reserved - 1);
  }

  #toResult(outcome: ConnectionOutcome, limits: Limits): ExecutionResult {
    switch (outcome.kind) {
      case 'result':
        return withinLimits(outcome.result, limits)
          ? outcome.result
          : emptyResult(this.name, 'error', {
              kind: 'executor_error',
              message: "the executor's answer carries more output than the request's limits allow",
            });
      case 'invalid':
        throw new InvalidRequestError(outcome.field, outcome.message);
      case 'failed':
        return emptyResult(this.name, 'error', { kind: 'executor_error', message: outcome.message });
      case 'lost':
        // The executor ran out of memory: every run it held ends as memory_limit, and the message
        // says the run shared the executor with others (any of them may have been the cause).
        if (outcome.outOfMemory) {
          const { status, error } = limitExceeded({
            name: 'memoryBytes',
            allowed: limits.memoryBytes,
            message: `the executor running this and ${Math.max(0, (outcome.heldRuns ?? 1) - 1)} other run(s) ran out of memory and was replaced: ${outcome.message}`,
          });
          return emptyResult(this.name, status, error);
        }
        return emptyResult(this.name, 'error', {
          kind: 'executor_crash',
          message: `${outcome.message}; a fresh executor has taken over`,
        });
      case 'compiled':
        return emptyResult(this.name, 'error', {
          kind: 'executor_error',
          message: 'the executor answered a run with a compile outcome',
        });
      case 'timeout': {
        const { status, error } = limitExceeded({
          name: 'timeoutMs',
          allowed: limits.timeoutMs,
          used: Math.round(outcome.elapsedMs),
          message: `execution passed its ${limits.timeoutMs} ms deadline and its executor did not stop it; the executor was replaced`,
        });
        return emptyResult(this.name, status, error);
      }
    }
  }

  #cancelled(): ExecutionResult {
    return emptyResult(this.name, 'cancelled', {
      kind: 'cancelled',
      message: 'the caller cancelled the execution',
    });
  }

  /**
   * The executor for a request: the one its module hashes to (so its compiled-module cache is
   * warm), unless that one is busier than the least busy by more than two runs.
   */
  #pick(affinity: string): ExecutorConnection | undefined {
    const busy = (c: ExecutorConnection) => c.load + (this.#reserved.get(c) ?? 0);
    let least: ExecutorConnection | undefined;
    for (const c of this.#connections) if (!least || busy(c) < busy(least)) least = c;
    if (!least || busy(least) >= this.#init.maxConcurrency) return undefined;
    const preferred = this.#connections[hashIndex(affinity, this.#connections.length)]!;
    return busy(preferred) < this.#init.maxConcurrency && busy(preferred) <= busy(least) + 2
      ? preferred
      : least;
  }

  #connect(): ExecutorConnection {
    return new ExecutorConnection({
      spawn: this.#spawn,
      command: this.#command,
      init: this.#init,
      maxFrameBytes: this.#maxFrameBytes,
      onDead: (dead) => this.#replace(dead),
    });
  }

  #replace(dead: ExecutorConnection): void {
    const index = this.#connections.indexOf(dead);
    if (index < 0) return;
    for (const key of STAT_TOTALS) this.#retired[key] += dead.stats?.[key] ?? 0;
    if (this.#closed) return;
    this.#restarts++;
    if (dead.ready) {
      this.#connections[index] = this.#connect();
      this.#drain();
      return;
    }
    // It died before it was ready (a broken install, a jail that refuses it): wait before trying
    // again rather than spin; meanwhile requests sent to it end at once with why it died.
    const retry = setTimeout(() => {
      if (this.#closed || this.#connections[index] !== dead) return;
      this.#connections[index] = this.#connect();
      this.#drain();
    }, RESPAWN_DELAY_MS);
    retry.unref();
  }

  #finish(result: ExecutionResult, started: number, compileMs = 0): ExecutionResult {
    result.timing = {
      queuedMs: 0,
      compileMs: compileMs + result.timing.compileMs,
      runMs: result.timing.runMs,
      totalMs: performance.now() - started,
    };
    this.#metrics.record(result, result.timing.runMs);
    return result;
  }

  stats(): WasmBackendStats {
    const sum = (key: keyof ExecutorStats) =>
      this.#connections.reduce((n, c) => n + (c.stats?.[key] ?? 0), 0);
    return {
      ...this.#metrics.runStats(),
      poolSize: this.#maxConcurrency,
      busyWorkers: sum('busyWorkers'),
      aliveWorkers: sum('aliveWorkers'),
      queued: sum('queued') + this.#waiting.length,
      crashes: sum('crashes') + this.#retired.crashes,
      recycledWorkers: sum('recycledWorkers') + this.#retired.recycledWorkers,
      cacheHits: sum('cacheHits') + this.#retired.cacheHits,
      cacheMisses: sum('cacheMisses') + this.#retired.cacheMisses,
      cacheEntries: sum('cacheEntries'),
      executors: this.#connections.length,
      executorRestarts: this.#restarts,
    };
  }

  /** Process ids of the live executors (for operators and tests). */
  executorPids(): number[] {
    return this.#connections.flatMap((c) => (c.pid !== undefined && c.alive ? [c.pid] : []));
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
    const silent = this.#connections.filter((c) => now - c.lastAnswerAt >= this.#healthFreshMs);
    const failures = await Promise.all(silent.map((c) => this.#probe(c)));
    const failure = failures.find((f) => f !== undefined);
    if (failure) return { healthy: false, message: `cannot run a trivial module: ${failure}`, details };
    return { healthy: true, message: 'ok', details };
  }

  async #probe(connection: ExecutorConnection): Promise<string | undefined> {
    const limits = resolveLimits({ timeoutMs: PROBE_TIMEOUT_MS }, this.#limits);
    const { outcome } = connection.run({ language: 'wasm', code: TRIVIAL_MODULE, limits }, PROBE_TIMEOUT_MS);
    // The probe held a worker: whoever queued behind it gets the executor once it answers.
    const answer = await outcome.finally(() => this.#drain());
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
    const connection = this.#pick(sha256(source)) ?? (await this.#wait(sha256(source), undefined));
    if (!connection) return { kind: 'failed', status: 'cancelled', message: 'the wasm backend was closed' };
    this.#release(connection);
    try {
      const answer = await connection.compile(source, options, timeoutMs, timeoutMs + this.#graceMs).outcome;
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
      this.#drain();
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
    for (const waiter of this.#waiting.splice(0)) waiter.resolve(undefined);
    for (const connection of this.#connections) connection.kill('the wasm backend was closed');
    await Promise.all(this.#connections.map((c) => c.exited));
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

/**
 * An executor is trusted to enforce the output caps, but checked anyway: an answer larger than the
 * request allows is refused rather than passed on.
 */
function withinLimits(result: ExecutionResult, limits: Limits): boolean {
  const output = Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr);
  const files = Object.values(result.files ?? {}).reduce((n, f) => n + f.length, 0);
  return output <= limits.maxOutputBytes && files <= limits.maxOutputBytes;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Host work on a large module is done in slices with a turn of the event loop between them, so a
 * 12 MB module never holds the loop for more than about a millisecond at a time.
 */
const SLICE_BYTES = 256 * 1024;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function decodeBase64(text: string): Promise<Uint8Array> {
  const compact = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  if (compact.length % 4 !== 0)
    throw new InvalidRequestError('code', 'a wasm module given as a string must be base64');
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  const out = Buffer.allocUnsafe((compact.length / 4) * 3 - padding);
  let written = 0;
  for (let at = 0; at < compact.length; at += SLICE_BYTES) {
    const slice = compact.slice(at, at + SLICE_BYTES);
    const last = at + SLICE_BYTES >= compact.length;
    if (!BASE64.test(slice) || (!last && slice.includes('='))) {
      throw new InvalidRequestError('code', 'a wasm module given as a string must be base64');
    }
    written += out.write(slice, written, 'base64');
    if (!last) await yieldToLoop();
  }
  return new Uint8Array(out.buffer, out.byteOffset, written);
}

async function digest(bytes: Uint8Array): Promise<string> {
  if (bytes.length <= SLICE_BYTES) return sha256(bytes);
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
    hash.update(bytes.subarray(at, at + SLICE_BYTES));
    await yieldToLoop();
  }
  return hash.digest('hex');
}

function hashIndex(key: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i += Math.max(1, key.length >> 6))
    h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % n;
}
