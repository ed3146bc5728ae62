// The jailed node backend next to a bare `node -e` measured in the same run: warm hello world (a
// pooled jailed runner is ready), sustained back-to-back calls (the pool cannot keep up), jailed
// cold start (pool disabled), and throughput with 20 concurrent callers.
import { spawn } from 'node:child_process';
import { NodeBackend } from '@memory-mcp/node-backend';
import { fmt, measure, report, rowsFor, summarize } from '../../../scripts/bench-lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 60);
const request = { language: 'javascript', code: `console.log('hello world');` };
const check = (result) => {
  if (result.status !== 'ok' || result.stdout !== 'hello world\n') throw new Error(JSON.stringify(result));
};

const spawnBare = () =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', `console.log('hello world')`], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {},
    });
    child.stdout.resume();
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });

// Interleave the baseline with the jailed cold start so both see the same machine load.
const coldBackend = new NodeBackend({ poolSize: 0 });
await coldBackend.warm();
const bareSamples = [];
const coldSamples = [];
for (let i = 0; i < runs + 3; i++) {
  let t = performance.now();
  await spawnBare();
  if (i >= 3) bareSamples.push(performance.now() - t);
  t = performance.now();
  check(await coldBackend.execute(request));
  if (i >= 3) coldSamples.push(performance.now() - t);
}
await coldBackend.close();
const bare = summarize(bareSamples);
const cold = summarize(coldSamples);

const warmBackend = new NodeBackend();
// Latency when a warm jailed runner is ready: let the pool refill between runs (not timed).
const warmSamples = [];
for (let i = 0; i < runs + 5; i++) {
  await warmBackend.warm();
  const t = performance.now();
  check(await warmBackend.execute(request));
  if (i >= 5) warmSamples.push(performance.now() - t);
}
const warm = summarize(warmSamples);

// Back to back, one caller: each call takes a pooled runner faster than the pool refills.
await warmBackend.warm();
const sustained = await measure(async () => check(await warmBackend.execute(request)), { runs, warmup: 0 });

const total = 200;
let next = 0;
await warmBackend.warm();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 20 }, async () => {
    while (next++ < total) check(await warmBackend.execute(request));
  }),
);
const perSecond = total / ((performance.now() - t0) / 1000);
const poolStats = warmBackend.stats().pool;
await warmBackend.close();

const row = rowsFor('node-backend');
report([
  row('bare `node -e` spawn, empty environment (baseline)', bare),
  row('hello world, warm pool (a jailed runner is ready)', warm, {
    ratio: warm.median / bare.median,
    target: 'median < 5 ms',
  }),
  row('hello world, sustained back-to-back calls, one caller', sustained, {
    ratio: sustained.median / bare.median,
  }),
  row('hello world, jailed cold start (pool disabled)', cold, { ratio: cold.median / bare.median }),
  {
    package: 'node-backend',
    benchmark: 'throughput, 20 concurrent callers',
    unit: 'exec/s',
    median: perSecond,
    runs: total,
    note: `pool hits ${poolStats.hits}, misses ${poolStats.misses}`,
  },
]);
console.error(
  `node-backend: bare node -e ${fmt(bare.median)} ms; warm ${fmt(warm.median)} ms (p95 ${fmt(warm.p95)}); sustained ${fmt(sustained.median)} ms; cold ${fmt(cold.median)} ms (${fmt(cold.median / bare.median)}x bare); ${fmt(perSecond)} exec/s with 20 callers`,
);
