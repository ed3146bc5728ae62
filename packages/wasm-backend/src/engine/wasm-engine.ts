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
  LruCache,
  type RunStats,
  resolveLimits,
  resolvePolicy,
  SandboxMetrics,
  validateRequest,
} from '@memory-mcp/sandbox-core';
import { PAGE_BYTES } from '@memory-mcp/wasm-binary';
import { DEFAULT_MAX_TABLE_ELEMENTS } from '../binary/cap-tables.js';
import type { PreparedComponent } from '../component/component-pipeline.js';
import { DEFAULT_FUEL_PER_SECOND } from '../fuel/fuel-calibration.js';
import { type PoolOutcome, WorkerPool } from '../pool/worker-pool.js';
import type {
  LinkedModule,
  Prepared,
  PrepareReply,
  PrepareSource,
  RunReply,
  WorkerMessage,
  WorkerSetup,
} from '../pool/worker-protocol.js';
import { ResultChannelRegistry, sha256 } from '../result-channel/result-channel-registry.js';
import { stateRefusal } from '../session/state-header.js';
import { DEFAULT_FS_LIMITS, type FsLimits } from '../wasi/memory-fs.js';
import { capPagesFor } from './cap-pages.js';
import { mapOutcome } from './map-outcome.js';
import { moduleCacheKey } from './module-cache-key.js';
import type { PreparedModule } from './module-pipeline.js';
import { isComponent } from './prepare-module.js';
import {
  type PlanContext,
  planBytecodeRun,
  planComponentRun,
  planModuleRun,
  refuseModule,
} from './run-plan.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** `(module (func (export "_start")))`: what the health probe runs. */
export const TRIVIAL_MODULE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 10, 1, 6, 95, 115, 116, 97, 114, 116, 0, 0,
  10, 4, 1, 2, 0, 11,
]);
/** A hang guard for the probe, not a speed requirement. */
export const PROBE_TIMEOUT_MS = 10_000;

/** Largest saved session state by default (compressed bytes), when a request names no cap. */
export const DEFAULT_MAX_STATE_BYTES = 64 * 1024 * 1024;

/** Linked modules (a compiler's engine, per memory cap) kept apart from the LRU: few, and hot. */
const MAX_LINKS = 32;

export interface WasmEngineOptions {
  /** Workers (executions at once). Default 20; keep it at or below the sandbox limiter's. */
  maxConcurrency?: number;
  /** Workers started at construction. Default 2. */
  warmWorkers?: number;
  /** Limits applied where a request gives none. Memory defaults to 128 MiB. */
  limits?: Partial<Limits>;
  /**
   * Fuel granted per second of `timeoutMs` when a request gives no `limits.fuel`.
   * Default: `DEFAULT_FUEL_PER_SECOND`, calibrated so fuel, not the clock, stops a runaway loop.
   */
  fuelPerSecond?: number;
  /** Compiled-module cache budget in bytes of module code. Default 256 MiB. */
  cacheBytes?: number;
  /** Largest module accepted, in bytes. Default 64 MiB. */
  maxModuleBytes?: number;
  /**
   * Table elements a module may hold, all its tables together (each core module of a component on
   * its own). Table maxima are rewritten to stay within it; a module whose initial tables are over
   * it ends as `memory_limit` before instantiation. Default 1,000,000 (`DEFAULT_MAX_TABLE_ELEMENTS`).
   */
  maxTableElements?: number;
  /** Caps on the in-memory filesystem of one run (`policy.allowFilesystem`). */
  fileSystem?: Partial<FsLimits>;
  /**
   * How long a worker's last answer vouches for health, in ms; older than that, `health()` runs a
   * trivial module to check. Default 10,000.
   */
  healthFreshMs?: number;
  /** Worker script override (bundlers). */
  workerUrl?: URL;
  /**
   * A compiler each worker thread loads (`{ module, exportName = 'createCompiler', options }`, with
   * `module` a `file:` URL): `language: 'javascript'` is compiled in a worker, under the request's
   * deadline. Preferred over `compiler`.
   */
  workerCompiler?: WorkerSetup['compiler'];
  /**
   * Compiles `language: 'javascript'` on the engine's own thread (trusted callers and tests; a
   * compile that does not end holds that thread). Only modules it returns may open a result channel.
   */
  compiler?: Compiler;
}

