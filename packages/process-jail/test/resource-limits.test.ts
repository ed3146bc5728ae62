import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { NODE_DATA_BASELINE_BYTES } from '../src/jail-limits.js';
import { startJail } from '../src/start-jail.js';
import { expectHealthyJail, runJailed, SEND_FRAME } from './run-jailed.js';

const MiB = 1024 * 1024;
const memoryBytes = 64 * MiB;
const cap = memoryBytes + NODE_DATA_BASELINE_BYTES;

afterEach(expectHealthyJail);

describe('kernel resource limits', () => {
  it('Node starts and warms up within the documented baseline alone', async () => {
    // memoryBytes 0: RLIMIT_DATA is exactly the baseline. If this fails, re-measure it
    // (bench/node-data-baseline.mjs) and raise NODE_DATA_BASELINE_BYTES.
    const run = await runJailed(
      `require('crypto').scrypt('a', 'b', 64, () => require('fs').readFile(process.execPath, () => console.log('warm')));`,
      { limits: { memoryBytes: 0 } },
    );
    expect(run.stderr).toBe('');
    expect(run.exit).toMatchObject({ code: 0, reason: 'exit' });
    expect(run.stdout.trim()).toBe('warm');
  });

  it('a Buffer.alloc bomb dies of memory_limit with its resident memory within cap + baseline', async () => {
    const run = await runJailed(`const hold = []; for (;;) hold.push(Buffer.alloc(1 << 20, 1));`, {
      limits: { memoryBytes },
    });
    expect(run.exit.reason).toBe('memory_limit');
    expect(run.peakAnonBytes).toBeGreaterThan(0);
    expect(run.peakAnonBytes).toBeLessThanOrEqual(cap);
  });

  it('one oversized Buffer.alloc and WebAssembly.Memory.grow get clean RangeErrors', async () => {
    const run = await runJailed(
      `${SEND_FRAME}
      const report = {};
      try { Buffer.alloc(${cap + 16 * MiB}); report.buffer = 'allocated'; } catch (e) { report.buffer = e.constructor.name + ': ' + e.message; }
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
      try { memory.grow(65000); report.wasm = 'grown'; } catch (e) { report.wasm = e.constructor.name + ': ' + e.message; }
      report.after = memory.buffer.byteLength;
      send(report).then(() => process.exit(0));`,
      { limits: { memoryBytes } },
    );
    expect(run.exit).toMatchObject({ code: 0, reason: 'exit' });
    expect(run.frames[0]).toEqual({
      buffer: expect.stringMatching(/^RangeError: .*allocation failed/),
      wasm: expect.stringMatching(/^RangeError: .*Unable to grow/),
      after: 65536,
    });
  });

  it('a WebAssembly.Memory grown page by page dies of memory_limit within cap + baseline', async () => {
    const run = await runJailed(
      `const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
       for (;;) { memory.grow(16); new Uint8Array(memory.buffer).fill(1, memory.buffer.byteLength - (1 << 20)); }`,
      { limits: { memoryBytes } },
    );
    expect(run.exit.reason).toBe('memory_limit');
    expect(run.peakAnonBytes).toBeLessThanOrEqual(cap);
  });

  it('writing past the file size limit ends in file_size_limit', async () => {
    const run = await runJailed(`require('fs').writeFileSync('/tmp/big', Buffer.alloc(2 << 20));`, {
      limits: { fileSizeBytes: 1 << 20 },
    });
    expect(run.exit).toMatchObject({ code: 1, reason: 'file_size_limit' });
  });

  it('cannot open more files than the fd limit', async () => {
    const run = await runJailed(
      `${SEND_FRAME}
      const fs = require('fs'); const fds = []; let error;
      try { for (let i = 0; i < 1000; i++) fds.push(fs.openSync('/proc/self/status', 'r')); } catch (e) { error = e.code; }
      send({ opened: fds.length, error }).then(() => process.exit(0));`,
      { limits: { openFiles: 48 } },
    );
    const result = run.frames[0] as { opened: number; error: string };
    expect(result.error).toBe('EMFILE');
    expect(result.opened).toBeLessThan(48);
  });

  it('a fork bomb is contained by RLIMIT_NPROC, and only in its own jail', async () => {
    const bomb = `${SEND_FRAME}
      const { spawn } = require('child_process'); let started = 0, error;
      for (let i = 0; i < 200; i++) {
        try {
          const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
          const failed = await new Promise((resolve) => { child.once('spawn', () => resolve(false)); child.once('error', (e) => { error = e.code; resolve(true); }); });
          if (failed) break;
          started++;
        } catch (e) { error = e.code; break; }
      }
      await send({ started, error });
      setInterval(() => {}, 1000);`;
    const run = await runJailed(
      `(async () => { ${bomb} })()`,
      { limits: { processes: 48 } },
      async (handle) => {
        // While the bomb holds its whole budget, another jail as the same uid still starts:
        // the kernel counts RLIMIT_NPROC per user namespace.
        await once(handle.channel, 'frame');
        const other = await runJailed(`console.log('alive')`);
        expect(other.exit).toMatchObject({ code: 0, reason: 'exit' });
        expect(other.stdout.trim()).toBe('alive');
        handle.kill();
      },
    );
    expect(run.exit.reason).toBe('killed');
    const bombed = run.frames[0] as { started: number; error: string };
    expect(bombed.error).toBe('EAGAIN');
    // Each Node child holds ~7 tasks of the 48: a handful start, never hundreds.
    expect(bombed.started).toBeLessThan(48);
  });

  it('a short CPU limit ends a busy loop with cpu_limit', async () => {
    const jail = await startJail({ args: ['-e', 'for (;;) {}'], limits: { cpuSeconds: 1 } });
    expect((await jail.exited).reason).toBe('cpu_limit');
  });
});
