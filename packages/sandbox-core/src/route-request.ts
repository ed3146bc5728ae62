import { analyzeCode } from './analyze-code.js';
import type { BackendCapabilities } from './backend.js';
import { InvalidRequestError } from './errors/invalid-request-error.js';
import type { BackendKind, ExecutionRequest } from './execution-request.js';

export type SandboxMode = 'node' | 'wasm' | 'hybrid';

export interface RouteContext {
  mode: SandboxMode;
  /** Capabilities of the configured backends. */
  backends: Partial<Record<BackendKind, BackendCapabilities>>;
  /** Hybrid: share of ratio-routed requests that go to wasm (0..1). */
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

/**
 * Chooses a backend. Order: explicit choice; capability (language, Node APIs); in hybrid mode the
 * heuristic (when enabled), else the ratio, deterministic per request id. Pure and synchronous.
 */
export function routeRequest(request: ExecutionRequest, requestId: string, ctx: RouteContext): Route {
  const capable = capableBackends(request, ctx);
  if (capable.length === 0) {
    throw new InvalidRequestError(
      'language',
      `no configured backend runs '${request.language}' (configured: ${Object.keys(ctx.backends).join(', ') || 'none'})`,
    );
  }

  if (request.backend) {
    if (!ctx.backends[request.backend]) {
      throw new InvalidRequestError('backend', `backend '${request.backend}' is not configured`);
    }
    if (!capable.includes(request.backend)) {
      throw new InvalidRequestError(
        'backend',
        `backend '${request.backend}' does not run '${request.language}' code`,
      );
    }
    return { backend: request.backend, reason: 'explicit: requested by the caller' };
  }

  if (request.language === 'wasm' || request.language === 'wat') {
    if (capable.includes('wasm'))
      return { backend: 'wasm', reason: `capability: ${request.language} runs on wasm` };
  }

  if (
    typeof request.code === 'string' &&
    (request.language === 'javascript' || request.language === 'typescript')
  ) {
    const analysis = analyzeCode(request.code);
    if (analysis.nodeApi && capable.includes('node')) {
      return { backend: 'node', reason: `capability: uses Node API (${analysis.nodeApi})` };
    }
    if (capable.length === 1) {
      return { backend: capable[0]!, reason: `capability: only ${capable[0]} runs ${request.language}` };
    }
    if (ctx.mode !== 'hybrid') return { backend: ctx.mode, reason: `mode: ${ctx.mode}` };
    if (ctx.intelligentRouting) {
      if (analysis.asyncHeavy)
        return { backend: 'node', reason: `heuristic: async-heavy (${analysis.asyncHeavy})` };
      const small = ctx.smallCodeChars ?? DEFAULT_SMALL_CODE_CHARS;
      if (analysis.length > small) {
        return { backend: 'node', reason: `heuristic: large code (${analysis.length} > ${small} chars)` };
      }
      return { backend: 'wasm', reason: `heuristic: small pure computation (${analysis.length} chars)` };
    }
  }

  if (capable.length === 1) {
    return { backend: capable[0]!, reason: `capability: only ${capable[0]} runs ${request.language}` };
  }
  if (ctx.mode !== 'hybrid') return { backend: ctx.mode, reason: `mode: ${ctx.mode}` };
  const draw = unitHash(requestId);
  const backend: BackendKind = draw < ctx.wasmRatio ? 'wasm' : 'node';
  return { backend, reason: `ratio: draw ${draw.toFixed(3)} vs wasmRatio ${ctx.wasmRatio}` };
}

/** Backends (in preference order for the mode) whose capabilities include the request's language. */
export function capableBackends(
  request: ExecutionRequest,
  ctx: Pick<RouteContext, 'mode' | 'backends'>,
): BackendKind[] {
  const order: BackendKind[] = ctx.mode === 'wasm' ? ['wasm', 'node'] : ['node', 'wasm'];
  return order.filter((kind) => ctx.backends[kind]?.languages.includes(request.language));
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
