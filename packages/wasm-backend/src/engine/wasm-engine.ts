import {
  type Backend,
  type BackendCapabilities,
  type BackendHealth,
  BackendUnavailableError,
  type CompiledModule,
  CompileError,
  type Compiler,
  type ExecutionRequest,
  type ExecutionResult,
  emptyResult,
  fuelBudget,
  InvalidRequestError,
  type Limits,
  LruCache,
  type limitExceeded,
  type Policy,
  type RunStats,
  resolveLimits,
  resolvePolicy,
  SandboxMetrics,
} from '@memory-mcp/sandbox-core';
import {
  exportedFuncType,
  type ModuleInfo,
  PAGE_BYTES,
  readModuleInfo,
  WasmDecodeError,
} from '@memory-mcp/wasm-binary';
import { capMemory } from '../binary/cap-memory.js';
import { type CappedTables, capTables, DEFAULT_MAX_TABLE_ELEMENTS } from '../binary/cap-tables.js';
import { transpileComponent } from '../component/transpile-component.js';
import { DEFAULT_FUEL_PER_SECOND } from '../fuel/fuel-calibration.js';
import { FUEL_INSTRUMENTER_VERSION } from '../fuel/fuel-instrumenter.js';
import { type PoolOutcome, WorkerPool } from '../pool/worker-pool.js';
import type { ComponentMessage, LinkedModule, RunMessage, WorkerMessage } from '../pool/worker-protocol.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

import { ResultChannelRegistry, sha256 } from '../result-channel/result-channel-registry.js';
import { DEFAULT_FS_LIMITS, type FsLimits } from '../wasi/memory-fs.js';
import { compileWat } from '../wat-compiler.js';
import { entryArgs } from './entry-args.js';
import { limitResult, mapOutcome } from './map-outcome.js';
import { checkComponent, isComponent, validateAndInstrument } from './prepare-module.js';

/**
 * Room on the result channel beyond `maxOutputBytes`: the record's JSON envelope and an error's
 * name, message and stack. The value itself is held to `maxOutputBytes`.
 */
const RESULT_ENVELOPE_BYTES = 192 * 1024;

/** `(module (func (export "_start")))`: what the health probe runs. */
export const TRIVIAL_MODULE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 10, 1, 6, 95, 115, 116, 97, 114, 116, 0, 0,
  10, 4, 1, 2, 0, 11,
]);
/** A hang guard for the probe, not a speed requirement. */
export const PROBE_TIMEOUT_MS = 10_000;

const WASI_NAMESPACES = new Set(['wasi_snapshot_preview1', 'wasi_unstable']);

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
   * Compiles `language: 'javascript'` here, in the engine's process (inside an executor: off the
   * host). Only modules it returns in this process may open a result channel.
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
 * such a module. Neither ever comes from a request.
 */
export interface EngineRequest extends ExecutionRequest {
  compiled?: PrecompiledModule;
  resultFd?: number;
}

interface CompiledEntry {
  /** The cache key: stable identity of `module`, so a worker that holds it is not sent it again. */
  key: string;
  /** SHA-256 of the module's bytes as given (before instrumentation). */
  bytesHash: string;
  module: WebAssembly.Module;
  info: ModuleInfo;
  minPages: number;
  /** Table elements the module asks for at instantiation (over the table cap: not compiled). */
  tableElements: number;
  hasStart: boolean;
  maxStaticCharge: number;
  importedMemory?: RunMessage['importedMemory'];
  memoryExport?: string;
  /** Imports the sandbox does not provide, e.g. `env.foo (func)`. */
  missingImports: string[];
  wasiImports: Record<string, string[]>;
}

