import { execFile } from 'node:child_process';
import { NODE_DATA_BASELINE_BYTES } from '@memory-mcp/process-jail';

const MiB = 1024 * 1024;
/** Headroom over the measured start-up VmData, as process-jail's constant has over Node 20's (64 vs 50 MiB). */
const HEADROOM_BYTES = 14 * MiB;
const cache = new Map<string, Promise<number>>();

// Reads VmData once the libuv threadpool exists, under the jail's 2 MiB stacks.
const PROBE = `require('crypto').randomBytes(8, () => {});
require('fs').readFile('/proc/self/status', 'utf8', (error, status) => {
  const kib = /^VmData:\\s+(\\d+) kB/m.exec(status || '');
  process.stdout.write(kib ? kib[1] : '');
});`;

/**
 * `RLIMIT_DATA` a Node binary needs before user code runs. process-jail's `NODE_DATA_BASELINE_BYTES`
 * (64 MiB) was measured on Node 20; Node 24's V8 also reserves its 512 MiB code range as writable
 * memory, which counts (VmData ~563 MiB at start, none of it resident). So the baseline is this
 * binary's measured VmData plus 14 MiB, never below the constant: the memory cap still bounds
 * what user code can allocate on top. Measured without blocking the event loop, cached per binary;
 * falls back to the constant.
 */
export function measureDataBaseline(
  execPath: string = process.execPath,
  prlimit = 'prlimit',
): Promise<number> {
  let baseline = cache.get(execPath);
  if (!baseline) {
    baseline = new Promise<number>((resolve) => {
      execFile(
        prlimit,
        [`--stack=${2 * MiB}`, execPath, '-e', PROBE],
        { env: {}, encoding: 'utf8', timeout: 20_000 },
        (error, stdout) => {
          const kib = Number(stdout);
          const measured = !error && Number.isSafeInteger(kib) && kib > 0 ? kib * 1024 : 0;
          resolve(Math.max(NODE_DATA_BASELINE_BYTES, Math.ceil((measured + HEADROOM_BYTES) / MiB) * MiB));
        },
      );
    });
    cache.set(execPath, baseline);
  }
  return baseline;
}
