// Cold start of one jailed `node -e 0` (bwrap, namespaces, minimal root, prlimit, uid switch)
// against a bare `node -e 0` spawn, measured in the same run: median over 30 of each, interleaved
// so both see the same machine load.
import { spawn } from 'node:child_process';
import { detectJailSupport, startJail } from '@memory-mcp/process-jail';
import { fmt, report, rowsFor, summarize } from '../../../scripts/bench-lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 30);
const row = rowsFor('process-jail');

function bare() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore', env: {} });
    child.on('error', reject);
    child.on('exit', resolve);
  });
}

async function jailed() {
  const jail = await startJail({ args: ['-e', '0'] });
  const exit = await jail.exited;
  if (exit.code !== 0) throw new Error(`jailed node -e 0 failed: ${JSON.stringify(exit)}`);
}

const support = await detectJailSupport();
if (support.level !== 'namespaces') throw new Error(`no kernel walls here: ${support.reason}`);
// Warm-up: ldd cache, page cache, detection.
await bare();
await jailed();

const bareSamples = [];
const jailedSamples = [];
for (let i = 0; i < runs; i++) {
  let t0 = performance.now();
  await bare();
  bareSamples.push(performance.now() - t0);
  t0 = performance.now();
  await jailed();
  jailedSamples.push(performance.now() - t0);
}
const b = summarize(bareSamples);
const j = summarize(jailedSamples);
report([
  row('bare `node -e 0` spawn (baseline)', b),
  row('jailed `node -e 0`: startJail → exited', j, {
    ratio: j.median / b.median,
    note: `+${fmt(j.median - b.median)} ms for the walls (bwrap ${support.bwrap.version})`,
  }),
]);
console.error(
  `bare node -e 0: median ${fmt(b.median)} ms; jailed: median ${fmt(j.median)} ms; ratio ${fmt(j.median / b.median)}x (${runs} runs each)`,
);
