// What crosses the jail's framed channel (fd 3 inside). Frames are length-prefixed by the
// process-jail channel; these are the payloads.

/** Bytes of the per-job nonce that prefix the job frame (ASCII hex). */
export const NONCE_BYTES = 32;

/** The channel's file descriptor inside the jail. */
export const CHANNEL_FD = 3;

/**
 * Host to runner, once: a raw-bytes frame of `NONCE_BYTES` ASCII nonce, then this as UTF-8 JSON.
 * The nonce is kept out of the JSON so the runner never holds it as a JS string: it stays in an
 * off-heap buffer that a heap snapshot taken by user code does not contain.
 */
export interface RunnerJob {
  /** JavaScript (TypeScript already transpiled), the body of an async function. */
  code: string;
  /** `JSON.stringify(input)`, or undefined. */
  input?: string;
  env: Record<string, string>;
  /** File name the code runs under; stack frames are trimmed to it. */
  filename: string;
}

/** Runner to host, once, before the job: it is started and waiting. */
export interface RunnerReady {
  ready: true;
}

/** Runner to host, once: the outcome. The host checks every field (`parse-runner-result.ts`). */
export interface RunnerResult {
  /** The job's nonce; a frame without it is a forgery and fails the execution. */
  nonce: string;
  /** The return value as JSON text, when it had a JSON form. */
  valueJson?: string;
  /** A description for values JSON cannot carry (functions, symbols, cycles, BigInt...). */
  valueDescription?: string;
  error?: { kind: string; message: string; stack?: string };
  /** Bytes the runner wrote to stdout and stderr, so the host knows when it has all output. */
  stdoutBytes: number;
  stderrBytes: number;
}

/** The largest result frame the runner sends; the host's channel refuses more. */
export const MAX_RESULT_FRAME_BYTES = 4 * 1024 * 1024;
