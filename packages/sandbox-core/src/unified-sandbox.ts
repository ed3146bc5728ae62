import type { Backend, BackendCapabilities, BackendHealth } from './backend.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { CancelledError } from './errors/cancelled-error.js';
import { InvalidRequestError } from './errors/invalid-request-error.js';
import type { BackendKind, ExecutionRequest } from './execution-request.js';
import { type ExecutionResult, emptyResult, type RouteDecision } from './execution-result.js';
import { type Limits, type Policy, resolveLimits, resolvePolicy } from './limits.js';
import type { SandboxConfig } from './load-config.js';
import { precheckPolicy } from './policy-precheck.js';
import { type Route, routeRequest, type SandboxMode } from './route-request.js';
import { type MetricsSnapshot, SandboxMetrics } from './sandbox-metrics.js';
import { validateRequest } from './validate-request.js';

export interface UnifiedSandboxOptions {
  /** Backends by kind. At least one. */
  backends: Partial<Record<BackendKind, Backend>>;
  /** `node`, `wasm` or `hybrid`. Default `hybrid`. */
  mode?: SandboxMode;
  /** Hybrid: share of ratio-routed requests that go to wasm, 0..1. Default 0.5. */
  wasmRatio?: number;
  /** Hybrid: route by a cheap code heuristic before the ratio. Default true. */
  intelligentRouting?: boolean;
  /** Executions running at once. Default 20. */
  maxConcurrency?: number;
  /** Executions waiting beyond that before `QueueFullError`. Default 1000. */
  maxQueue?: number;
  /** Limits applied where a request gives none. */
  limits?: Partial<Limits>;
  /** Policy applied where a request gives none. */
  policy?: Partial<Policy>;
  /** How long a backend's reported health is trusted before it is asked again (ms). Default 1000. */
  healthTtlMs?: number;
  /** Executions kept for latency percentiles. Default 1000. */
  metricsWindow?: number;
}

export interface SandboxHealth {
  healthy: boolean;
  mode: SandboxMode;
  backends: Partial<Record<BackendKind, BackendHealth & { capabilities: BackendCapabilities }>>;
  queueDepth: number;
  inFlight: number;
}

interface HealthEntry {
  health: BackendHealth;
  at: number;
  pending?: Promise<BackendHealth>;
}

/**
 * The front door: validates, pre-checks the policy, routes to a backend (with fallback), bounds
 * concurrency, and keeps metrics. Failures of the user's code come back as results, never throws.
 */
export class UnifiedSandbox {
  readonly mode: SandboxMode;
  readonly wasmRatio: number;
  readonly intelligentRouting: boolean;
  readonly #backends: Partial<Record<BackendKind, Backend>>;
  readonly #capabilities: Partial<Record<BackendKind, BackendCapabilities>>;
  readonly #limiter: ConcurrencyLimiter;
  readonly #metrics: SandboxMetrics;
  readonly #limits: Limits;
  readonly #policy: Policy;
  readonly #healthTtlMs: number;
  readonly #health = new Map<BackendKind, HealthEntry>();
  #sequence = 0;
  #closed = false;

