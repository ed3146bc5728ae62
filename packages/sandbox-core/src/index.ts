export { analyzeCode, type CodeAnalysis } from './analyze-code.js';
export type {
  Backend,
  BackendCapabilities,
  BackendHealth,
  IsolationLevel,
  NetworkIsolation,
} from './backend.js';
export * from './backend-kit/index.js';
export {
  type CompiledModule,
  type CompileOptions,
  type Compiler,
  type MeteredModule,
  RESULT_CHANNEL_SECTION,
  type ResultRecord,
} from './compiler.js';
export { ConcurrencyLimiter, type ConcurrencyLimiterOptions } from './concurrency-limiter.js';
export * from './errors/index.js';
export {
  BACKEND_KINDS,
  type BackendKind,
  type BuiltinBackendKind,
  type BuiltinLanguage,
  type ExecutionRequest,
  KIND_PATTERN,
  LANGUAGES,
  type Language,
  type SessionState,
} from './execution-request.js';
export {
  EXECUTION_STATUSES,
  type ExecutionError,
  type ExecutionResult,
  type ExecutionStatus,
  type ExecutionTiming,
  emptyResult,
  type RouteDecision,
} from './execution-result.js';
export {
  DEFAULT_LIMITS,
  DEFAULT_POLICY,
  type Limits,
  type Policy,
  resolveLimits,
  resolvePolicy,
} from './limits.js';
export { CONFIG_VARIABLES, DEFAULT_CONFIG, loadConfig, type SandboxConfig } from './load-config.js';
export { LruCache } from './lru-cache.js';
export { type PrecheckDenial, precheckPolicy } from './policy-precheck.js';
export {
  capableBackends,
  configuredLanguages,
  type Route,
  type RouteContext,
  routeRequest,
  type SandboxMode,
  unitHash,
} from './route-request.js';
export {
  type LatencySummary,
  type MetricsSnapshot,
  type RunStats,
  SandboxMetrics,
  summarize,
} from './sandbox-metrics.js';
export {
  type CreateSessionOptions,
  DEFAULT_SESSION_LIMITS,
  type SessionCallInfo,
  type SessionLimits,
  SessionManager,
  type SessionManagerOptions,
} from './sessions/session-manager.js';
export {
  type LeaseOutcome,
  MemorySessionStore,
  type SessionCommit,
  type SessionInfo,
  type SessionStore,
} from './sessions/session-store.js';
export { type SandboxHealth, UnifiedSandbox, type UnifiedSandboxOptions } from './unified-sandbox.js';
export { validateRequest } from './validate-request.js';