interface CompiledComponent {
  js: string;
  jsHash: string;
  modules: Record<string, WebAssembly.Module>;
  minPages: number;
  /** The most table elements any core module asks for at instantiation. */
  tableElements: number;
  missingImports: string[];
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
 * Runs WebAssembly (core modules with WASI preview 1, or WAT text) in a pool of worker threads,
 * each execution with a fresh instance and a fresh in-memory WASI host. Limits are mechanisms:
 * the module's memory maximum is rewritten to the cap, and a worker past its deadline is terminated.
 */
export class WasmEngine implements Backend {
  readonly specificationVersion = 'v1';
  readonly name = 'wasm';
  readonly #pool: WorkerPool;
  readonly #limits: Limits;
  readonly #modules: LruCache<CompiledEntry>;
  readonly #wat: LruCache<Uint8Array>;
  readonly #components: LruCache<CompiledComponent>;
  readonly #maxModuleBytes: number;
  readonly #maxTableElements: number;
  readonly #fsLimits: FsLimits;
  readonly fuelPerSecond: number;
  readonly #hashes = new WeakMap<Uint8Array, string>();
  readonly #healthFreshMs: number;
  readonly #metrics = new SandboxMetrics();
  readonly #compiler: Compiler | undefined;
  readonly #channels = new ResultChannelRegistry();
  #closed = false;

