import type { Backend, BackendCapabilities, BackendHealth } from './backend.js';
import { limitsFromConfig } from './backend-kit/limits-from-config.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { BackendUnavailableError } from './errors/backend-unavailable-error.js';
import { CancelledError } from './errors/cancelled-error.js';
import { ConfigError } from './errors/config-error.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { InvalidRequestError } from './errors/invalid-request-error.js';
import { type BackendKind, type ExecutionRequest, KIND_PATTERN } from './execution-request.js';
import { type ExecutionResult, emptyResult, type RouteDecision } from './execution-result.js';
import { type Limits, type Policy, resolveLimits, resolvePolicy } from './limits.js';
import type { SandboxConfig } from './load-config.js';
import { precheckPolicy } from './policy-precheck.js';
import { configuredLanguages, type Route, routeRequest, type SandboxMode } from './route-request.js';
import { type MetricsSnapshot, SandboxMetrics } from './sandbox-metrics.js';
import {
  type CreateSessionOptions,
  type SessionCallInfo,
  SessionManager,
  type SessionManagerOptions,
} from './sessions/session-manager.js';
import type { SessionInfo } from './sessions/session-store.js';
import { validateRequest } from './validate-request.js';

export interface UnifiedSandboxOptions {
  /**
   * Backends by kind (any number, at least one). Each key is the kind requests and `mode` name;
   * key order is the routing preference unless `order` says otherwise.
   */
  backends: Readonly<Partial<Record<BackendKind, Backend>>>;
  /** Preference order of the kinds when several can run a request. Default: the keys' order. */
  order?: readonly BackendKind[];
  /** `hybrid` (route per request), or a configured kind that runs everything it can. Default `hybrid`. */
  mode?: SandboxMode;
  /** Hybrid: share of ratio-routed requests that go to a fuel-metered backend (wasm), 0..1. Default 0.5. */
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
  /**
   * Sessions (`createSession`, `execute({ sessionId })`): where they live (default: this process's
   * memory) and their caps. They run on the first backend, in preference order, whose
   * capabilities say `sessions` and that runs the call's language.
   */
  sessions?: SessionManagerOptions | SessionManager;
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
 * Any number of backends of any kind; nothing here knows the built-in ones by name.
 */
export class UnifiedSandbox {
  readonly mode: SandboxMode;
  readonly wasmRatio: number;
  readonly intelligentRouting: boolean;
  /** Configured kinds in preference order. */
  readonly kinds: readonly BackendKind[];
  readonly #backends: ReadonlyMap<BackendKind, Backend>;
  readonly #capabilities: ReadonlyArray<readonly [BackendKind, BackendCapabilities]>;
  readonly #limiter: ConcurrencyLimiter;
  readonly #metrics: SandboxMetrics;
  readonly #limits: Limits;
  readonly #policy: Policy;
  readonly #healthTtlMs: number;
  readonly #health = new Map<BackendKind, HealthEntry>();
  /** Sessions: created on first use, so a sandbox that never uses them starts no sweep. */
  #sessions: SessionManager | undefined;
  readonly #sessionOptions: SessionManagerOptions | SessionManager | undefined;
  #sequence = 0;
  #closed = false;