/** A module the host's compiler produced, with what it links and the channel the host vouches for. */
export interface PrecompiledModule {
  bytes: Uint8Array;
  imports?: Record<string, Uint8Array>;
  resultFd?: number;
}

/**
 * What the engine runs: a request, plus what only the host may say. `compiled` carries a module
 * the host's compiler produced; `resultFd` is the channel for request bytes the host recognised as
 * such a module; `bytesHash` is the SHA-256 the host computed over the module bytes. None of them
 * ever comes from a request.
 */
export interface EngineRequest extends ExecutionRequest {
  compiled?: PrecompiledModule;
  resultFd?: number;
  bytesHash?: string;
}

type CachedModule = PreparedModule & { key: string };

/**
 * A script's compile and preparation, cached by its source: the same script is compiled once. It
 * runs as its compiled module (`main`) or, when the compiler gave it, as bytecode handed straight
 * to the linked engine (`direct`).
 */
interface PreparedScript {
  main?: CachedModule;
  direct?: { link: string; bytecode: Uint8Array };
  links: Array<{ name: string; key: string }>;
  resultFd?: number;
}

export interface WasmEngineStats extends RunStats {
  poolSize: number;
  busyWorkers: number;
  aliveWorkers: number;
  queued: number;
  crashes: number;
  recycledWorkers: number;
  cacheHits: number;
  cacheMisses: number;
  cacheEntries: number;
}

/**
 * Runs WebAssembly (core modules with WASI preview 1, WAT text, components, JavaScript through a
 * compiler) in a pool of worker threads. This thread only routes and caches: every step that reads
 * untrusted bytes or source runs in a worker, under the request's deadline, and each run gets a
 * fresh instance and a fresh in-memory WASI host. Limits are mechanisms: memory and table maxima
 * are rewritten to the caps, fuel is metered, and a worker past its deadline is terminated.
 */
export class WasmEngine implements Backend {
  readonly specificationVersion = 'v1';
  readonly name = 'wasm';
  readonly #pool: WorkerPool;
  readonly #limits: Limits;
  readonly #modules: LruCache<CachedModule>;
  readonly #components: LruCache<PreparedComponent>;
  readonly #scripts: LruCache<PreparedScript>;
  readonly #links = new Map<string, CachedModule>();
  readonly #maxModuleBytes: number;
  readonly #maxTableElements: number;
  readonly #fsLimits: FsLimits;
  readonly fuelPerSecond: number;
  readonly #hashes = new WeakMap<Uint8Array, string>();
  readonly #healthFreshMs: number;
  readonly #metrics = new SandboxMetrics();
  readonly #compiler: Compiler | undefined;
  readonly #workerCompiler: boolean;
  readonly #channels = new ResultChannelRegistry();
  #closed = false;

