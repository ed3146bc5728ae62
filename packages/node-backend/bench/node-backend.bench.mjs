// Hello world through the node backend with a warm pool, with the pool disabled (cold spawn), and a
// bare `node -e` spawn as the baseline; then throughput with 20 concurrent callers.
import { spawn } from 'node:child_process';
import { NodeBackend } from '@memory-mcp/node-backend';
import { fmt, measure, report, rowsFor } from '../../../scripts/bench-lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 200);
const request = { language: 'javascript', code: `console.log('hello world');` };
const check = (result) => {
  if (result.status !== 'ok' || result.stdout !== 'hello world\n') throw new Error(JSON.stringify(result));
};

const spawnBare = (env) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', `console.log('hello world')`], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env,
    });
    child.stdout.resume();
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  });
// The host's environment can make Node's own start-up slower (NODE_EXTRA_CA_CERTS loads a CA
// bundle, for one); runners start with an empty environment, so both baselines are shown.
const bare = await measure(() => spawnBare(process.env), { runs, warmup: 5 });
const bareEmptyEnv = await measure(() => spawnBare({}), { runs, warmup: 5 });

const warmBackend = new NodeBackend();
// Latency when a warm process is ready: let the pool refill between runs (not timed).
const warmSamples = [];
for (let i = 0; i < runs + 10; i++) {
  await warmBackend.warm();
  const t = performance.now();
  check(await warmBackend.execute(request));
  if (i >= 10) warmSamples.push(performance.now() - t);
}
const { summarize } = await import('../../../scripts/bench-lib.mjs');
const warm = summarize(warmSamples);
const poolStats = warmBackend.stats().pool;

const total = 400;
let next = 0;
await warmBackend.warm();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 20 }, async () => {
    while (next++ < total) check(await warmBackend.execute(request));
  }),
);
const perSecond = total / ((performance.now() - t0) / 1000);
await warmBackend.close();

const coldBackend = new NodeBackend({ poolSize: 0 });
const cold = await measure(async () => check(await coldBackend.execute(request)), { runs, warmup: 5 });
await coldBackend.close();

const row = rowsFor('node-backend');
report([
  row('bare `node -e` spawn, host environment (baseline)', bare),
  row('bare `node -e` spawn, empty environment (baseline)', bareEmptyEnv),
  row('hello world, warm pool (restricted, namespaced process ready)', warm, {
    ratio: warm.median / bareEmptyEnv.median,
    target: 'median < 5 ms, >= 10x faster than cold',
    note: `${fmt(cold.median / warm.median)}x faster than cold; pool hits ${poolStats.hits}, misses ${poolStats.misses}`,
  }),
  row('hello world, pool disabled (cold restricted spawn)', cold, {
    ratio: cold.median / bareEmptyEnv.median,
  }),
  {
    package: 'node-backend',
    benchmark: 'throughput, 20 concurrent callers, 2 cores',
    unit: 'exec/s',
    median: perSecond,
    runs: total,
  },
]);
console.error(
  `node-backend: warm ${fmt(warm.median)} ms (p95 ${fmt(warm.p95)}), cold ${fmt(cold.median)} ms, bare node -e ${fmt(bare.median)} ms (empty env ${fmt(bareEmptyEnv.median)} ms), ${fmt(perSecond)} exec/s with 20 callers`,
);
