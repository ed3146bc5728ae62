import type { ExecutionResult, ExecutionStatus } from './execution-result.js';

export interface LatencySummary {
  /** Samples in the sliding window. */
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

export interface MetricsSnapshot {
  total: number;
  successes: number;
  failures: number;
  byStatus: Partial<Record<ExecutionStatus, number>>;
  byBackend: Record<string, number>;
  /** End-to-end latency (ms) over the last `window` executions. */
  latencyMs: LatencySummary;
  queueDepth: number;
  inFlight: number;
}

/** The counters a backend reports in its own `stats()`; latencies are run times there. */
export interface RunStats {
  total: number;
  ok: number;
  failed: number;
  timedOut: number;
  avgRunMs: number;
  p95RunMs: number;
}

/** Counters plus a fixed-size ring of recent latencies for percentiles. */
export class SandboxMetrics {
  #total = 0;
  #successes = 0;
  #byStatus: Partial<Record<ExecutionStatus, number>> = {};
  #byBackend: Record<string, number> = {};
  readonly #window: Float64Array;
  #cursor = 0;
  #filled = 0;

  constructor(windowSize = 1000) {
    this.#window = new Float64Array(Math.max(1, windowSize));
  }

  record(result: Pick<ExecutionResult, 'status' | 'backend'>, latencyMs: number): void {
    this.#total++;
    if (result.status === 'ok') this.#successes++;
    this.#byStatus[result.status] = (this.#byStatus[result.status] ?? 0) + 1;
    this.#byBackend[result.backend] = (this.#byBackend[result.backend] ?? 0) + 1;
    this.#window[this.#cursor] = latencyMs;
    this.#cursor = (this.#cursor + 1) % this.#window.length;
    if (this.#filled < this.#window.length) this.#filled++;
  }

  /** The same counters in the shape backends report (recorded latencies are taken as run times). */
  runStats(): RunStats {
    const latency = summarize(this.#window.subarray(0, this.#filled));
    return {
      total: this.#total,
      ok: this.#successes,
      failed: this.#total - this.#successes,
      timedOut: this.#byStatus.timeout ?? 0,
      avgRunMs: latency.mean,
      p95RunMs: latency.p95,
    };
  }

  snapshot(gauges: { queueDepth: number; inFlight: number }): MetricsSnapshot {
    return {
      total: this.#total,
      successes: this.#successes,
      failures: this.#total - this.#successes,
      byStatus: { ...this.#byStatus },
      byBackend: { ...this.#byBackend },
      latencyMs: summarize(this.#window.subarray(0, this.#filled)),
      ...gauges,
    };
  }
}

/** Nearest-rank percentiles of a sample. */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { samples: 0, p50: 0, p95: 0, p99: 0, mean: 0 };
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { samples: n, p50: at(0.5), p95: at(0.95), p99: at(0.99), mean: sum / n };
}
