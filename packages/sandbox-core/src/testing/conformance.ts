import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../backend.js';
import { type ExecutionRequest, KIND_PATTERN } from '../execution-request.js';
import { type ConformanceKit, javascriptKit } from './conformance-kit.js';

export interface ConformanceOptions {
  /** Programs in the backend's language. Default `javascriptKit`. */
  kit?: ConformanceKit;
  /** Deadline given to the infinite loop (ms). Default 1000. */
  loopTimeoutMs?: number;
  /**
   * How late past the deadline the loop may end (ms). Default 10,000: generous, so a loaded machine
   * does not fail the suite, while a backend that ignores its deadline (or never stops) still does.
   */
  timeoutMarginMs?: number;
  /** Output cap given to the flood (bytes). Default 4096. */
  floodCapBytes?: number;
  /** Executions started at once in the concurrency case. Default 100. */
  concurrency?: number;
}

/** One conformance check: plain data, so it can also be run outside `describe` (to test the suite). */
export interface ConformanceCase {
  name: string;
  /** Generous vitest timeout for the case (ms). */
  timeoutMs: number;
  /** Uses the shared backend unless `ownBackend`. Throws when the backend does not conform. */
  run(backend: Backend, createBackend: () => Backend | Promise<Backend>): Promise<void>;
  /** Creates and closes its own backend instead of the shared one. */
  ownBackend?: boolean;
}

const CORRECTNESS_DEADLINE_MS = 60_000;

function withLimits(request: ExecutionRequest, limits: ExecutionRequest['limits']): ExecutionRequest {
  return { ...request, limits: { ...request.limits, ...limits } };
}

/** The cases every backend must pass, in order. */
export function conformanceCases(options: ConformanceOptions = {}): ConformanceCase[] {
  const kit = options.kit ?? javascriptKit;
  const loopTimeoutMs = options.loopTimeoutMs ?? 1000;
  const marginMs = options.timeoutMarginMs ?? 10_000;
  // Correctness cases get a deadline no machine misses: they test results, not speed.
  const roomy = (request: ExecutionRequest) => withLimits(request, { timeoutMs: CORRECTNESS_DEADLINE_MS });
  const floodCap = options.floodCapBytes ?? 4096;
  const concurrency = options.concurrency ?? 100;

  return [
    {
      name: "implements contract v1 and declares the kit's language",
      timeoutMs: 10_000,
      async run(backend) {
        expect(backend.specificationVersion).toBe('v1');
        expect(backend.name).toMatch(KIND_PATTERN);
        const capabilities = backend.capabilities();
        expect(capabilities.languages).toContain(kit.language);
        expect(capabilities.maxConcurrency).toBeGreaterThanOrEqual(1);
        expect(typeof backend[Symbol.asyncDispose]).toBe('function');
      },
    },
    {
      name: 'captures hello world on stdout',
      timeoutMs: 90_000,
      async run(backend) {
        const result = await backend.execute(roomy(kit.helloWorld()));
        expect(result.status, JSON.stringify(result.error)).toBe('ok');
        expect(result.stdout).toBe('hello world\n');
        expect(result.truncated).toBe(false);
        expect(result.backend).toBe(backend.name);
      },
    },
    {
      name: 'makes input visible to the code',
      timeoutMs: 30_000,
      async run(backend) {
        const value = { id: 7, text: 'input ✓ "quoted"' };
        const result = await backend.execute(roomy(kit.echoInput(value)));
        expect(result.status, JSON.stringify(result.error)).toBe('ok');
        expect(result.stdout.trim()).toBe(JSON.stringify(value));
      },
    },
    {
      name: 'reports the return value',
      timeoutMs: 30_000,
      async run(backend) {
        const { request, value } = kit.returnValue();
        const result = await backend.execute(roomy(request));
        expect(result.status, JSON.stringify(result.error)).toBe('ok');
        expect(result.value).toEqual(value);
      },
    },
    {
      name: 'turns a thrown error into status error with its message',
      timeoutMs: 30_000,
      async run(backend) {
        const { request, message } = kit.throwError();
        const result = await backend.execute(roomy(request));
        expect(result.status).toBe('error');
        expect(result.error?.message).toMatch(message);
        expect(result.error?.kind).toBeTruthy();
      },
    },
    {
      name: `stops an infinite loop within the deadline plus ${marginMs} ms`,
      timeoutMs: loopTimeoutMs + marginMs + 30_000,
      async run(backend) {
        const started = performance.now();
        const result = await backend.execute(withLimits(kit.infiniteLoop(), { timeoutMs: loopTimeoutMs }));
        const elapsed = performance.now() - started;
        expect(['timeout', 'out_of_fuel']).toContain(result.status);
        expect(elapsed).toBeLessThanOrEqual(loopTimeoutMs + marginMs);
      },
    },
    {
      name: 'cuts an output flood at maxOutputBytes',
      timeoutMs: 90_000,
      async run(backend) {
        const result = await backend.execute(
          withLimits(kit.outputFlood(), { maxOutputBytes: floodCap, timeoutMs: CORRECTNESS_DEADLINE_MS }),
        );
        expect(result.truncated).toBe(true);
        expect(result.status).toBe('output_limit');
        const kept = Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr);
        expect(kept).toBeLessThanOrEqual(floodCap);
        expect(kept).toBeGreaterThan(0);
      },
    },
    {
      name: `runs ${concurrency} concurrent executions with correct, unmixed outputs`,
      timeoutMs: 180_000,
      async run(backend) {
        const values = Array.from({ length: concurrency }, (_, id) => ({
          id,
          text: `task-${id}-${'#'.repeat(id % 7)}`,
        }));
        const results = await Promise.all(values.map((v) => backend.execute(roomy(kit.echoInput(v)))));
        results.forEach((result, i) => {
          expect(result.status, `execution ${i}: ${JSON.stringify(result.error)}`).toBe('ok');
          expect(result.stdout.trim(), `execution ${i}`).toBe(JSON.stringify(values[i]));
        });
      },
    },
    {
      name: 'close() releases everything and refuses further work',
      timeoutMs: 120_000,
      ownBackend: true,
      async run(_shared, createBackend) {
        await settle();
        const before = resourceCounts();
        const backend = await createBackend();
        const result = await backend.execute(roomy(kit.helloWorld()));
        expect(result.status).toBe('ok');
        await backend[Symbol.asyncDispose]();
        await backend.close(); // idempotent
        await settle();
        const leaked = diffCounts(before, resourceCounts());
        expect(leaked, `resources still open after close(): ${JSON.stringify(leaked)}`).toEqual({});
        await expect(backend.execute(kit.helloWorld())).rejects.toThrow();
      },
    },
  ];
}

/**
 * Registers the conformance suite with vitest. Call it at the top level of a test file:
 * `describeBackendConformance('wasm', () => new WasmBackend(), { kit: watKit })`.
 */
export function describeBackendConformance(
  name: string,
  createBackend: () => Backend | Promise<Backend>,
  options: ConformanceOptions = {},
): void {
  describe(`backend conformance: ${name}`, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await createBackend();
    }, 60_000);
    afterAll(async () => {
      await backend?.close();
    }, 60_000);
    for (const testCase of conformanceCases(options)) {
      it(testCase.name, () => testCase.run(backend, createBackend), testCase.timeoutMs);
    }
  });
}

/** Counts of live handles by type (timers, sockets, processes, workers, ...). */
function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

function diffCounts(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [type, count] of Object.entries(after)) {
    const delta = count - (before[type] ?? 0);
    if (delta > 0) extra[type] = delta;
  }
  return extra;
}

/** Lets exit events and closed handles drain before counting. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 20));
}
