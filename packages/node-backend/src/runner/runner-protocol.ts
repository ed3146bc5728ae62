/** Parent to runner: the one job a runner process ever gets. */
export interface RunnerJob {
  /** Random per job; a result without it is ignored, so user code cannot forge one. */
  nonce: string;
  /** JavaScript (TypeScript already transpiled), the body of an async function. */
  code: string;
  /** `JSON.stringify(input)`, or undefined. */
  input?: string;
  env: Record<string, string>;
  /** File name the code runs under; stack frames are trimmed to it. */
  filename: string;
}

/** Runner to parent. */
export interface RunnerResult {
  nonce: string;
  /** The return value as JSON text, when it had a JSON form. */
  valueJson?: string;
  /** A description for values JSON cannot carry (functions, symbols, cycles, BigInt...). */
  valueDescription?: string;
  error?: { kind: string; message: string; stack?: string };
  /** Bytes the runner wrote to stdout and stderr, so the parent knows when it has all output. */
  stdoutBytes: number;
  stderrBytes: number;
}

/** Runner to parent, once, when it is ready for its job. */
export interface RunnerReady {
  ready: true;
}