  constructor(options: UnifiedSandboxOptions) {
    const kinds = Object.keys(options.backends).filter(
      (k) => options.backends[k as BackendKind],
    ) as BackendKind[];
    if (kinds.length === 0) throw new InvalidRequestError('backends', 'at least one backend is required');
    this.mode = options.mode ?? 'hybrid';
    if (this.mode !== 'hybrid' && !options.backends[this.mode]) {
      throw new InvalidRequestError('mode', `mode '${this.mode}' needs a '${this.mode}' backend`);
    }
    this.wasmRatio = options.wasmRatio ?? 0.5;
    if (!(this.wasmRatio >= 0 && this.wasmRatio <= 1))
      throw new InvalidRequestError('wasmRatio', 'must be in [0, 1]');
    this.intelligentRouting = options.intelligentRouting ?? true;
    this.#backends = { ...options.backends };
    this.#capabilities = {};
    for (const kind of kinds) this.#capabilities[kind] = this.#backends[kind]!.capabilities();
    this.#limiter = new ConcurrencyLimiter({
      maxConcurrency: options.maxConcurrency,
      maxQueue: options.maxQueue,
    });
    this.#metrics = new SandboxMetrics(options.metricsWindow);
    this.#limits = resolveLimits(options.limits);
    this.#policy = resolvePolicy(options.policy);
    this.#healthTtlMs = options.healthTtlMs ?? 1000;
  }

  /** Builds a sandbox from a validated `SandboxConfig` (see `loadConfig`). */
  static fromConfig(
    config: SandboxConfig,
    backends: Partial<Record<BackendKind, Backend>>,
    extra: Partial<UnifiedSandboxOptions> = {},
  ): UnifiedSandbox {
    return new UnifiedSandbox({
      mode: config.backend,
      wasmRatio: config.wasmRatio,
      maxConcurrency: config.maxConcurrency,
      limits: {
        timeoutMs: config.timeoutMs,
        memoryBytes: config.memoryMb * 1024 * 1024,
        maxOutputBytes: config.maxOutputBytes,
      },
      ...extra,
      backends,
    });
  }

  get backends(): Readonly<Partial<Record<BackendKind, Backend>>> {
    return this.#backends;
  }

  /** Runs one request. Throws only for a bad request (`InvalidRequestError`), a full queue or a closed sandbox. */
  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now();
    if (this.#closed) throw new InvalidRequestError('sandbox', 'the sandbox is closed');
    validateRequest(request);
    const id = request.id ?? `req-${process.pid}-${++this.#sequence}`;
    const policy = resolvePolicy(request.policy, this.#policy);
    const effective: ExecutionRequest = {
      ...request,
      id,
      limits: resolveLimits(request.limits, this.#limits),
      policy,
    };

    const denial = precheckPolicy(effective, policy);
    if (denial) {
      const result = emptyResult('sandbox', 'denied', { kind: 'policy', message: denial.reason });
      result.route = { mode: this.mode, reason: `policy pre-check: ${denial.rule} (${denial.match})` };
      return this.#finish(result, started, 0);
    }

    let route = routeRequest(effective, id, {
      mode: this.mode,
      backends: this.#capabilities,
      wasmRatio: this.wasmRatio,
      intelligentRouting: this.intelligentRouting,
    });
    route = this.#applyHealthFallback(route, effective);

    let release: () => void;
    try {
      release = await this.#limiter.acquire(request.signal);
    } catch (error) {
      if (!CancelledError.isInstance(error)) throw error;
      const result = emptyResult(route.backend, 'cancelled', { kind: 'cancelled', message: error.message });
      result.route = { mode: this.mode, reason: route.reason };
      return this.#finish(result, started, performance.now() - started);
    }
    const queuedMs = performance.now() - started;
    try {
      const result = await this.#run(route, effective);
      return this.#finish(result, started, queuedMs);
    } finally {
      release();
    }
  }

  async #run(route: Route, request: ExecutionRequest): Promise<ExecutionResult> {
    const backend = this.#backends[route.backend]!;
    try {
      const result = await backend.execute(request);
      result.route = this.#decision(route);
      return result;
    } catch (error) {
      if (InvalidRequestError.isInstance(error)) throw error;
      const other = this.#alternative(route.backend, request);
      this.#markUnhealthy(route.backend, error);
      if (!other) throw error;
      const result = await this.#backends[other]!.execute(request);
      result.route = this.#decision({
        backend: other,
        reason: `${route.reason}; fallback: ${route.backend} failed (${errorMessage(error)}), ran on ${other}`,
      });
      return result;
    }
  }

  #decision(route: Route): RouteDecision {
    return { mode: this.mode, reason: route.reason };
  }

  #finish(result: ExecutionResult, started: number, queuedMs: number): ExecutionResult {
    const totalMs = performance.now() - started;
    result.timing = { ...result.timing, queuedMs, totalMs };
    this.#metrics.record(result, totalMs);
    return result;
  }

  #applyHealthFallback(route: Route, request: ExecutionRequest): Route {
    const entry = this.#cachedHealth(route.backend);
    if (!entry || entry.healthy) return route;
    const other = this.#alternative(route.backend, request);
    if (!other) return route;
    const otherHealth = this.#cachedHealth(other);
    if (otherHealth && !otherHealth.healthy) return route;
    return {
      backend: other,
      reason: `${route.reason}; fallback: ${route.backend} unhealthy (${entry.message ?? 'no reason given'}), ran on ${other}`,
    };
  }

  /** The other configured backend that can run this request, unless the caller pinned one. */
  #alternative(kind: BackendKind, request: ExecutionRequest): BackendKind | undefined {
    if (request.backend) return undefined;
    const other: BackendKind = kind === 'node' ? 'wasm' : 'node';
    return this.#capabilities[other]?.languages.includes(request.language) ? other : undefined;
  }

  /** Last known health; refreshes in the background when stale so the hot path never waits on it. */
  #cachedHealth(kind: BackendKind): BackendHealth | undefined {
    const entry = this.#health.get(kind);
    const now = Date.now();
    if (!entry || now - entry.at > this.#healthTtlMs) void this.#refreshHealth(kind);
    return entry?.health;
  }

  #refreshHealth(kind: BackendKind): Promise<BackendHealth> {
    const existing = this.#health.get(kind);
    if (existing?.pending) return existing.pending;
    const backend = this.#backends[kind]!;
    const pending = backend.health().then(
      (health) => health,
      (error: unknown): BackendHealth => ({
        healthy: false,
        message: `health check failed: ${errorMessage(error)}`,
      }),
    );
    const entry: HealthEntry = existing ?? { health: { healthy: true }, at: 0 };
    entry.pending = pending;
    this.#health.set(kind, entry);
    return pending.then((health) => {
      this.#health.set(kind, { health, at: Date.now() });
      return health;
    });
  }

  #markUnhealthy(kind: BackendKind, error: unknown): void {
    this.#health.set(kind, { health: { healthy: false, message: errorMessage(error) }, at: Date.now() });
  }

  metrics(): MetricsSnapshot {
    return this.#metrics.snapshot({ queueDepth: this.#limiter.queued, inFlight: this.#limiter.inFlight });
  }

  /** Asks every backend for its health now and aggregates: healthy when all configured backends are. */
  async health(): Promise<SandboxHealth> {
    const kinds = Object.keys(this.#backends) as BackendKind[];
    const entries = await Promise.all(
      kinds.map(async (kind) => [kind, await this.#refreshHealth(kind)] as const),
    );
    const backends: SandboxHealth['backends'] = {};
    for (const [kind, health] of entries)
      backends[kind] = { ...health, capabilities: this.#capabilities[kind]! };
    return {
      healthy: entries.every(([, h]) => h.healthy),
      mode: this.mode,
      backends,
      queueDepth: this.#limiter.queued,
      inFlight: this.#limiter.inFlight,
    };
  }

  /** Closes every backend. Further `execute` calls throw. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(Object.values(this.#backends).map((b) => b?.close()));
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
