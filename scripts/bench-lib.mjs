// Shared by every package's bench/ script: timing, percentiles, and the row format that
// scripts/bench.mjs collects into bench/results/.
import { appendFileSync } from 'node:fs';

/** Times `fn` `runs` times after `warmup` untimed calls; returns milliseconds per call. */
export async function measure(fn, { runs = 1000, warmup = Math.min(100, runs) } = {}) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn(i);
    samples[i] = performance.now() - t0;
  }
  return summarize(samples);
}

/** Nearest-rank percentiles, in the unit of the samples. */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  const at = (q) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  return { runs: n, median: at(0.5), p95: at(0.95), p99: at(0.99), min: sorted[0], max: sorted[n - 1] };
}

/**
 * Records result rows: `{ package, benchmark, unit, median, p95?, runs?, ratio?, target?, note? }`.
 * Under `pnpm bench` they go to the collector's file; run alone, they are printed.
 */
export function report(rows) {
  const out = process.env.BENCH_OUT;
  for (const row of rows) {
    if (out) appendFileSync(out, `${JSON.stringify(row)}\n`);
    else console.log(JSON.stringify(row));
  }
}

export const fmt = (n, digits = 4) =>
  n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toPrecision(digits);

/** A row builder for one package: `row(benchmark, summary, extra)` with times in milliseconds. */
export const rowsFor =
  (pkg) =>
  (benchmark, s, extra = {}) => ({
    package: pkg,
    benchmark,
    unit: 'ms',
    median: s.median,
    p95: s.p95,
    runs: s.runs,
    ...extra,
  });
