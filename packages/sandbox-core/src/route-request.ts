import { analyzeCode } from './analyze-code.js';
import type { BackendCapabilities } from './backend.js';
import { InvalidRequestError } from './errors/invalid-request-error.js';
import type { BackendKind, ExecutionRequest } from './execution-request.js';

/** `hybrid` routes per request; any backend kind pins every request that kind can run to it. */
export type SandboxMode = 'hybrid' | BackendKind;

export interface RouteContext {
  mode: SandboxMode;
  /** The configured backends' capabilities, in preference order (first is preferred). */
  backends: ReadonlyArray<readonly [BackendKind, BackendCapabilities]>;
  /** Hybrid: share of ratio-routed requests that go to a fuel-metered backend (wasm), 0..1. */
  wasmRatio: number;
  /** Hybrid: use the code heuristic before the ratio. */
  intelligentRouting: boolean;
  /** Requests larger than this (characters) count as "large" for the heuristic. */
  smallCodeChars?: number;
}

export interface Route {
  backend: BackendKind;
  reason: string;
}

const DEFAULT_SMALL_CODE_CHARS = 4_000;
const SCANNED_LANGUAGES = new Set(['javascript', 'typescript']);

/**
 * Chooses a backend from capabilities, never from hard-coded names. Order: the caller's explicit
 * choice; the only backend that runs the language; the pinned mode; in hybrid mode, between a
 * general backend (one with Node APIs) and a metered one (one with fuel): the code heuristic when
 * enabled, else the ratio, deterministic per request id; otherwise the first capable backend in
 * preference order. Pure and synchronous.
 */
export function routeRequest(request: ExecutionRequest, requestId: string, ctx: RouteContext): Route {
  const capable = capableBackends(request, ctx);
  if (capable.length === 0) {
    throw new InvalidRequestError(
      'language',
      `no configured backend runs '${String(request.language)}' (configured languages: ${configuredLanguages(ctx.backends).join(', ') || 'none'})`,
    );
  }

  if (request.backend !== undefined) {
    if (!ctx.backends.some(([kind]) => kind === request.backend)) {
      throw new InvalidRequestError(
        'backend',
        `backend '${request.backend}' is not configured (configured: ${ctx.backends.map(([k]) => k).join(', ')})`,
      );
    }
    if (!capable.some(([kind]) => kind === request.backend)) {
      throw new InvalidRequestError(
        'backend',
        `backend '${request.backend}' does not run '${request.language}' code`,
      );
    }
    return { backend: request.backend, reason: 'explicit: requested by the caller' };
  }

  const [first] = capable[0]!;
  if (capable.length === 1)
    return { backend: first, reason: `capability: only ${first} runs ${request.language}` };
  const general = capable.find(([, caps]) => caps.nodeApis)?.[0];
  const metered = capable.find(([, caps]) => caps.fuel && !caps.nodeApis)?.[0];
  const scanned = typeof request.code === 'string' && SCANNED_LANGUAGES.has(request.language);
  const analysis = scanned ? analyzeCode(request.code as string) : undefined;
  if (analysis?.nodeApi && general) {
    return { backend: general, reason: `capability: uses Node API (${analysis.nodeApi})` };
  }
  if (ctx.mode !== 'hybrid') {
    if (capable.some(([kind]) => kind === ctx.mode))
      return { backend: ctx.mode, reason: `mode: ${ctx.mode}` };
    return { backend: first, reason: `capability: ${ctx.mode} does not run ${request.language}` };
  }
  if (!general || !metered)
    return { backend: first, reason: `preference: first of ${capable.length} that run ${request.language}` };

  if (analysis && ctx.intelligentRouting) {
    if (analysis.asyncHeavy)
      return { backend: general, reason: `heuristic: async-heavy (${analysis.asyncHeavy})` };
    const small = ctx.smallCodeChars ?? DEFAULT_SMALL_CODE_CHARS;
    if (analysis.length > small) {
      return { backend: general, reason: `heuristic: large code (${analysis.length} > ${small} chars)` };
    }
    return { backend: metered, reason: `heuristic: small pure computation (${analysis.length} chars)` };
  }
  const draw = unitHash(requestId);
  const backend = draw < ctx.wasmRatio ? metered : general;
  return { backend, reason: `ratio: draw ${draw.toFixed(3)} vs wasmRatio ${ctx.wasmRatio}` };
}

/** The configured backends (in preference order) whose capabilities include the request's language. */
export function capableBackends(
  request: Pick<ExecutionRequest, 'language'>,
  ctx: Pick<RouteContext, 'backends'>,
): Array<readonly [BackendKind, BackendCapabilities]> {
  return ctx.backends.filter(([, caps]) => caps.languages.includes(request.language));
}

/** Every language some configured backend declares, sorted, without repeats. */
export function configuredLanguages(backends: RouteContext['backends']): string[] {
  return [...new Set(backends.flatMap(([, caps]) => caps.languages))].sort();
}

/** FNV-1a of the id, mapped to [0, 1): stable across processes and machines. */
export function unitHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 0x1_0000_0000;
}
