import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  detectJailSupport,
  type IsolationLevel,
  type JailSupport,
  JailUnavailableError,
  jailWalls,
  validateGrants,
} from '@memory-mcp/process-jail';
import {
  type Backend,
  type BackendCapabilities,
  type BackendHealth,
  BackendUnavailableError,
  CancelledError,
  ConcurrencyLimiter,
  type ExecutionRequest,
  type ExecutionResult,
  emptyResult,
  InvalidRequestError,
  type Limits,
  type Policy,
  type RunStats,
  resolveLimits,
  resolvePolicy,
  SandboxMetrics,
} from '@memory-mcp/sandbox-core';
import { detectPermissionFlag, type PermissionFlag } from './detect-permission-flag.js';
import { JailedRunner, profileKey, type RunnerProfile, type RunReport } from './jailed-runner.js';
import { mapRunReport } from './map-run-report.js';
import { measureDataBaseline } from './measure-data-baseline.js';
import { ProcessPool, type ProcessPoolStats } from './process-pool.js';
import { MAX_RESULT_FRAME_BYTES } from './runner/runner-protocol.js';
import { transpileTypeScript } from './transpile-typescript.js';

export interface NodeBackendOptions {
  /** Processes running at once; more requests wait in the backend's queue. Default 2 per core. */
  maxConcurrency?: number;
  /** Requests allowed to wait. Default 1000. */
  maxQueue?: number;
  /** Pre-started idle jailed processes for the default policy. Default 2 per core; 0 disables the pool. */
  poolSize?: number;
  /**
   * The warm pool starts filling once this settles (and detection is done), so a host can keep its
   * boot from competing for the CPU with other start-up work (the app passes the wasm backend's
   * `whenStarted()`). A request before then starts its own process.
   */
  warmAfter?: Promise<unknown>;
  /** Limits applied where a request gives none (memory defaults to 128 MiB, enforced as RLIMIT_DATA on top of Node's baseline). */
  limits?: Partial<Limits>;
  /** Runner script override (bundlers). */
  runnerPath?: string;
  /**
   * `namespaces` (default): every execution runs in a process-jail (user, mount, PID, network, IPC,
   * UTS and cgroup namespaces, a minimal read-only root, uid 65534, rlimits) with Node's permission
   * model inside; where the jail is unavailable the backend refuses to run code and `health()` says
   * how to fix it. `permission-model` is the named weaker level: no namespaces, Node's permission
   * model, an in-process network guard, rlimits and the uid switch where available.
   */
  isolation?: IsolationLevel;
  /** Replaces jail detection (tests). `startJail` still checks for itself, so this cannot raise a wall. */
  jailSupport?: Promise<JailSupport>;
}

export interface NodeBackendStats extends RunStats {
  pool: ProcessPoolStats;
  inFlight: number;
  queued: number;
  /** Jailed processes alive and not in the idle pool (running, or being killed). */
  running: number;
}

const FILENAME = 'user-code.js';
/** The inner layer, reported next to the jail's walls. */
const PERMISSION_MODEL_WALL = 'node-permission-model';

