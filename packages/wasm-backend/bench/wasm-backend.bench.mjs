// Hello-world WASI command through the wasm backend (warm and cold cache), throughput with 20
// concurrent callers, and a bare WebAssembly.instantiate + _start baseline in the same process.
import { compileWat, WasmBackend } from '@memory-mcp/wasm-backend';
import { fmt, measure, report, rowsFor } from '../../../scripts/bench-lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 2000);
const hello = (text) => `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "${text}\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const ${text.length + 1}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;
const bytes = await compileWat(hello('hello world'));

// Baseline: the same module, instantiated and run bare, with the least WASI that it needs.
const module = await WebAssembly.compile(bytes);
const bare = await measure(
  async () => {
    let memory;
    const out = [];
    const instance = await WebAssembly.instantiate(module, {
      wasi_snapshot_preview1: {
        fd_write(_fd, iovs, _n, written) {
          const view = new DataView(memory.buffer);
          const ptr = view.getUint32(iovs, true);
          const len = view.getUint32(iovs + 4, true);
          out.push(new Uint8Array(memory.buffer, ptr, len).slice());
          view.setUint32(written, len, true);
          return 0;
        },
      },
    });
    memory = instance.exports.memory;
    instance.exports._start();
  },
  { runs },
);

const backend = new WasmBackend();
const request = { language: 'wasm', code: bytes };
const warm = await measure(
  async () => {
    const result = await backend.execute(request);
    if (result.stdout !== 'hello world\n') throw new Error(`bad output: ${JSON.stringify(result)}`);
  },
  { runs, warmup: 200 },
);

const coldModules = await Promise.all(
  Array.from({ length: 1000 }, (_, i) => compileWat(hello(`hello ${i}`))),
);
const cold = await measure(
  (i) => backend.execute({ language: 'wasm', code: coldModules[i % coldModules.length] }),
  {
    runs: 1000,
    warmup: 0,
  },
);

const total = 10_000;
let next = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 20 }, async () => {
    while (next++ < total) await backend.execute(request);
  }),
);
const perSecond = total / ((performance.now() - t0) / 1000);
await backend.close();

const row = rowsFor('wasm-backend');
report([
  row('bare WebAssembly.instantiate + _start, no sandbox (baseline)', bare),
  row('hello world through the backend, warm cache (worker hop included)', warm, {
    ratio: warm.median / bare.median,
    target: 'median < 0.25 ms',
  }),
  row('hello world through the backend, cold cache (compile included)', cold, {
    ratio: cold.median / bare.median,
  }),
  {
    package: 'wasm-backend',
    benchmark: 'throughput, 20 concurrent callers, 2 cores',
    unit: 'exec/s',
    median: perSecond,
    runs: total,
  },
]);
console.error(
  `wasm-backend: warm ${fmt(warm.median)} ms (p95 ${fmt(warm.p95)}), cold ${fmt(cold.median)} ms, bare ${fmt(bare.median)} ms, ${Math.round(perSecond)} exec/s with 20 callers`,
);
