// Big memories back to back in one executor: a run's memory is freed only when a garbage collection
// finds it dropped, and V8 does not collect when memory.grow fails. Without a collection after a
// big run, the next big runs in the same executor fail for memory that is no longer anyone's.
import { afterAll, describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/index.js';

const PAGES = 14_400; // 900 MiB: two at once are within an executor's 2 GiB for memories
// grows to 1.2 GiB (a trap if it cannot) and writes every page
const wat = `(module
  (memory 1)
  (func (export "_start") (local $p i32)
    (if (i32.eq (memory.grow (i32.const ${PAGES - 1})) (i32.const -1)) (then unreachable))
    (local.set $p (i32.const 0))
    (loop $next
      (i32.store8 (i32.mul (local.get $p) (i32.const 65536)) (i32.const 7))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $p) (i32.const ${PAGES}))))))`;

const backend = new WasmBackend({ executors: 1, maxConcurrency: 2 });
afterAll(() => backend.close());

describe('big memories back to back', () => {
  it('two 900 MiB runs at a time, three times over, in one executor: every run gets its memory', async () => {
    const limits = { memoryBytes: 2 * 1024 ** 3, timeoutMs: 120_000 };
    for (let round = 0; round < 3; round++) {
      const runs = await Promise.all(
        [0, 1].map(() => backend.execute({ language: 'wat', code: wat, limits })),
      );
      for (const run of runs) {
        expect(run.status, `round ${round}: ${run.error?.message}`).toBe('ok');
        expect(run.memoryPeakBytes).toBeGreaterThanOrEqual(PAGES * 65536);
      }
    }
    expect(backend.stats().executorRestarts).toBe(0);
  }, 180_000);
});