function defaultRunnerPath(): string {
  const beside = fileURLToPath(new URL('./runner.cjs', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../dist/runner.cjs', import.meta.url));
  if (existsSync(built)) return built;
  throw new BackendUnavailableError('node', 'runner.cjs not found: build the package first (pnpm build)');
}

/**
 * Runs JavaScript and TypeScript, each execution in its own jailed Node.js process used once and
 * killed. See the README for which wall stops what on which OS.
 */
export class NodeBackend implements Backend {
  readonly specificationVersion = 'v1';
  readonly name = 'node';
  /** The isolation level this backend was asked for; it never runs code at a weaker one. */
  readonly isolation: IsolationLevel;
  readonly #runnerPath: string;
  readonly #limits: Limits;
  readonly #limiter: ConcurrencyLimiter;
  readonly #poolSize: number;
  /** Both detected on start (`#started`), off the event loop. */
  #permissionFlag: PermissionFlag | undefined;
  #dataBaselineBytes = 0;
  readonly #support: Promise<JailSupport>;
  readonly #started: Promise<void>;
  /** Settles once the warm pool exists (or never will). */
  readonly #poolStarted: Promise<void>;
  #supportNow: JailSupport | undefined;
  #pool: ProcessPool | undefined;
  #defaultKey = '';
  readonly #live = new Set<JailedRunner>();
  readonly #metrics = new SandboxMetrics();
  #closed = false;

  constructor(options: NodeBackendOptions = {}) {
    const cores = availableParallelism();
    this.isolation = options.isolation ?? 'namespaces';
    if (this.isolation !== 'namespaces' && this.isolation !== 'permission-model') {
      throw new InvalidRequestError('isolation', `must be 'namespaces' or 'permission-model'`);
    }
    this.#runnerPath = options.runnerPath ?? defaultRunnerPath();
    this.#limits = resolveLimits(options.limits);
    this.#limiter = new ConcurrencyLimiter({
      maxConcurrency: options.maxConcurrency ?? 2 * cores,
      maxQueue: options.maxQueue ?? 1000,
    });
    this.#poolSize = options.poolSize ?? 2 * cores;
    // Three probes side by side, none blocking the event loop: the jail, the permission flag this
    // Node takes, and the memory Node itself needs (each runs a process).
    const support = options.jailSupport ?? detectJailSupport();
    const flag = detectPermissionFlag();
    const baseline = measureDataBaseline();
    this.#support = Promise.all([support, flag, baseline]).then(([found, permissionFlag, baselineBytes]) => {
      this.#permissionFlag = permissionFlag;
      this.#dataBaselineBytes = baselineBytes;
      return found;
    });
    this.#started = this.#support.then((found) => {
      this.#supportNow = found;
    });
    const warmAfter = options.warmAfter ?? Promise.resolve();
    this.#poolStarted = Promise.all([this.#started, warmAfter.catch(() => {})]).then(() => {
      const found = this.#supportNow!;
      if (this.#closed || this.#refusal(found) || this.#poolSize <= 0) return;
      const profile = this.#profile(this.#limits, resolvePolicy());
      this.#defaultKey = profileKey(profile);
      this.#pool = new ProcessPool(profile, this.#poolSize);
    });
  }

  /** Why this backend refuses to run code here, with the fix; undefined when it runs. */
  #refusal(support: JailSupport): string | undefined {
    if (!this.#permissionFlag)
      return `Node ${process.version} has no permission model; fix: use Node 20.19+, 22.13+ or 24+`;
    if (this.isolation === 'namespaces' && support.level !== 'namespaces') {
      return new JailUnavailableError({
        reason: support.reason ?? 'unknown',
        fix: support.fix ?? 'apt-get install bubblewrap',
      }).message;
    }
    return undefined;
  }

  /** The walls up around each execution (with the default policy), once detection has finished. */
  #walls(support: JailSupport | undefined): string[] | undefined {
    if (!support || this.#refusal(support)) return support ? [] : undefined;
    return [
      ...jailWalls(support, { isolation: this.isolation, denyUnixSockets: true }),
      PERMISSION_MODEL_WALL,
    ];
  }

  capabilities(): BackendCapabilities {
    const walls = this.#walls(this.#supportNow);
    return {
      languages: ['javascript', 'typescript'],
      isolation: 'process',
      networkIsolation: this.isolation === 'namespaces' ? 'namespace' : 'guard',
      fuel: false,
      nodeApis: true,
      maxConcurrency: this.#limiter.maxConcurrency,
      ...(walls ? { walls } : {}),
    };
  }

  /** Resolves once jail detection is done and the warm pool is full (before benchmarks, in tests). */
  async warm(): Promise<void> {
    await this.#poolStarted;
    await this.#pool?.warm();
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (this.#closed) throw new BackendUnavailableError('node', 'the node backend is closed');
    if (request.language !== 'javascript' && request.language !== 'typescript') {
      throw new InvalidRequestError(
        'language',
        `the node backend runs javascript and typescript, not ${request.language}`,
      );
    }
    if (typeof request.code !== 'string') throw new InvalidRequestError('code', 'must be source text');
    const started = performance.now();
    const limits = resolveLimits(request.limits, this.#limits);
    const policy = resolvePolicy(request.policy);
    // Relative, wildcard, `..`, symlinked or missing paths: an InvalidRequestError naming the path.
    validateGrants(policy.readPaths, policy.writePaths);
    const input = request.input === undefined ? undefined : JSON.stringify(request.input);
    if (request.code.length + (input?.length ?? 0) > MAX_RESULT_FRAME_BYTES - 4096) {
      throw new InvalidRequestError(
        'code',
        `code and input together must stay under ${MAX_RESULT_FRAME_BYTES - 4096} characters`,
      );
    }
    await this.#started;
    const refusal = this.#refusal(this.#supportNow!);
    if (refusal) throw new BackendUnavailableError('node', `refusing untrusted code: ${refusal}`);

    let code = request.code;
    const compileStart = performance.now();
    if (request.language === 'typescript') {
      const transpiled = transpileTypeScript(code);
      if ('error' in transpiled) {
        const result = emptyResult(this.name, 'error', transpiled.error);
        result.timing.compileMs = performance.now() - compileStart;
        return this.#finish(result, started);
      }
      code = transpiled.code;
    }
    const compileMs = performance.now() - compileStart;

    let release: () => void;
    try {
      release = await this.#limiter.acquire(request.signal);
    } catch (error) {
      if (!CancelledError.isInstance(error)) throw error;
      return this.#finish(
        emptyResult(this.name, 'cancelled', { kind: 'cancelled', message: error.message }),
        started,
      );
    }
    const queuedMs = performance.now() - started;
    let runner: JailedRunner | undefined;
    try {
      const profile = this.#profile(limits, policy);
      const warm = profileKey(profile) === this.#defaultKey ? this.#pool?.take() : undefined;
      runner = warm ?? new JailedRunner(profile);
      this.#live.add(runner);
      let report: RunReport;
      try {
        const job = {
          code,
          filename: FILENAME,
          env: policy.allowEnv ? { ...request.env } : {},
          ...(input !== undefined ? { input } : {}),
        };
        report = await runner.run(job, limits, request.signal, () => this.#pool?.refillSoon());
      } catch (error) {
        if (InvalidRequestError.isInstance(error)) throw error;
        throw new BackendUnavailableError(
          'node',
          `could not start a jailed runner: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      const result = mapRunReport(this.name, report, limits);
      result.timing = { queuedMs, compileMs, runMs: report.runMs, totalMs: 0 };
      return this.#finish(result, started);
    } finally {
      // The result goes back as soon as the jail's SIGKILL is sent; the slot is released only once
      // every process of the jail is gone, so a run that will not die keeps holding its slot.
      const done = runner;
      const gone = done ? done.close() : Promise.resolve();
      void gone.then(() => {
        if (done) this.#live.delete(done);
        this.#pool?.refillSoon();
        release();
      });
    }
  }

  #profile(limits: Limits, policy: Policy): RunnerProfile {
    return {
      runnerPath: this.#runnerPath,
      memoryBytes: limits.memoryBytes,
      readPaths: policy.readPaths,
      writePaths: policy.writePaths,
      allowNetwork: policy.allowNetwork,
      allowProcesses: policy.allowProcesses,
      isolation: this.isolation,
      dataBaselineBytes: this.#dataBaselineBytes,
      permissionFlag: this.#permissionFlag ?? '--permission',
    };
  }

  #finish(result: ExecutionResult, started: number): ExecutionResult {
    result.timing.totalMs = performance.now() - started;
    this.#metrics.record(result, result.timing.runMs);
    return result;
  }

  stats(): NodeBackendStats {
    return {
      ...this.#metrics.runStats(),
      pool: this.#pool?.stats() ?? { idle: 0, starting: 0, size: 0, hits: 0, misses: 0 },
      inFlight: this.#limiter.inFlight,
      queued: this.#limiter.queued,
      running: this.#live.size,
    };
  }

  async health(): Promise<BackendHealth> {
    const support = await this.#support;
    const refusal = this.#refusal(support);
    const details: Record<string, unknown> = {
      ...this.stats(),
      isolation: this.isolation,
      walls: this.#walls(support),
      permissionModel: this.#permissionFlag ?? 'unavailable',
      // RLIMIT_DATA = a request's memoryBytes + this (Node's own need, measured for this binary).
      dataBaselineBytes: this.#dataBaselineBytes,
      jail: {
        level: support.level,
        ...(support.bwrap ? { bwrap: support.bwrap.version } : {}),
        ...(support.reason ? { reason: support.reason, fix: support.fix } : {}),
      },
    };
    if (this.#closed) return { healthy: false, message: 'closed', details };
    if (refusal) return { healthy: false, message: refusal, details };
    const message =
      this.isolation === 'namespaces'
        ? 'ok: jailed (namespaces, minimal root, uid switch, rlimits) with Node permission model inside'
        : `ok at the weaker level 'permission-model' (no namespaces${support.reason ? `: ${support.reason}; fix: ${support.fix}` : ''})`;
    return { healthy: true, message, details };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#started;
    // a pool still waiting on `warmAfter` is never made (it checks #closed); one made is closed here
    await this.#pool?.close();
    await Promise.all([...this.#live].map((p) => p.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
