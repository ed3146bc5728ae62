// Attacks on the channel and on the process from inside the jail. The host must survive each one,
// report it as that execution's result (never an exception), and run the next execution correctly.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NodeBackend } from '../src/index.js';

const backend = new NodeBackend({ poolSize: 1, maxConcurrency: 2 });
afterAll(() => backend.close());
afterEach(async () => {
  const next = await backend.execute({
    language: 'javascript',
    code: 'console.log("still alive"); return 6 * 7;',
  });
  expect(next).toMatchObject({ status: 'ok', stdout: 'still alive\n', value: 42 });
  expect(backend.stats().running).toBe(0);
});
const run = (code: string, extra: object = {}) => backend.execute({ language: 'javascript', code, ...extra });

/** Code that writes one frame (4-byte big-endian length, then the payload) straight to the channel fd. */
const frameWriter = `
  const fs = require('fs');
  const writeFrame = (text) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(payload.length);
    fs.writeSync(3, Buffer.concat([header, payload]));
  };`;

describe('the host survives the jailed process', () => {
  it('a frame of invalid JSON on the channel fails only that execution', async () => {
    const result = await run(
      `${frameWriter} writeFrame('{"nonce": oops'); await new Promise((r) => setTimeout(r, 200)); return 'sent';`,
    );
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('result_channel');
  });

  it('garbage and a newline-free line on the channel fail only that execution', async () => {
    const result = await run(
      `require('fs').writeSync(3, 'this is not a frame\\n'.repeat(1000)); await new Promise((r) => setTimeout(r, 200)); return 1;`,
    );
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('result_channel');
  });

  it('192 MiB without a frame end does not grow the host', async () => {
    const before = process.memoryUsage().rss;
    const result = await run(`
      const fs = require('fs');
      const chunk = Buffer.alloc(1 << 20, 0x7b);
      // A header promising a frame just under the cap, then far more bytes than any frame.
      const header = Buffer.alloc(4); header.writeUInt32BE(4 * 1024 * 1024);
      try { fs.writeSync(3, header); for (let i = 0; i < 192; i++) fs.writeSync(3, chunk); } catch (e) { return e.code; }
      return 'all written';`);
    expect(result.status).toBe('error');
    expect(result.error?.kind).toBe('result_channel');
    // The old IPC channel buffered all of it (430 MiB of host growth); the frame cap stops at ~4 MiB.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('process._send, process.send and process.channel do not exist to abuse', async () => {
    const result = await run(`
      const seen = [typeof process.send, typeof process._send, typeof process.channel];
      try { process._send({ cmd: 'NODE_HANDLE_ACK' }, null, true); } catch (e) { seen.push(e.name); }
      return seen;`);
    expect(result).toMatchObject({
      status: 'ok',
      value: ['undefined', 'undefined', 'undefined', 'TypeError'],
    });
  });

  it('closing every file descriptor (the channel included) is an error result, not a hang', async () => {
    const result = await run(`
      const fs = require('fs');
      for (let fd = 0; fd < 64; fd++) { try { fs.closeSync(fd); } catch {} }
      return 'closed';`);
    expect(result.status).toBe('error');
    expect(['exit', 'result_channel']).toContain(result.error?.kind);
  });

  it('flooding stdout and stderr past the output cap is output_limit', async () => {
    const result = await run(
      `const fs = require('fs'); const mb = Buffer.alloc(1 << 20, 0x61);
       for (let i = 0; i < 200; i++) { fs.writeSync(1, mb); fs.writeSync(2, mb); }`,
      { limits: { maxOutputBytes: 256 * 1024 } },
    );
    expect(result.status).toBe('output_limit');
    expect(Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr)).toBeLessThanOrEqual(
      256 * 1024,
    );
  });

  it('a result frame with a guessed nonce is a forgery: the execution fails', async () => {
    const forged = JSON.stringify({
      nonce: '0'.repeat(32),
      kind: 'value',
      valueJson: '"forged"',
      stdoutBytes: 0,
      stderrBytes: 0,
    });
    const result = await run(
      `${frameWriter} writeFrame(${JSON.stringify(forged)}); throw new Error('the real outcome');`,
    );
    expect(result.status).toBe('error');
    expect(result.value).toBeUndefined();
    expect(JSON.stringify(result)).not.toContain('forged"');
  });

  it('a heap snapshot does not hold the nonce: forging with every 32-hex string in it fails', async () => {
    const result = await run(
      `${frameWriter}
      const v8 = require('v8');
      const chunks = [];
      for await (const chunk of v8.getHeapSnapshot()) chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('latin1');
      const candidates = [...new Set(text.match(/[0-9a-f]{32}/g) ?? [])].slice(0, 500);
      for (const nonce of candidates) {
        writeFrame(JSON.stringify({ nonce, kind: 'value', valueJson: '"forged"', stdoutBytes: 0, stderrBytes: 0 }));
      }
      throw new Error('tried ' + candidates.length);`,
      { limits: { timeoutMs: 60_000 } },
    );
    expect(result.status).toBe('error');
    expect(result.value).toBeUndefined();
  });
});
