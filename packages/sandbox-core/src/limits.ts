/** Hard limits for one execution. Each limit that stops code is reported by name in the result. */
export interface Limits {
  /** Wall-clock deadline for the run, in milliseconds. Default 5,000. */
  timeoutMs: number;
  /** Memory cap for the sandboxed code, in bytes. Default 128 MiB. */
  memoryBytes: number;
  /**
   * Fuel budget (deterministic instruction budget) for backends that meter fuel.
   * When absent, backends derive it from `timeoutMs` and their fuel-per-second setting.
   */
  fuel?: number;
  /** Cap on stdout + stderr bytes kept; past it the result is `truncated` and `output_limit`. Default 1 MiB. */
  maxOutputBytes: number;
}

/** What the sandboxed code may do. Everything defaults to "no" except the console. */
export interface Policy {
  /** Let the code write to stdout/stderr. Default true. */
  allowConsole: boolean;
  /** Let the code open network connections. Default false. */
  allowNetwork: boolean;
  /** Let the code start child processes or workers. Default false. */
  allowProcesses: boolean;
  /** Host paths the code may read (node backend). Default none. */
  readPaths: string[];
  /** Host paths the code may write (node backend). Default none. */
  writePaths: string[];
  /** Let the code use an in-memory filesystem seeded from `request.files` (wasm backend). Default false. */
  allowFilesystem: boolean;
  /** Pass the request's `env` to the code. Default true (the host's own env is never passed). */
  allowEnv: boolean;
  /** Make clocks and randomness deterministic (wasm backend). Default false. */
  deterministic: boolean;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  timeoutMs: 5_000,
  memoryBytes: 128 * 1024 * 1024,
  maxOutputBytes: 1024 * 1024,
});

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  allowConsole: true,
  allowNetwork: false,
  allowProcesses: false,
  readPaths: [],
  writePaths: [],
  allowFilesystem: false,
  allowEnv: true,
  deterministic: false,
});

/** Fills the gaps of a partial limits object from defaults (the request's values win). */
export function resolveLimits(
  partial?: Partial<Limits>,
  defaults: Readonly<Limits> = DEFAULT_LIMITS,
): Limits {
  return { ...defaults, ...stripUndefined(partial) };
}

/** Fills the gaps of a partial policy from defaults (the request's values win). */
export function resolvePolicy(
  partial?: Partial<Policy>,
  defaults: Readonly<Policy> = DEFAULT_POLICY,
): Policy {
  return { ...defaults, ...stripUndefined(partial) };
}

function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  const out: Partial<T> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v !== undefined) (out as Record<string, unknown>)[key] = v;
  }
  return out;
}
