// Overhead of UnifiedSandbox (validation, policy pre-check, routing, limiter, metrics) per call,
// against calling the same no-op backend directly.
import { emptyResult, UnifiedSandbox } from '@memory-mcp/sandbox-core';
import { fmt, measure, report } from '../../../scripts/bench-lib.mjs';

const noop = {
  name: 'wasm',
  capabilities: () => ({
    languages: ['javascript', 'wasm', 'wat'],
    isolation: 'wasm',
    networkIsolation: 'no-network-api',
    fuel: true,
    nodeApis: false,
    maxConcurrency: 20,
  }),
  execute: async () => emptyResult('wasm', 'ok'),
  health: async () => ({ healthy: true }),
  close: async () => {},
};
const node = {
  ...noop,
  name: 'node',
  capabilities: () => ({ ...noop.capabilities(), languages: ['javascript', 'typescript'] }),
};

const sandbox = new UnifiedSandbox({ backends: { wasm: noop, node }, mode: 'hybrid' });
const request = { language: 'javascript', code: 'return [1, 2, 3].map((x) => x * 2);' };
const runs = 10_000;

const direct = await measure(() => noop.execute(request), { runs, warmup: 2000 });
const routed = await measure(() => sandbox.execute(request), { runs, warmup: 2000 });
await sandbox.close();

const us = (s) => ({ median: s.median * 1000, p95: s.p95 * 1000 });
const overhead = (routed.median - direct.median) * 1000;
report([
  {
    package: 'sandbox-core',
    benchmark: 'no-op backend called directly (baseline)',
    unit: 'µs',
    ...us(direct),
    runs,
  },
  {
    package: 'sandbox-core',
    benchmark: 'UnifiedSandbox.execute on the no-op backend (hybrid, heuristic routing)',
    unit: 'µs',
    ...us(routed),
    runs,
    ratio: routed.median / direct.median,
    target: '< 20 µs',
    note: `overhead ${fmt(overhead)} µs per call`,
  },
]);
console.error(
  `routing + limiter overhead: ${fmt(overhead)} µs/call median (routed ${fmt(routed.median * 1000)} µs, direct ${fmt(direct.median * 1000)} µs)`,
);
