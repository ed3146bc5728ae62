import { describe, expect, it } from 'vitest';
import { SandboxMetrics, summarize } from './sandbox-metrics.js';

describe('SandboxMetrics', () => {
  it('counts by status and backend', () => {
    const metrics = new SandboxMetrics();
    metrics.record({ status: 'ok', backend: 'wasm' }, 1);
    metrics.record({ status: 'timeout', backend: 'node' }, 2);
    metrics.record({ status: 'ok', backend: 'node' }, 3);
    const snap = metrics.snapshot({ queueDepth: 4, inFlight: 2 });
    expect(snap).toMatchObject({
      total: 3,
      successes: 2,
      failures: 1,
      byStatus: { ok: 2, timeout: 1 },
      byBackend: { wasm: 1, node: 2 },
      queueDepth: 4,
      inFlight: 2,
    });
  });

  it('keeps percentiles over a sliding window only', () => {
    const metrics = new SandboxMetrics(100);
    for (let i = 0; i < 100; i++) metrics.record({ status: 'ok', backend: 'x' }, 1000);
    for (let i = 1; i <= 100; i++) metrics.record({ status: 'ok', backend: 'x' }, i);
    const { latencyMs } = metrics.snapshot({ queueDepth: 0, inFlight: 0 });
    expect(latencyMs).toMatchObject({ samples: 100, p50: 50, p95: 95, p99: 99 });
    expect(latencyMs.mean).toBeCloseTo(50.5);
  });

  it('reports run stats for backends', () => {
    const metrics = new SandboxMetrics();
    metrics.record({ status: 'ok', backend: 'x' }, 2);
    metrics.record({ status: 'timeout', backend: 'x' }, 4);
    expect(metrics.runStats()).toEqual({ total: 2, ok: 1, failed: 1, timedOut: 1, avgRunMs: 3, p95RunMs: 4 });
  });

  it('summarize handles empty input', () => {
    expect(summarize([])).toEqual({ samples: 0, p50: 0, p95: 0, p99: 0, mean: 0 });
  });
});
