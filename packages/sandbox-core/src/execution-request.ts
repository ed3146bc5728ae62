import type { Limits, Policy } from './limits.js';

/** The languages the built-in backends run. Contributed backends may declare any other name. */
export type BuiltinLanguage = 'javascript' | 'typescript' | 'wasm' | 'wat';

/**
 * A language name. Any string a configured backend declares in `capabilities().languages` is
 * accepted; the built-in names stay typed so call sites read as before.
 */
export type Language = BuiltinLanguage | (string & {});

/** The built-in language names, in no particular order. */
export const LANGUAGES: readonly BuiltinLanguage[] = ['javascript', 'typescript', 'wasm', 'wat'];

/** The kinds (names) of the built-in backends. */
export type BuiltinBackendKind = 'node' | 'wasm';

/**
 * A backend's kind: the name it is configured under in `UnifiedSandbox` (and that it reports in
 * `Backend.name`). Any string; the built-in kinds stay typed.
 */
export type BackendKind = BuiltinBackendKind | (string & {});

/** The kinds of the built-in backends. */
export const BACKEND_KINDS: readonly BuiltinBackendKind[] = ['node', 'wasm'];

/** Lowercase letters, digits and dashes, starting with a letter: safe in env vars, schemas and logs. */
export const KIND_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;

export interface ExecutionRequest {
  /** Caller-chosen id; makes ratio routing deterministic. Generated when absent. */
  id?: string;
  /** Any language a configured backend declares. */
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
  /** Force a backend (by the kind it is configured under); otherwise the sandbox routes. */
  backend?: BackendKind;
  limits?: Partial<Limits>;
  policy?: Partial<Policy>;
  signal?: AbortSignal;
  /**
   * Run in a session (see `UnifiedSandbox.createSession`): the call starts from the session's state
   * and, when it ends with `ok`, the session keeps the state it ended in. A call that does not end
   * with `ok` leaves the session as it was. Such calls go only to a backend with
   * `capabilities().sessions`, and one session's calls run one at a time.
   */
  sessionId?: string;
  /**
   * What a session run needs from the backend (set by `UnifiedSandbox` for `sessionId`; direct
   * users of a backend with `capabilities().sessions` may set it themselves): start from `restore`
   * (a `state` an earlier result returned), and with `save`, return the state after an `ok` run as
   * `result.state`, at most `maxStateBytes` long.
   */
  session?: { restore?: SessionState; save?: boolean; maxStateBytes?: number };
}

/**
 * The whole state of a sandbox after a run (for the wasm backend: the JavaScript engine's memory
 * and globals, compressed), as opaque bytes: a `base`, and optionally a `delta` on that base. A
 * run that changed little returns the very `base` object it started from and a new `delta`, so a
 * store can rewrite only the delta. The bytes are data the code shaped: a backend decodes them only
 * inside its sandbox, checks them, and refuses a state whose `engine` is not the one it runs.
 */
export interface SessionState {
  base: Uint8Array;
  delta?: Uint8Array;
  /** Identity of the engine that wrote it (64 hex digits for the wasm backend). */
  engine: string;
}
