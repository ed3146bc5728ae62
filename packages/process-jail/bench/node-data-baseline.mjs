// Measures Node's RLIMIT_DATA baseline inside the jail: the smallest RLIMIT_DATA (memoryBytes 0,
// dataBaselineBytes = candidate) at which Node starts, runs a crypto job and an async fs read
// (which start libuv's threadpool) and exits 0, found by bisection in 1 MiB steps; plus VmData
// at exit with plenty of room. NODE_DATA_BASELINE_BYTES in src/jail-limits.ts is this plus margin.
import { startJail } from '@memory-mcp/process-jail';

const MiB = 1024 * 1024;
const warm = `require('crypto').scrypt('a', 'b', 64, () => require('fs').readFile('/proc/self/status', 'utf8', (e, s) => console.log(/VmData:\\s+(\\d+)/.exec(s)[1])));`;

async function attempt(dataBytes) {
  const jail = await startJail({
    args: ['-e', warm],
    limits: { memoryBytes: 0, dataBaselineBytes: dataBytes },
  });
  let out = '';
  jail.stdout.on('data', (chunk) => {
    out += chunk;
  });
  jail.stderr.resume();
  // Below the baseline Node can hang creating threads instead of failing: bound each try.
  const timer = setTimeout(() => jail.kill(), 15_000);
  const exit = await jail.exited;
  clearTimeout(timer);
  return exit.code === 0 && /^\d+\s*$/.test(out) ? Number(out) * 1024 : undefined;
}

const roomy = await attempt(512 * MiB);
let low = 8;
let high = 256;
while (high - low > 1) {
  const mid = Math.floor((low + high) / 2);
  if ((await attempt(mid * MiB)) !== undefined) high = mid;
  else low = mid;
}
console.log(
  JSON.stringify({ node: process.version, minimumDataMiB: high, vmDataAtExitMiB: +(roomy / MiB).toFixed(1) }),
);