  constructor(options: WasmEngineOptions = {}) {
    const size = options.maxConcurrency ?? 20;
    this.#pool = new WorkerPool({
      size,
      warm: options.warmWorkers ?? 2,
      ...(options.workerUrl ? { workerUrl: options.workerUrl } : {}),
      ...(options.workerCompiler ? { setup: { compiler: options.workerCompiler } } : {}),
    });
    this.#limits = resolveLimits(options.limits);
    const cacheBytes = options.cacheBytes ?? 256 * 1024 * 1024;
    this.#modules = new LruCache(cacheBytes);
    this.#components = new LruCache(cacheBytes);
    this.#scripts = new LruCache(64 * 1024 * 1024);
    this.#maxModuleBytes = options.maxModuleBytes ?? 64 * 1024 * 1024;
    this.#maxTableElements = options.maxTableElements ?? DEFAULT_MAX_TABLE_ELEMENTS;
    this.#fsLimits = { ...DEFAULT_FS_LIMITS, ...options.fileSystem };
    this.fuelPerSecond = options.fuelPerSecond ?? DEFAULT_FUEL_PER_SECOND;
    this.#healthFreshMs = options.healthFreshMs ?? 10_000;
    this.#compiler = options.compiler;
    this.#workerCompiler = options.workerCompiler !== undefined;
  }

  capabilities(): BackendCapabilities {
    return {
      languages: this.#compiler || this.#workerCompiler ? ['wasm', 'wat', 'javascript'] : ['wasm', 'wat'],
      isolation: 'wasm',
      networkIsolation: 'no-network-api',
      fuel: true,
      nodeApis: false,
      maxConcurrency: this.#pool.size,
      sessions: this.#workerCompiler,
    };
  }

  async execute(request: EngineRequest): Promise<ExecutionResult> {
    if (this.#closed) throw new BackendUnavailableError('wasm', 'the wasm backend is closed');
    validateRequest(request);
    const started = performance.now();
    const limits = resolveLimits(request.limits, this.#limits);
    const ctx: PlanContext = {
      backend: this.name,
      limits,
      policy: resolvePolicy(request.policy),
      fuel: fuelBudget(limits, this.fuelPerSecond),
      maxTableElements: this.#maxTableElements,
      fsLimits: this.#fsLimits,
    };
    const run = { request, ctx, started, capPages: capPagesFor(limits.memoryBytes) };
    if (request.session && (request.language !== 'javascript' || request.compiled || !this.#workerCompiler)) {
      throw new InvalidRequestError(
        'session',
        "sessions hold JavaScript state and need the executors' compiler: run JavaScript source in them",
      );
    }
    // checked here, before a digest names a cached layer or a parked instance in any worker
    const refusal = stateRefusal(request.session?.restore);
    if (refusal) return this.#finish(emptyResult(this.name, 'error', refusal), started);
    if (request.compiled) return this.#finish(await this.#runCompiled(run, request.compiled), started);
    switch (request.language) {
      case 'javascript':
        return this.#finish(await this.#runScript(run), started);
      case 'wat': {
        if (typeof request.code !== 'string') throw new InvalidRequestError('code', 'WAT must be text');
        const key = moduleCacheKey(`wat-${sha256(request.code)}`, run.capPages);
        return this.#finish(await this.#runModule(run, key, { kind: 'wat', text: request.code }), started);
      }
      case 'wasm': {
        const bytes = this.#moduleBytes(request);
        const hash = request.bytesHash ?? this.#hash(bytes);
        if (isComponent(bytes)) return this.#finish(await this.#runComponent(run, bytes, hash), started);
        const fd = request.resultFd ?? this.#channels.fdFor(hash);
        const key = moduleCacheKey(hash, run.capPages);
        return this.#finish(await this.#runModule(run, key, { kind: 'wasm', bytes }, fd), started);
      }
      default:
        throw new InvalidRequestError(
          'language',
          `the wasm backend runs wasm, wat and javascript, not ${request.language}`,
        );
    }
  }

  /** A core module from the cache, else prepared by a worker; then run. */
  async #runModule(run: RunContext, key: string, source: PrepareSource, resultFd?: number) {
    const prepared = await this.#cachedModule(run, key, source);
    if (!('key' in prepared)) return prepared;
    const refused = refuseModule(prepared, run.ctx, { module: 'module' });
    if (refused) return refused;
    const message = planModuleRun(run.request, prepared, run.ctx, resultFd);
    return this.#runJob(run, message);
  }

  async #cachedModule(
    run: RunContext,
    key: string,
    source: PrepareSource,
  ): Promise<CachedModule | ExecutionResult> {
    const cached = this.#modules.get(key);
    if (cached) return cached;
    const prepared = await this.#prepare(run, source);
    if ('status' in prepared) return prepared;
    if (prepared.kind !== 'module') return this.#brokenWorker();
    const entry = { ...prepared.module, key };
    this.#modules.set(key, entry, cachedSize(entry));
    return entry;
  }

  async #runComponent(run: RunContext, bytes: Uint8Array, hash: string): Promise<ExecutionResult> {
    if (run.request.entry)
      throw new InvalidRequestError(
        'entry',
        'components run as wasi:cli/run commands; entry is not supported',
      );
    const key = moduleCacheKey(hash, run.capPages);
    let component = this.#components.get(key);
    if (!component) {
      const prepared = await this.#prepare(run, { kind: 'component', bytes });
      if ('status' in prepared) return prepared;
      if (prepared.kind !== 'component') return this.#brokenWorker();
      component = prepared.component;
      this.#components.set(key, component, component.size);
    }
    const refused = refuseModule(component, run.ctx, {
      module: 'component',
      memory: `a core module's initial memory (${component.minPages} pages) is over the ${run.ctx.limits.memoryBytes}-byte cap`,
    });
    return refused ?? this.#runJob(run, planComponentRun(run.request, component, run.ctx));
  }

  /** JavaScript: compiled and prepared by a worker (or this thread's compiler), then run. */
  async #runScript(run: RunContext): Promise<ExecutionResult> {
    const { request } = run;
    if (typeof request.code !== 'string')
      throw new InvalidRequestError('code', 'JavaScript must be source text');
    if (this.#compiler) return this.#compileHere(run, this.#compiler, request.code);
    if (!this.#workerCompiler) {
      throw new InvalidRequestError('language', 'this wasm backend has no JavaScript compiler configured');
    }
    const key = `js-${sha256(request.code)}:${run.capPages}`;
    let script = this.#scripts.get(key);
    if (!script || script.links.some((link) => !this.#links.has(link.key))) {
      const prepared = await this.#prepare(run, {
        kind: 'javascript',
        source: request.code,
        knownLinks: [...this.#links.keys()],
      });
      if ('status' in prepared) return prepared;
      if (prepared.kind !== 'javascript') return this.#brokenWorker();
      for (const link of prepared.links) {
        if (link.prepared) this.#keepLink({ ...link.prepared, key: link.key });
        else if (!this.#links.has(link.key)) return this.#brokenWorker();
      }
      const resultFd = this.#channels.fdFor(
        this.#channels.registerChannel(prepared.bytesHash, prepared.engineHash, prepared.resultFd),
        prepared.engineHash,
      );
      const linkNames = prepared.links.map((l) => l.name);
      const { main, direct } = prepared;
      if (!main === !direct || (direct && !linkNames.includes(direct.link))) return this.#brokenWorker();
      script = {
        ...(main
          ? { main: { ...main, key: moduleCacheKey(prepared.bytesHash, run.capPages, linkNames) } }
          : {}),
        ...(direct ? { direct } : {}),
        links: prepared.links.map(({ name, key: linkKey }) => ({ name, key: linkKey })),
        ...(resultFd !== undefined ? { resultFd } : {}),
      };
      const size = main ? main.codeBytes : direct!.bytecode.length;
      this.#scripts.set(key, script, size + request.code.length);
    }
    const links = script.links.map(({ name, key: linkKey }) => ({ name, module: this.#links.get(linkKey)! }));
    return this.#runLinked(run, script.main ?? script.direct!, links, script.resultFd);
  }

  /** A trusted in-thread compiler (library use): compile here, then run like the host's modules. */
  async #compileHere(run: RunContext, compiler: Compiler, source: string): Promise<ExecutionResult> {
    let compiled: CompiledModule;
    try {
      compiled = await compiler.compile(source);
    } catch (error) {
      if (!CompileError.isInstance(error)) throw error;
      return emptyResult(this.name, 'error', { kind: 'SyntaxError', message: error.message });
    }
    const hash = this.#channels.register(compiled, this.#hash(compiled.bytes));
    const fd = this.#channels.fdFor(hash, compiled.engine.hash);
    return this.#runCompiled(run, {
      bytes: compiled.bytes,
      ...(compiled.imports ? { imports: compiled.imports } : {}),
      ...(fd !== undefined ? { resultFd: fd } : {}),
    });
  }

  /**
   * Runs what a trusted compiler produced: the main module, the modules it links (a dynamic
   * module's engine) and the result channel vouched for.
   */
  async #runCompiled(run: RunContext, compiled: PrecompiledModule): Promise<ExecutionResult> {
    const linkNames = Object.keys(compiled.imports ?? {});
    const links: Array<{ name: string; module: CachedModule }> = [];
    for (const [name, bytes] of Object.entries(compiled.imports ?? {})) {
      const key = moduleCacheKey(this.#hash(bytes), run.capPages);
      const link = this.#links.get(key) ?? (await this.#cachedModule(run, key, { kind: 'wasm', bytes }));
      if (!('key' in link)) return link;
      this.#keepLink(link);
      links.push({ name, module: link });
    }
    const key = moduleCacheKey(this.#hash(compiled.bytes), run.capPages, linkNames);
    const main = await this.#cachedModule(run, key, { kind: 'wasm', bytes: compiled.bytes, linkNames });
    if (!('key' in main)) return main;
    return this.#runLinked(run, main, links, compiled.resultFd);
  }

  /** Runs a main module, or a compiler's bytecode (`direct`), with the modules it links. */
  async #runLinked(
    run: RunContext,
    main: CachedModule | { link: string; bytecode: Uint8Array },
    links: Array<{ name: string; module: CachedModule }>,
    resultFd: number | undefined,
  ): Promise<ExecutionResult> {
    const module = 'key' in main ? main : undefined;
    const minPages = Math.max(module?.minPages ?? 0, ...links.map((l) => l.module.minPages));
    const refused = refuseModule(
      {
        minPages,
        tableElements: Math.max(module?.tableElements ?? 0, ...links.map((l) => l.module.tableElements)),
        missingImports: [...(module?.missingImports ?? []), ...links.flatMap((l) => l.module.missingImports)],
      },
      run.ctx,
      {
        module: 'module',
        memory: `the JavaScript engine needs ${minPages * PAGE_BYTES} bytes of memory to start; the cap is ${run.ctx.limits.memoryBytes}`,
      },
    );
    if (refused) return refused;
    const { compiled: _, ...plain } = run.request;
    const request = { ...plain, language: 'wasm', entry: undefined };
    const message = module
      ? planModuleRun(request, module, run.ctx, resultFd)
      : planBytecodeRun(request, main as { link: string; bytecode: Uint8Array }, run.ctx, resultFd);
    const session = run.request.session;
    if (session) {
      message.session = {
        save: session.save === true,
        maxStateBytes: session.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES,
        ...(session.restore
          ? {
              restore: {
                base: session.restore.base,
                ...(session.restore.delta ? { delta: session.restore.delta } : {}),
              },
            }
          : {}),
      };
    }
    if (links.length > 0) {
      message.links = links.map(
        ({ name, module }): LinkedModule => ({
          name,
          key: module.key,
          ...(module.module ? { module: module.module } : {}),
          wasiImports: module.wasiImports,
          hasStart: module.hasStart,
          ...(module.memoryExport ? { memoryExport: module.memoryExport } : {}),
          ...(module.resettable ? { resettable: true } : {}),
        }),
      );
    }
    return this.#runJob(run, message);
  }

  /**
   * Compiles JavaScript for storage (an app's `compile_to_wasm`) with the workers' compiler: the
   * source is parsed in a worker thread, under `timeoutMs`, like a script that runs. Never throws
   * for what the source does: a compile error, a deadline or a crash is the outcome's `kind`.
   */
  async compile(
    source: string,
    options: CompileOptions = {},
    { timeoutMs, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<CompileOutcome> {
    if (this.#closed) throw new BackendUnavailableError('wasm', 'the wasm backend is closed');
    if (!this.#workerCompiler) {
      return {
        kind: 'failed',
        status: 'error',
        message: 'no JavaScript compiler is configured in this engine',
      };
    }
    const limits = resolveLimits(timeoutMs !== undefined ? { timeoutMs } : {}, this.#limits);
    const run: RunContext = {
      request: { language: 'javascript', code: source, ...(signal ? { signal } : {}) },
      ctx: {
        backend: this.name,
        limits,
        policy: resolvePolicy(),
        fuel: 0,
        maxTableElements: this.#maxTableElements,
        fsLimits: this.#fsLimits,
      },
      started: performance.now(),
      capPages: 1,
    };
    let prepared: Prepared | ExecutionResult;
    try {
      prepared = await this.#prepare(run, { kind: 'compile', source, options });
    } catch (error) {
      return { kind: 'compile_error', message: error instanceof Error ? error.message : String(error) };
    }
    if (!('status' in prepared)) {
      return prepared.kind === 'compiled'
        ? { kind: 'compiled', compiled: prepared.compiled }
        : { kind: 'failed', status: 'error', message: this.#brokenWorker().error!.message };
    }
    const message = prepared.error?.message ?? prepared.status;
    return prepared.error?.kind === 'SyntaxError'
      ? { kind: 'compile_error', message }
      : { kind: 'failed', status: prepared.status, message };
  }

  #keepLink(link: CachedModule): void {
    if (this.#links.has(link.key)) return;
    if (this.#links.size >= MAX_LINKS) this.#links.delete(this.#links.keys().next().value!);
    this.#links.set(link.key, link);
  }

  /** Sends a prepare job to a worker with what is left of the deadline. */
  async #prepare(run: RunContext, source: PrepareSource): Promise<Prepared | ExecutionResult> {
    const outcome = await this.#job(run, {
      prepare: source,
      capPages: run.capPages,
      maxTableElements: this.#maxTableElements,
    });
    if (outcome.kind !== 'reply') return this.#map(run, outcome);
    const reply = outcome.reply as PrepareReply;
    if ('prepared' in reply) return reply.prepared;
    if ('invalid' in reply) throw new InvalidRequestError(reply.invalid.field, reply.invalid.message);
    if ('compileError' in reply)
      return emptyResult(this.name, 'error', { kind: 'SyntaxError', message: reply.compileError });
    if ('failed' in reply)
      return emptyResult(this.name, 'error', { kind: 'executor_error', message: reply.failed });
    return this.#brokenWorker();
  }

  async #runJob(run: RunContext, message: DistributiveOmit<WorkerMessage, 'id'>): Promise<ExecutionResult> {
    return this.#map(run, await this.#job(run, message));
  }

  /**
   * Runs a job on the pool with what is left of the deadline, which started when the request
   * arrived: parsing, instrumentation, compilation and the run spend one budget.
   */
  #job(run: RunContext, message: DistributiveOmit<WorkerMessage, 'id'>): Promise<PoolOutcome> {
    const left = run.ctx.limits.timeoutMs - (performance.now() - run.started);
    if (left <= 0) return Promise.resolve({ kind: 'timeout', elapsedMs: performance.now() - run.started });
    return this.#pool.run(message, left, run.request.signal);
  }

  #map(run: RunContext, outcome: PoolOutcome): ExecutionResult {
    return mapOutcome(outcome as PoolOutcome<RunReply>, {
      backend: this.name,
      limits: run.ctx.limits,
      fuel: run.ctx.fuel,
      ...(run.request.session?.restore ? { restoredBase: run.request.session.restore.base } : {}),
    });
  }

  #brokenWorker(): ExecutionResult {
    return emptyResult(this.name, 'error', {
      kind: 'executor_error',
      message: 'a worker answered a job with the wrong kind of reply',
    });
  }

  #moduleBytes(request: ExecutionRequest): Uint8Array {
    const bytes = typeof request.code === 'string' ? decodeBase64(request.code) : request.code;
    if (bytes.length > this.#maxModuleBytes) {
      throw new InvalidRequestError(
        'code',
        `module is ${bytes.length} bytes; the limit is ${this.#maxModuleBytes}`,
      );
    }
    return bytes;
  }

  /** SHA-256 of module bytes, remembered per array: a linked engine is hashed once, not per run. */
  #hash(bytes: Uint8Array): string {
    let hash = this.#hashes.get(bytes);
    if (!hash) {
      hash = sha256(bytes);
      this.#hashes.set(bytes, hash);
    }
    return hash;
  }

  /** Stamps the timing (prepare, run, total) and counts the execution. */
  #finish(result: ExecutionResult, started: number): ExecutionResult {
    const totalMs = performance.now() - started;
    const { saveMs } = result.timing;
    result.timing = {
      queuedMs: 0,
      compileMs: Math.max(0, totalMs - result.timing.runMs - (saveMs ?? 0)),
      runMs: result.timing.runMs,
      totalMs,
      ...(saveMs !== undefined ? { saveMs } : {}),
    };
    this.#metrics.record(result, result.timing.runMs);
    return result;
  }

  stats(): WasmEngineStats {
    return { ...this.#metrics.runStats(), ...this.counters() };
  }

  /** Pool and cache counters only: cheap enough to send with every answer (no percentiles). */
  counters(): Omit<WasmEngineStats, keyof RunStats> {
    const pool = this.#pool.stats();
    return {
      poolSize: pool.size,
      busyWorkers: pool.busy,
      aliveWorkers: pool.alive,
      queued: pool.queued,
      crashes: pool.crashes,
      recycledWorkers: pool.recycled,
      cacheHits: this.#modules.hits,
      cacheMisses: this.#modules.misses,
      cacheEntries: this.#modules.size,
    };
  }

  /**
   * Healthy while workers can start and run a trivial module. Crashes a request causes with its own
   * resource use are that request's result and do not count: an attacker cannot flip this. A worker
   * answer in the last `healthFreshMs` vouches; otherwise a trivial module is run as a probe.
   */
  async health(): Promise<BackendHealth> {
    const details = { ...this.stats() } as Record<string, unknown>;
    if (this.#closed) return { healthy: false, message: 'closed', details };
    if (performance.now() - this.#pool.lastAnswerAt < this.#healthFreshMs) {
      return { healthy: true, message: 'ok', details };
    }
    const probe = await this.#probe();
    if (probe === undefined) return { healthy: true, message: 'ok (probe ran a trivial module)', details };
    return { healthy: false, message: `cannot run a trivial module: ${probe}`, details };
  }

  /** Runs `(module (func (export "_start")))`; undefined when it ran, else why not. */
  async #probe(): Promise<string | undefined> {
    try {
      const result = await this.execute({
        language: 'wasm',
        code: TRIVIAL_MODULE,
        limits: { timeoutMs: PROBE_TIMEOUT_MS },
      });
      return result.status === 'ok'
        ? undefined
        : `it ended as ${result.status}: ${result.error?.message ?? ''}`;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** How a compile for storage ended. */
export type CompileOutcome =
  | { kind: 'compiled'; compiled: CompiledModule }
  /** The source does not compile: the compiler's message. */
  | { kind: 'compile_error'; message: string }
  /** A deadline, a cancellation, a crash or a missing compiler, with the status a run would get. */
  | { kind: 'failed'; status: ExecutionResult['status']; message: string };

interface RunContext {
  request: EngineRequest;
  ctx: PlanContext;
  started: number;
  capPages: number;
}

/**
 * What a cached module costs this process: its code, plus what its description holds on the heap
 * (a module of 600,000 one-line types is small as code and large as objects; V8 keeps about 100
 * bytes per described item), so the cache's byte budget bounds the heap it takes.
 */
function cachedSize(entry: PreparedModule): number {
  const { info } = entry;
  const items =
    info.types.reduce((n, t) => n + 1 + t.params.length + t.results.length, 0) +
    info.imports.length +
    info.exports.length +
    info.functions.length +
    entry.missingImports.length;
  return entry.codeBytes + items * 128;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 !== 0) {
    throw new InvalidRequestError('code', 'a wasm module given as a string must be base64');
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}