  constructor(options: WasmEngineOptions = {}) {
    const size = options.maxConcurrency ?? 20;
    this.#pool = new WorkerPool({
      size,
      warm: options.warmWorkers ?? 2,
      ...(options.workerUrl ? { workerUrl: options.workerUrl } : {}),
    });
    this.#limits = resolveLimits(options.limits);
    this.#modules = new LruCache(options.cacheBytes ?? 256 * 1024 * 1024);
    this.#wat = new LruCache(64 * 1024 * 1024);
    this.#components = new LruCache(options.cacheBytes ?? 256 * 1024 * 1024);
    this.#maxModuleBytes = options.maxModuleBytes ?? 64 * 1024 * 1024;
    this.#maxTableElements = options.maxTableElements ?? DEFAULT_MAX_TABLE_ELEMENTS;
    this.#fsLimits = { ...DEFAULT_FS_LIMITS, ...options.fileSystem };
    this.fuelPerSecond = options.fuelPerSecond ?? DEFAULT_FUEL_PER_SECOND;
    this.#healthFreshMs = options.healthFreshMs ?? 10_000;
    this.#compiler = options.compiler;
  }

  capabilities(): BackendCapabilities {
    return {
      languages: this.#compiler ? ['wasm', 'wat', 'javascript'] : ['wasm', 'wat'],
      isolation: 'wasm',
      networkIsolation: 'no-network-api',
      fuel: true,
      nodeApis: false,
      maxConcurrency: this.#pool.size,
    };
  }

  async execute(request: EngineRequest): Promise<ExecutionResult> {
    if (this.#closed) throw new BackendUnavailableError('wasm', 'the wasm backend is closed');
    const started = performance.now();
    const limits = resolveLimits(request.limits, this.#limits);
    const policy = resolvePolicy(request.policy);

    const compileStart = performance.now();
    if (request.compiled) return this.#executeCompiled(request, request.compiled, limits, policy, started);
    if (request.language === 'javascript') return this.#executeJavaScript(request, limits, policy, started);
    const bytes = await this.#moduleBytes(request);
    const capPages = Math.max(1, Math.floor(limits.memoryBytes / PAGE_BYTES));
    if (isComponent(bytes)) {
      return this.#executeComponent(bytes, request, limits, policy, capPages, started, compileStart);
    }
    const compiled = await this.#compile(bytes, capPages);
    const compileMs = performance.now() - compileStart;

    let result: ExecutionResult;
    if (compiled.minPages > capPages) {
      result = this.#limitResult({
        name: 'memoryBytes',
        allowed: limits.memoryBytes,
        used: compiled.minPages * PAGE_BYTES,
        message: `the module's initial memory (${compiled.minPages} pages, ${compiled.minPages * PAGE_BYTES} bytes) is over the ${limits.memoryBytes}-byte cap`,
      });
    } else if (compiled.tableElements > this.#maxTableElements) {
      result = this.#tableResult(compiled.tableElements);
    } else if (compiled.missingImports.length > 0) {
      result = emptyResult(this.name, 'error', {
        kind: 'link',
        message: `the module imports ${compiled.missingImports.join(', ')}, which the sandbox does not provide (only WASI preview 1 is available)`,
      });
    } else {
      const message = this.#message(request, compiled, limits, policy);
      const outcome = await this.#run(message, limits, started, request.signal);
      result = this.#result(outcome, limits, message.fuel);
    }
    return this.#finish(result, compileMs, started);
  }

  /**
   * Runs a message on the pool with what is left of the deadline, which started when the request
   * arrived: parsing, instrumentation and compilation spend the same budget as the run.
   */
  #run(
    message: DistributiveOmit<WorkerMessage, 'id'>,
    limits: Limits,
    started: number,
    signal: AbortSignal | undefined,
  ): Promise<PoolOutcome> {
    const left = limits.timeoutMs - (performance.now() - started);
    if (left <= 0) return Promise.resolve({ kind: 'timeout', elapsedMs: performance.now() - started });
    return this.#pool.run(message, left, signal);
  }

  async #moduleBytes(request: ExecutionRequest): Promise<Uint8Array> {
    if (request.language === 'wat') {
      if (typeof request.code !== 'string') throw new InvalidRequestError('code', 'WAT must be text');
      const key = sha256(request.code);
      const cached = this.#wat.get(key);
      if (cached) return cached;
      const bytes = await compileWat(request.code);
      this.#wat.set(key, bytes, bytes.length + request.code.length);
      return bytes;
    }
    if (request.language !== 'wasm') {
      throw new InvalidRequestError(
        'language',
        `the wasm backend runs wasm and wat, not ${request.language}`,
      );
    }
    const bytes = typeof request.code === 'string' ? decodeBase64(request.code) : request.code;
    if (bytes.length > this.#maxModuleBytes) {
      throw new InvalidRequestError(
        'code',
        `module is ${bytes.length} bytes; the limit is ${this.#maxModuleBytes}`,
      );
    }
    return bytes;
  }

  /** `linkNames`: import modules satisfied by linked modules at run time (not by the host). */
  async #compile(bytes: Uint8Array, capPages: number, linkNames: string[] = []): Promise<CompiledEntry> {
    const bytesHash = this.#hash(bytes);
    const key = `${bytesHash}:${capPages}:fuel-v${FUEL_INSTRUMENTER_VERSION}:${linkNames.join(',')}`;
    const cached = this.#modules.get(key);
    if (cached) return cached;
    const instrumented = await validateAndInstrument(bytes);
    const info = readModuleInfo(instrumented.bytes);
    const capped = capMemory(instrumented.bytes, info, capPages);
    const tables = this.#capTables(capped.bytes);
    const entry: CompiledEntry = {
      key,
      bytesHash,
      module: undefined as unknown as WebAssembly.Module,
      info,
      minPages: capped.minPages,
      tableElements: tables.initialElements,
      hasStart: instrumented.hasStart,
      maxStaticCharge: instrumented.maxStaticCharge,
      missingImports: [],
      wasiImports: {},
    };
    if (capped.memoryExport) entry.memoryExport = capped.memoryExport;
    for (const imp of info.imports) {
      if (linkNames.includes(imp.module)) continue;
      if (WASI_NAMESPACES.has(imp.module) && imp.kind === 'func') {
        const names = entry.wasiImports[imp.module] ?? [];
        names.push(imp.name);
        entry.wasiImports[imp.module] = names;
      } else if (imp.kind === 'memory' && capped.importedMemory) {
        entry.importedMemory = {
          module: imp.module,
          name: imp.name,
          initial: capped.importedMemory.min,
          maximum: capped.importedMemory.max ?? capPages,
          shared: capped.importedMemory.shared,
        };
      } else {
        entry.missingImports.push(`${imp.module}.${imp.name} (${imp.kind})`);
      }
    }
    if (!capped.exceeds && !tables.exceeds) {
      try {
        entry.module = await WebAssembly.compile(tables.bytes as Uint8Array<ArrayBuffer>);
      } catch (error) {
        throw new InvalidRequestError('code', `invalid module: ${(error as Error).message}`);
      }
    }
    this.#modules.set(key, entry, tables.bytes.length);
    return entry;
  }

  /**
   * Runs what the host's compiler produced: the main module, the modules it links (a dynamic
   * module's engine) and the result channel the host vouches for.
   */
  /** Compiles JS with the engine's own compiler, under the request's deadline, then runs it. */
  async #executeJavaScript(
    request: EngineRequest,
    limits: Limits,
    policy: Policy,
    started: number,
  ): Promise<ExecutionResult> {
    if (!this.#compiler) {
      throw new InvalidRequestError('language', 'this wasm backend has no JavaScript compiler configured');
    }
    if (typeof request.code !== 'string')
      throw new InvalidRequestError('code', 'JavaScript must be source text');
    let compiled: CompiledModule;
    try {
      compiled = await this.#compiler.compile(request.code);
    } catch (error) {
      if (!CompileError.isInstance(error)) throw error;
      const result = emptyResult(this.name, 'error', { kind: 'SyntaxError', message: error.message });
      return this.#finish(result, performance.now() - started, started);
    }
    const hash = this.#channels.register(compiled, this.#hash(compiled.bytes));
    const fd = this.#channels.fdFor(hash, compiled.engine.hash);
    return this.#executeCompiled(
      request,
      {
        bytes: compiled.bytes,
        ...(compiled.imports ? { imports: compiled.imports } : {}),
        ...(fd !== undefined ? { resultFd: fd } : {}),
      },
      limits,
      policy,
      started,
    );
  }

  async #executeCompiled(
    request: EngineRequest,
    compiled: PrecompiledModule,
    limits: Limits,
    policy: Policy,
    started: number,
  ): Promise<ExecutionResult> {
    const compileStart = performance.now();
    let result: ExecutionResult;
    const capPages = Math.max(1, Math.floor(limits.memoryBytes / PAGE_BYTES));
    const linkNames = Object.keys(compiled.imports ?? {});
    const main = await this.#compile(compiled.bytes, capPages, linkNames);
    const links: LinkedModule[] = [];
    let minPages = main.minPages;
    for (const [name, bytes] of Object.entries(compiled.imports ?? {})) {
      const entry = await this.#compile(bytes, capPages);
      minPages = Math.max(minPages, entry.minPages);
      links.push({
        name,
        key: entry.key,
        module: entry.module,
        wasiImports: entry.wasiImports,
        hasStart: entry.hasStart,
        ...(entry.memoryExport ? { memoryExport: entry.memoryExport } : {}),
      });
    }
    const compileMs = performance.now() - compileStart;
    if (minPages > capPages) {
      result = this.#limitResult({
        name: 'memoryBytes',
        allowed: limits.memoryBytes,
        used: minPages * PAGE_BYTES,
        message: `the JavaScript engine needs ${minPages * PAGE_BYTES} bytes of memory to start; the cap is ${limits.memoryBytes}`,
      });
    } else {
      const { compiled: _, ...plain } = request;
      const vouched = compiled.resultFd !== undefined ? { resultFd: compiled.resultFd } : {};
      const message = this.#message(
        { ...plain, ...vouched, language: 'wasm', entry: undefined },
        main,
        limits,
        policy,
      );
      if (links.length > 0) message.links = links;
      const outcome = await this.#run(message, limits, started, request.signal);
      result = this.#result(outcome, limits, message.fuel);
    }
    return this.#finish(result, compileMs, started);
  }

  async #executeComponent(
    bytes: Uint8Array,
    request: ExecutionRequest,
    limits: Limits,
    policy: Policy,
    capPages: number,
    started: number,
    compileStart: number,
  ): Promise<ExecutionResult> {
    if (request.entry)
      throw new InvalidRequestError(
        'entry',
        'components run as wasi:cli/run commands; entry is not supported',
      );
    const compiled = await this.#compileComponent(bytes, capPages);
    const compileMs = performance.now() - compileStart;
    let result: ExecutionResult;
    if (compiled.minPages > capPages) {
      result = this.#limitResult({
        name: 'memoryBytes',
        allowed: limits.memoryBytes,
        used: compiled.minPages * PAGE_BYTES,
        message: `a core module's initial memory (${compiled.minPages} pages) is over the ${limits.memoryBytes}-byte cap`,
      });
    } else if (compiled.tableElements > this.#maxTableElements) {
      result = this.#tableResult(compiled.tableElements);
    } else if (compiled.missingImports.length > 0) {
      result = emptyResult(this.name, 'error', {
        kind: 'link',
        message: `the component imports ${compiled.missingImports.join(', ')}, which the sandbox does not provide (wasi:cli, io, clocks, random and an empty filesystem are available)`,
      });
    } else {
      const message: Omit<ComponentMessage, 'id'> = {
        component: true,
        js: compiled.js,
        jsHash: compiled.jsHash,
        modules: compiled.modules,
        ...this.#command(request, limits, policy),
      };
      const outcome = await this.#run(message, limits, started, request.signal);
      result = this.#result(outcome, limits, message.fuel);
    }
    return this.#finish(result, compileMs, started);
  }

  async #compileComponent(bytes: Uint8Array, capPages: number): Promise<CompiledComponent> {
    const key = `${this.#hash(bytes)}:${capPages}:fuel-v${FUEL_INSTRUMENTER_VERSION}`;
    const cached = this.#components.get(key);
    if (cached) return cached;
    checkComponent(bytes);
    const transpiled = await transpileComponent(bytes);
    const compiled: CompiledComponent = {
      js: transpiled.js,
      jsHash: sha256(transpiled.js),
      modules: {},
      minPages: 0,
      tableElements: 0,
      missingImports: transpiled.missingImports,
    };
    let size = transpiled.js.length;
    for (const [name, core] of Object.entries(transpiled.coreModules)) {
      const instrumented = await validateAndInstrument(core, 'core module of the component');
      const capped = capMemory(instrumented.bytes, readModuleInfo(instrumented.bytes), capPages);
      const tables = this.#capTables(capped.bytes);
      compiled.minPages = Math.max(compiled.minPages, capped.minPages);
      compiled.tableElements = Math.max(compiled.tableElements, tables.initialElements);
      if (capped.exceeds || tables.exceeds) continue;
      compiled.modules[name] = await WebAssembly.compile(tables.bytes as Uint8Array<ArrayBuffer>);
      size += tables.bytes.length;
    }
    this.#components.set(key, compiled, size);
    return compiled;
  }

  #capTables(bytes: Uint8Array): CappedTables {
    try {
      return capTables(bytes, this.#maxTableElements);
    } catch (error) {
      if (WasmDecodeError.isInstance(error))
        throw new InvalidRequestError('code', `malformed module: ${error.message}`);
      throw error;
    }
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

  #fuelBudget(limits: Limits): number {
    return fuelBudget(limits, this.fuelPerSecond);
  }

  /**
   * What every run gets, module or component: stdin (the request's, else its input as JSON, Javy's
   * convention), argv, the request's env when the policy allows it, the console switch, the output
   * cap and the fuel budget.
   */
  #command(request: ExecutionRequest, limits: Limits, policy: Policy) {
    return {
      stdin: new TextEncoder().encode(
        request.stdin ?? (request.input !== undefined && !request.entry ? JSON.stringify(request.input) : ''),
      ),
      args: ['main.wasm', ...(request.args ?? [])],
      env: policy.allowEnv ? { ...request.env } : {},
      allowConsole: policy.allowConsole,
      maxOutputBytes: limits.maxOutputBytes,
      fuel: this.#fuelBudget(limits),
    };
  }

  #message(
    request: EngineRequest,
    compiled: CompiledEntry,
    limits: Limits,
    policy: Policy,
  ): Omit<RunMessage, 'id'> {
    const message: Omit<RunMessage, 'id'> = {
      module: compiled.module,
      moduleKey: compiled.key,
      hasStart: compiled.hasStart,
      wasiImports: compiled.wasiImports,
      ...this.#command(request, limits, policy),
      deterministic: policy.deterministic,
      memoryCapBytes: limits.memoryBytes,
    };
    if (compiled.importedMemory) message.importedMemory = compiled.importedMemory;
    if (compiled.memoryExport) message.memoryExport = compiled.memoryExport;
    // A result channel only where the host vouches for it (bytes its compiler produced); a
    // `memory-mcp:result-fd` section in the module itself is never read.
    const fd = request.compiled?.resultFd ?? request.resultFd ?? this.#channels.fdFor(compiled.bytesHash);
    if (fd !== undefined) {
      message.resultFd = fd;
      message.maxResultBytes = limits.maxOutputBytes + RESULT_ENVELOPE_BYTES;
    }
    if (policy.allowFilesystem) {
      message.files = { ...request.files };
      message.fsLimits = { ...this.#fsLimits, maxReturnedBytes: limits.maxOutputBytes };
    }
    if (request.entry) {
      const type = exportedFuncType(compiled.info, request.entry);
      if (!type)
        throw new InvalidRequestError('entry', `the module exports no function named '${request.entry}'`);
      message.entry = request.entry;
      message.entryArgs = entryArgs(request.input, type);
      message.entryResults = type.results;
    } else if (!exportedFuncType(compiled.info, '_start')) {
      throw new InvalidRequestError(
        'entry',
        `the module exports no _start; name an exported function in 'entry'`,
      );
    }
    return message;
  }

  #result(outcome: PoolOutcome, limits: Limits, fuel: number): ExecutionResult {
    return mapOutcome(outcome, { backend: this.name, limits, fuel });
  }

  /** Tables are not a `Limits` field: the status is memory_limit, the message names the table cap. */
  #tableResult(elements: number): ExecutionResult {
    return emptyResult(this.name, 'memory_limit', {
      kind: 'memory_limit',
      message: `the module's tables ask for ${elements} elements at instantiation; the table cap (maxTableElements) is ${this.#maxTableElements}`,
    });
  }

  #limitResult(exceeded: Parameters<typeof limitExceeded>[0]): ExecutionResult {
    return limitResult(this.name, exceeded);
  }

  /** Stamps the timing (compile, run, total) and counts the execution. */
  #finish(result: ExecutionResult, compileMs: number, started: number): ExecutionResult {
    result.timing = {
      queuedMs: 0,
      compileMs,
      runMs: result.timing.runMs,
      totalMs: performance.now() - started,
    };
    this.#record(result);
    return result;
  }

  #record(result: ExecutionResult): void {
    this.#metrics.record(result, result.timing.runMs);
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
      const compiled = await this.#compile(TRIVIAL_MODULE, 1);
      const limits = resolveLimits({ timeoutMs: PROBE_TIMEOUT_MS }, this.#limits);
      const message = this.#message(
        { language: 'wasm', code: TRIVIAL_MODULE },
        compiled,
        limits,
        resolvePolicy(),
      );
      const outcome = await this.#pool.run(message, PROBE_TIMEOUT_MS);
      if (outcome.kind !== 'reply') return outcome.kind === 'crashed' ? outcome.message : outcome.kind;
      return outcome.reply.outcome === 'ok' ? undefined : `it ended as ${outcome.reply.outcome}`;
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

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 !== 0) {
    throw new InvalidRequestError('code', 'a wasm module given as a string must be base64');
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}
