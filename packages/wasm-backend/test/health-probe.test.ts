// A health probe takes a worker for a moment; a request that queued behind it must still run.
import { describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/index.js';

describe('health probes and queued requests', () => {
  it('a request queued behind a probe runs when the probe answers', async () => {
    const backend = new WasmBackend({ maxConcurrency: 2 });
    try {
      const health = backend.health();
      const run = backend.execute({
        language: 'wat',
        code: '(module (func (export "f") (result i32) i32.const 7))',
        entry: 'f',
        limits: { timeoutMs: 60_000 },
      });
      expect((await health).healthy).toBe(true);
      expect(await run).toMatchObject({ status: 'ok', value: 7 });
    } finally {
      await backend.close();
    }
  }, 120_000);
});
