import type { Limits, Policy } from './limits.js';

export type Language = 'javascript' | 'typescript' | 'wasm' | 'wat';
export const LANGUAGES: readonly Language[] = ['javascript', 'typescript', 'wasm', 'wat'];

/** The backends `UnifiedSandbox` knows how to route between. */
export type BackendKind = 'node' | 'wasm';
export const BACKEND_KINDS: readonly BackendKind[] = ['node', 'wasm'];

export interface ExecutionRequest {
  /** Caller-chosen id; makes ratio routing deterministic. Generated when absent. */
  id?: string;
  language: Language;
  /** Source text, or module bytes for `wasm` (a base64 string is accepted too). */
  code: string | Uint8Array;
  /** JSON value the code can read as `input` (JS), or on stdin when no `stdin` is given (WASI commands). */
  input?: unknown;
  stdin?: string;
  args?: string[];
  env?: Record<string, string>;
  /** For wasm modules: call this exported function (with numeric `input` array as arguments) instead of `_start`. */
  entry?: string;
  /** Seed files for an in-memory filesystem, when the policy allows one. */
  files?: Record<string, string | Uint8Array>;
  /** Force a backend; otherwise the sandbox routes. */
  backend?: BackendKind;
  limits?: Partial<Limits>;
  policy?: Partial<Policy>;
  signal?: AbortSignal;
}