  constructor(options: UnifiedSandboxOptions) {
    const given = Object.entries(options.backends ?? {}).filter(
      (entry): entry is [string, Backend] => entry[1] !== undefined,
    );
    if (given.length === 0) {
      throw new InvalidArgumentError({
        argument: 'backends',
        value: options.backends,
        message: 'at least one backend is required',
      });
    }
    for (const [kind, backend] of given) checkBackend(kind, backend);
    const byKind = new Map(given);
    const order = options.order ?? given.map(([kind]) => kind);
    for (const kind of order) {
      if (!byKind.has(kind)) {
        throw new InvalidArgumentError({
          argument: 'order',
          value: order,
          message: `'${kind}' is not a configured backend`,
        });
      }
    }
    this.kinds = [...new Set([...order, ...byKind.keys()])];
    this.mode = options.mode ?? 'hybrid';
    if (this.mode !== 'hybrid' && !byKind.has(this.mode)) {
      throw new InvalidArgumentError({
        argument: 'mode',
        value: this.mode,
        message: `must be 'hybrid' or a configured backend (${this.kinds.join(', ')})`,
      });
    }
    this.wasmRatio = options.wasmRatio ?? 0.5;
    if (!(this.wasmRatio >= 0 && this.wasmRatio <= 1)) {
      throw new InvalidArgumentError({
        argument: 'wasmRatio',
        value: this.wasmRatio,
        message: 'must be in [0, 1]',
      });
    }
    this.intelligentRouting = options.intelligentRouting ?? true;
    this.#backends = byKind;
    this.#capabilities = this.kinds.map((kind) => [kind, byKind.get(kind)!.capabilities()] as const);
    this.#limiter = new ConcurrencyLimiter({
      maxConcurrency: options.maxConcurrency,
      maxQueue: options.maxQueue,
    });
    this.#metrics = new SandboxMetrics(options.metricsWindow);
    this.#limits = resolveLimits(options.limits);
    this.#policy = resolvePolicy(options.policy);
    this.#healthTtlMs = options.healthTtlMs ?? 1000;
    this.#sessionOptions = options.sessions;
  }

  /** The sessions of this sandbox (see `UnifiedSandboxOptions.sessions`). */
  get sessions(): SessionManager {
    this.#sessions ??=
      this.#sessionOptions instanceof SessionManager
        ? this.#sessionOptions
        : new SessionManager({ defaultTimeoutMs: this.#limits.timeoutMs, ...this.#sessionOptions });
    return this.#sessions;
  }

  /** A new session: its calls (`execute({ sessionId })`) keep JavaScript state from one to the next. */
  async createSession(options?: CreateSessionOptions): Promise<SessionInfo> {
    this.#sessionBackend('javascript');
    return this.sessions.create(options);
  }

  /** A new session starting from another's last saved state; changing one never touches the other. */
  forkSession(id: string, options?: CreateSessionOptions): Promise<SessionInfo> {
    return this.sessions.fork(id, options);
  }

  listSessions(limit?: number): Promise<SessionInfo[]> {
    return this.sessions.list(limit);
  }

  deleteSession(id: string): Promise<boolean> {
    return this.sessions.delete(id);
  }

  /** The backend that runs session calls in `language`, or an `InvalidRequestError` saying there is none. */
  #sessionBackend(language: string, pinned?: BackendKind): BackendKind {
    const found = this.#capabilities.find(
      ([kind, caps]) =>
        caps.sessions === true &&
        caps.languages.includes(language) &&
        (pinned === undefined || kind === pinned),
    );
    if (!found) {
      throw new InvalidRequestError(
        pinned ? 'backend' : 'sessionId',
        pinned
          ? `backend '${pinned}' does not keep session state for ${language}`
          : `no configured backend keeps session state for ${language} (sessions run JavaScript on the wasm backend)`,
      );
    }
    return found[0];
  }

  /**
   * Builds a sandbox from a validated `SandboxConfig` (see `loadConfig`). A mode naming no configured
   * backend is a `ConfigError` for `MCP_SANDBOX_BACKEND`.
   */
  static fromConfig(
    config: SandboxConfig,
    backends: Readonly<Partial<Record<BackendKind, Backend>>>,
    extra: Partial<UnifiedSandboxOptions> = {},
  ): UnifiedSandbox {
    const configured = Object.keys(backends).filter((kind) => backends[kind] !== undefined);
    if (config.backend !== 'hybrid' && !configured.includes(config.backend)) {
      throw new ConfigError('MCP_SANDBOX_BACKEND', config.backend, ['hybrid', ...configured].join(' | '));
    }
    return new UnifiedSandbox({
      mode: config.backend,
      wasmRatio: config.wasmRatio,
      maxConcurrency: config.maxConcurrency,
      limits: limitsFromConfig(config),
      ...extra,
      backends,
    });
  }

  /** The configured backends by kind. */
  get backends(): Readonly<Partial<Record<BackendKind, Backend>>> {
    return Object.fromEntries(this.#backends);
  }

  /** Each configured kind's capabilities, in preference order. */
  capabilities(): Array<{ kind: BackendKind; capabilities: BackendCapabilities }> {
    return this.#capabilities.map(([kind, capabilities]) => ({ kind, capabilities }));
  }

  /** Every language some configured backend runs, sorted. */
  languages(): string[] {
    return configuredLanguages(this.#capabilities);
  }

  /**
   * Runs one request. Throws only for a bad request (`InvalidRequestError`), a session that cannot
   * take the call (`SessionError`), a full queue or a closed sandbox. With `sessionId`, the call
   * runs in that session's state on a backend that keeps sessions, and the result says whether its
   * end state was kept (`result.session`).
   */
  async execute(request: ExecutionRequest): Promise<ExecutionResult & { session?: SessionCallInfo }> {
    if (this.#closed) throw new BackendUnavailableError('sandbox', 'the sandbox is closed');
    validateRequest(request);
    if (request.sessionId !== undefined) {
      if (request.session) {
        throw new InvalidRequestError(
          'session',
          'is set by the sandbox for sessionId; give one or the other',
        );
      }
      const backend = this.#sessionBackend(request.language, request.backend);
      const { sessionId, ...rest } = request;
      return this.sessions.run(sessionId, { ...rest, backend }, async (inSession) => {
        const result = await this.#executeOne(inSession);
        if (result.route)
          result.route = { mode: this.mode, reason: `session: ${backend} keeps the session's state` };
        return result;
      });
    }
    return this.#executeOne(request);
  }

  async #executeOne(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now();
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
    const backend = this.#backends.get(route.backend)!;
    try {
      const result = await backend.execute(request);
      result.route = this.#decision(route);
      return result;
    } catch (error) {
      if (InvalidRequestError.isInstance(error)) throw error;
      this.#markUnhealthy(route.backend, error);
      const other = this.#alternative(route.backend, request);
      if (!other) throw error;
      const result = await this.#backends.get(other)!.execute(request);
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
    return {
      backend: other,
      reason: `${route.reason}; fallback: ${route.backend} unhealthy (${entry.message ?? 'no reason given'}), ran on ${other}`,
    };
  }

  /**
   * The next configured backend, in preference order, that runs this request's language and is not
   * known to be unhealthy; none when the caller pinned a backend.
   */
  #alternative(kind: BackendKind, request: ExecutionRequest): BackendKind | undefined {
    if (request.backend !== undefined) return undefined;
    for (const [other, caps] of this.#capabilities) {
      if (other === kind || !caps.languages.includes(request.language)) continue;
      const health = this.#cachedHealth(other);
      if (!health || health.healthy) return other;
    }
    return undefined;
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
    const backend = this.#backends.get(kind)!;
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
    const entries = await Promise.all(
      this.#capabilities.map(
        async ([kind, capabilities]) =>
          [kind, { ...(await this.#refreshHealth(kind)), capabilities }] as const,
      ),
    );
    return {
      healthy: entries.every(([, h]) => h.healthy),
      mode: this.mode,
      backends: Object.fromEntries(entries),
      queueDepth: this.#limiter.queued,
      inFlight: this.#limiter.inFlight,
    };
  }

  /** Closes every backend. Further `execute` calls throw. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sessions?.close();
    await Promise.all([...this.#backends.values()].map((b) => b.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A backend must implement this contract version and carry a usable kind. */
function checkBackend(kind: string, backend: Backend): void {
  if (!KIND_PATTERN.test(kind)) {
    throw new InvalidArgumentError({
      argument: 'backends',
      value: kind,
      message: `kind '${kind}' must be lowercase letters, digits and dashes, starting with a letter`,
    });
  }
  if (backend.specificationVersion !== 'v1') {
    throw new InvalidArgumentError({
      argument: `backends.${kind}`,
      value: backend.specificationVersion,
      message: `implements contract version ${String(backend.specificationVersion)}; this sandbox supports v1`,
    });
  }
  if (typeof backend.execute !== 'function' || typeof backend.capabilities !== 'function') {
    throw new InvalidArgumentError({
      argument: `backends.${kind}`,
      value: backend,
      message: 'is not a Backend',
    });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
