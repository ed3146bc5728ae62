import {
  type Backend,
  type BackendCapabilities,
  type BackendHealth,
  BackendUnavailableError,
  type ExecutionRequest,
  type ExecutionResult,
  emptyResult,
  InvalidRequestError,
  type Limits,
  limitExceeded,
  OutputCap,
  resolveLimits,
} from '@memory-mcp/sandbox-core';
import { ECHO_LANGUAGE, type EchoStatement, parseEcho } from './parse-echo.js';

export interface EchoBackendOptions {
  /** The kind this backend is configured under. Default `echo`. */
  name?: string;
  /** Limits applied where a request gives none. */
  limits?: Partial<Limits>;
}

/** Statements run between checks of the deadline and the abort signal (and a yield to the event loop). */
const SLICE = 1000;

type Stop =
  | { kind: 'return'; json: string }
  | { kind: 'throw'; message: string }
  | { kind: 'limit'; result: ExecutionResult };

/**
 * An in-process interpreter for the echo language. It exists to show the contributed-backend path:
 * only the public contract and kit of `@memory-mcp/sandbox-core`, its own language and conformance
 * kit. It isolates nothing: never route untrusted code in a real language to a backend like it.
 */
export class EchoBackend implements Backend {
  readonly specificationVersion = 'v1';
  readonly name: string;
  readonly #limits: Limits;
  readonly #running = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: EchoBackendOptions = {}) {
    this.name = options.name ?? 'echo';
    this.#limits = resolveLimits(options.limits);
  }

  capabilities(): BackendCapabilities {
    return {
      languages: [ECHO_LANGUAGE],
      isolation: 'in-process',
      networkIsolation: 'no-network-api',
      fuel: false,
      nodeApis: false,
      maxConcurrency: 64,
    };
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    if (this.#closed) throw new BackendUnavailableError(this.name, 'the echo backend is closed');
    if (request.language !== ECHO_LANGUAGE) {
      throw new InvalidRequestError(
        'language',
        `the echo backend runs '${ECHO_LANGUAGE}', not '${request.language}'`,
      );
    }
    if (typeof request.code !== 'string') throw new InvalidRequestError('code', 'must be text');
    const program = parseEcho(request.code);
    const run = this.#run(program, request);
    this.#running.add(run);
    try {
      return await run;
    } finally {
      this.#running.delete(run);
    }
  }

  async #run(program: EchoStatement[], request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now();
    const limits = resolveLimits(request.limits, this.#limits);
    const deadline = started + limits.timeoutMs;
    const output = new OutputCap({ maxBytes: limits.maxOutputBytes });
    const encoder = new TextEncoder();
    const inputLine = encoder.encode(`${JSON.stringify(request.input ?? null)}\n`);
    let steps = 0;

    const step = async (statement: EchoStatement): Promise<Stop | undefined> => {
      if (++steps % SLICE === 0) {
        await new Promise((resolve) => setImmediate(resolve));
        if (request.signal?.aborted || this.#closed) {
          return {
            kind: 'limit',
            result: emptyResult(this.name, 'cancelled', { kind: 'cancelled', message: 'cancelled' }),
          };
        }
        if (performance.now() > deadline) {
          const { status, error } = limitExceeded({
            name: 'timeoutMs',
            allowed: limits.timeoutMs,
            used: Math.round(performance.now() - started),
            message: `the program passed its ${limits.timeoutMs} ms deadline`,
          });
          return { kind: 'limit', result: emptyResult(this.name, status, error) };
        }
      }
      switch (statement.op) {
        case 'nop':
          return undefined;
        case 'print':
        case 'print-input': {
          const line = statement.op === 'print' ? encoder.encode(`${statement.text}\n`) : inputLine;
          if (output.write('stdout', line)) return undefined;
          const { status, error } = limitExceeded({
            name: 'maxOutputBytes',
            allowed: limits.maxOutputBytes,
            used: output.chargedBytes,
            message: `output passed maxOutputBytes (${limits.maxOutputBytes} bytes)`,
          });
          return { kind: 'limit', result: emptyResult(this.name, status, error) };
        }
        case 'return':
          return { kind: 'return', json: statement.json };
        case 'throw':
          return { kind: 'throw', message: statement.message };
        case 'repeat':
          for (let i = 0; i < statement.times; i++) {
            const stop = await step(statement.body);
            if (stop) return stop;
          }
          return undefined;
      }
    };

    let stop: Stop | undefined;
    for (const statement of program) {
      stop = await step(statement);
      if (stop) break;
    }
    const result = this.#result(stop);
    result.stdout = output.text('stdout');
    result.truncated = output.truncated;
    result.timing.runMs = performance.now() - started;
    result.timing.totalMs = result.timing.runMs;
    return result;
  }

  #result(stop: Stop | undefined): ExecutionResult {
    if (!stop) return { ...emptyResult(this.name, 'ok'), exitCode: 0 };
    if (stop.kind === 'limit') return stop.result;
    if (stop.kind === 'throw')
      return emptyResult(this.name, 'error', { kind: 'Error', message: stop.message });
    try {
      return { ...emptyResult(this.name, 'ok'), exitCode: 0, value: JSON.parse(stop.json) };
    } catch {
      return emptyResult(this.name, 'error', {
        kind: 'SyntaxError',
        message: `return needs JSON, got ${stop.json.slice(0, 80)}`,
      });
    }
  }

  async health(): Promise<BackendHealth> {
    return this.#closed ? { healthy: false, message: 'closed' } : { healthy: true, message: 'ok' };
  }

  /** Stops running programs at their next slice and waits for them. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#running]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
