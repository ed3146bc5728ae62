import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  type Backend,
  type BackendCapabilities,
  type BackendHealth,
  BackendUnavailableError,
  CancelledError,
  ConcurrencyLimiter,
  decodeResultValue,
  type ExecutionRequest,
  type ExecutionResult,
  emptyResult,
  InvalidRequestError,
  type Limits,
  limitExceeded,
  MIB,
  type Policy,
  type RunStats,
  resolveLimits,
  resolvePolicy,
  SandboxMetrics,
} from '@memory-mcp/sandbox-core';
import { detectIsolation, type IsolationSupport } from './detect-isolation.js';
import { ProcessPool, type ProcessPoolStats } from './process-pool.js';
import { profileKey, RunnerProcess, type RunnerProfile, type RunReport } from './runner-process.js';
import { transpileTypeScript } from './transpile-typescript.js';

export interface NodeBackendOptions {
  /** Processes running at once; more requests wait in the backend's queue. Default 2 per core. */
  maxConcurrency?: number;
  /** Requests allowed to wait. Default 1000. */
  maxQueue?: number;
  /** Pre-started idle processes for the default policy. Default 2 per core; 0 disables the pool. */
  poolSize?: number;
  /** Limits applied where a request gives none (memory defaults to 128 MiB of V8 heap). */
  limits?: Partial<Limits>;
  /** Runner script override (bundlers). */
  runnerPath?: string;
  /**
   * Override what `detectIsolation()` found, e.g. `{ networkIsolation: 'guard', namespaceArgs: undefined }`
   * to exercise the in-process fallback used where the OS offers no namespaces.
   */
  isolation?: Partial<IsolationSupport>;
}

export interface NodeBackendStats extends RunStats {
  pool: ProcessPoolStats;
  inFlight: number;
  queued: number;
}

const FILENAME = 'user-code.js';

