import { describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/index.js';
import { printer } from './fixtures/wat.js';

describe('wasm backend soak', () => {
  it('1,000 executions grow the host RSS by less than 50 MB', async () => {
    const backend = new WasmBackend({ maxConcurrency: 4 });
    try {
      const code = printer('soak');
      const batch = async (n: number) => {
        for (let i = 0; i < n; i += 20) {
          const results = await Promise.all(
            Array.from({ length: 20 }, () => backend.execute({ language: 'wat', code })),
          );
          for (const r of results) expect(r.stdout).toBe('soak\n');
        }
      };
      await batch(100); // warm the pool and the cache first
      global.gc?.();
      const before = process.memoryUsage().rss;
      await batch(1000);
      global.gc?.();
      const grownMb = (process.memoryUsage().rss - before) / 1024 / 1024;
      expect(grownMb).toBeLessThan(50);
      expect(backend.stats().crashes).toBe(0);
    } finally {
      await backend.close();
    }
  });
});