function defaultRunnerPath(): string {
  const beside = fileURLToPath(new URL('./runner.cjs', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../dist/runner.cjs', import.meta.url));
  if (existsSync(built)) return built;
  throw new BackendUnavailableError('node', 'runner.cjs not found: build the package first (pnpm build)');
}

/**
 * Runs JavaScript and TypeScript, each execution in its own restricted Node.js process used once
 * and discarded. See the README for which protection applies on which OS.
 */
export class NodeBackend implements Backend {
  readonly specificationVersion = 'v1';
  readonly name = 'node';
  readonly isolation: IsolationSupport;
  readonly #runnerPath: string;
  readonly #limits: Limits;
  readonly #limiter: ConcurrencyLimiter;
  readonly #pool: ProcessPool | undefined;
  readonly #defaultKey: string;
  readonly #live = new Set<RunnerProcess>();
  readonly #metrics = new SandboxMetrics();
  #closed = false;

  constructor(options: NodeBackendOptions = {}) {
    const cores = availableParallelism();
    this.isolation = { ...detectIsolation(), ...options.isolation };
    this.#runnerPath = options.runnerPath ?? defaultRunnerPath();
    this.#limits = resolveLimits(options.limits);
    this.#limiter = new ConcurrencyLimiter({
      maxConcurrency: options.maxConcurrency ?? 2 * cores,
      maxQueue: options.maxQueue ?? 1000,
    });
    const defaultProfile = this.#profile(this.#limits, resolvePolicy());
    this.#defaultKey = profileKey(defaultProfile);
    const poolSize = options.poolSize ?? 2 * cores;
    if (poolSize > 0) this.#pool = new ProcessPool(defaultProfile, poolSize, this.isolation);
  }

  capabilities(): BackendCapabilities {
    return {
      languages: ['javascript', 'typescript'],
      isolation: 'process',
      networkIsolation: this.isolation.networkIsolation,
      fuel: false,
      nodeApis: true,
      maxConcurrency: this.#limiter.maxConcurrency,
    };
  }

  /** Resolves once the warm pool is full (useful before benchmarks and in tests). */
  async warm(): Promise<void> {
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
    try {
      const profile = this.#profile(limits, policy);
      const warm = profileKey(profile) === this.#defaultKey ? this.#pool?.take() : undefined;
      const runner = warm ?? new RunnerProcess(profile, this.isolation);
      this.#live.add(runner);
      let report: RunReport;
      try {
        const job = {
          code,
          filename: FILENAME,
          env: policy.allowEnv ? { ...request.env } : {},
          ...(request.input !== undefined ? { input: JSON.stringify(request.input) } : {}),
        };
        report = await runner.run(job, limits, request.signal);
      } catch (error) {
        runner.kill();
        throw new BackendUnavailableError(
          'node',
          `could not start a runner process: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      } finally {
        void runner.dispose(false).then(() => this.#live.delete(runner));
        this.#pool?.refillSoon();
      }
      const result = this.#result(report, limits);
      result.timing = { queuedMs, compileMs, runMs: report.runMs, totalMs: 0 };
      return this.#finish(result, started);
    } finally {
      release();
    }
  }

  #profile(limits: Limits, policy: Policy): RunnerProfile {
    return {
      runnerPath: this.#runnerPath,
      memoryMb: Math.max(16, Math.floor(limits.memoryBytes / MIB)),
      readPaths: policy.readPaths,
      writePaths: policy.writePaths,
      allowNetwork: policy.allowNetwork,
      allowProcesses: policy.allowProcesses,
    };
  }

  #result(report: RunReport, limits: Limits): ExecutionResult {
    const base = { stdout: report.stdout, stderr: report.stderr, truncated: report.truncated };
    const { outcome } = report;
    switch (outcome.kind) {
      case 'timeout':
        return this.#limitResult(base, {
          name: 'timeoutMs',
          allowed: limits.timeoutMs,
          used: Math.round(report.runMs),
          message: `execution passed its ${limits.timeoutMs} ms deadline (pending timers and promises included); its process was killed`,
        });
      case 'output_limit':
        return this.#limitResult(base, {
          name: 'maxOutputBytes',
          allowed: limits.maxOutputBytes,
          used: report.outputChargedBytes,
          message: `output passed maxOutputBytes (${limits.maxOutputBytes} bytes); the process was killed`,
        });
      case 'cancelled':
        return {
          ...emptyResult(this.name, 'cancelled', {
            kind: 'cancelled',
            message: 'the caller cancelled the execution',
          }),
          ...base,
        };
      case 'exited': {
        if (/heap out of memory|Reached heap limit|Allocation failed/i.test(report.stderr)) {
          return this.#limitResult(base, {
            name: 'memoryBytes',
            allowed: limits.memoryBytes,
            message: `the code ran out of its ${Math.floor(limits.memoryBytes / MIB)} MiB heap`,
          });
        }
        const how = outcome.signal ? `signal ${outcome.signal}` : `exit code ${outcome.code}`;
        return {
          ...emptyResult(this.name, 'error', {
            kind: 'exit',
            message: `the process ended (${how}) before returning a result`,
          }),
          ...base,
          ...(outcome.code !== null ? { exitCode: outcome.code } : {}),
        };
      }
      case 'result': {
        const { result } = outcome;
        if (result.error) return { ...emptyResult(this.name, 'error', result.error), ...base };
        const ok: ExecutionResult = { ...emptyResult(this.name, 'ok'), ...base, exitCode: 0 };
        const decoded = decodeResultValue({ json: result.valueJson, description: result.valueDescription });
        if (!decoded.ok) {
          return {
            ...emptyResult(this.name, 'error', { kind: 'result_channel', message: decoded.message }),
            ...base,
          };
        }
        if ('value' in decoded) ok.value = decoded.value;
        return ok;
      }
    }
  }

  #limitResult(
    base: Pick<ExecutionResult, 'stdout' | 'stderr' | 'truncated'>,
    exceeded: Parameters<typeof limitExceeded>[0],
  ): ExecutionResult {
    const { status, error } = limitExceeded(exceeded);
    return { ...emptyResult(this.name, status, error), ...base };
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
    };
  }

  async health(): Promise<BackendHealth> {
    const details: Record<string, unknown> = {
      ...this.stats(),
      networkIsolation: this.isolation.networkIsolation,
      permissionModel: this.isolation.permissionFlag ?? 'unavailable',
      ...(this.isolation.namespaceProblem ? { namespaceProblem: this.isolation.namespaceProblem } : {}),
    };
    if (this.#closed) return { healthy: false, message: 'closed', details };
    if (!this.isolation.permissionFlag) {
      return { healthy: false, message: `Node ${process.version} has no permission model`, details };
    }
    return { healthy: true, message: `ok (network isolation: ${this.isolation.networkIsolation})`, details };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool?.close();
    await Promise.all([...this.#live].map((p) => p.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
