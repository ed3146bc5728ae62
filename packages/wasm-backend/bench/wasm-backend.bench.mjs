// Hello-world WASI command through the wasm backend (warm and cold cache), throughput with 20
// concurrent callers, and two baselines in the same run: a bare WebAssembly.instantiate + _start,
// and the same engine in-process (worker threads, no executor process), so the process hop shows.
// Last, the host's event-loop lag while an executor instruments a 12 MB module.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { compileWat, WasmBackend, WasmEngine } from '@memory-mcp/wasm-backend';
import { fmt, measure, report, rowsFor, summarize } from '../../../scripts/bench-lib.mjs';
import { bigModule } from '../test/fixtures/big-module.mjs';

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

const request = { language: 'wasm', code: bytes };
const engine = new WasmEngine();
const inProcess = await measure(
  async () => {
    const result = await engine.execute(request);
    if (result.stdout !== 'hello world\n') throw new Error(`bad output: ${JSON.stringify(result)}`);
  },
  { runs, warmup: 200 },
);
await engine.close();

const backend = new WasmBackend();
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

// A 12 MB module (`test/fixtures/big-module.mjs`), instrumented in the executor while this process
// samples its own event loop every 1 ms; five runs, fresh bytes each time. The histogram records
// each tick's whole interval, so the lag is what passes the 1 ms resolution.
const lags = [];
const idleLags = [];
const bigTimes = [];
for (let i = 0; i < 5; i++) {
  // Baseline: the same sampler over an idle wait, so machine noise is told apart from host work.
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  idle.disable();
  idleLags.push(idle.max / 1e6 - 1);

  const big = bigModule(12 * 1024 * 1024, i);
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  const t = performance.now();
  const result = await backend.execute({
    language: 'wasm',
    code: big,
    limits: { timeoutMs: 120_000, fuel: 1e12 },
  });
  bigTimes.push(performance.now() - t);
  lag.disable();
  if (result.status !== 'ok') throw new Error(`12 MB module: ${JSON.stringify(result.error)}`);
  lags.push(lag.max / 1e6 - 1);
}
const lagSummary = summarize(lags);
const idleSummary = summarize(idleLags);
const bigSummary = summarize(bigTimes);
await backend.close();

const row = rowsFor('wasm-backend');
report([
  row('bare WebAssembly.instantiate + _start, no sandbox (baseline)', bare),
  row('hello world in-process: WasmEngine, worker hop, no executor (hop baseline)', inProcess, {
    ratio: inProcess.median / bare.median,
  }),
  row('hello world through the backend, warm cache (executor process + worker hop)', warm, {
    ratio: warm.median / bare.median,
    target: 'median < 0.25 ms',
    note: `process hop: +${fmt(warm.median - inProcess.median)} ms median, ${fmt(warm.median / inProcess.median, 3)}x the in-process engine`,
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
  row('12 MB module, validate + instrument + cap + compile + run in the executor', bigSummary),
  {
    package: 'wasm-backend',
    benchmark: 'host event-loop lag (max) over an idle 1.5 s wait (baseline: machine noise)',
    unit: 'ms',
    median: idleSummary.median,
    p95: idleSummary.max,
    runs: idleLags.length,
  },
  {
    package: 'wasm-backend',
    benchmark: 'host event-loop lag (max) while the executor handles a 12 MB module',
    unit: 'ms',
    median: lagSummary.median,
    p95: lagSummary.max,
    runs: lags.length,
    target: '< 20 ms',
  },
]);
console.error(
  `wasm-backend: warm ${fmt(warm.median)} ms (p95 ${fmt(warm.p95)}), in-process ${fmt(inProcess.median)} ms (p95 ${fmt(inProcess.p95)}), cold ${fmt(cold.median)} ms, bare ${fmt(bare.median)} ms, ${Math.round(perSecond)} exec/s with 20 callers; 12 MB module ${fmt(bigSummary.median)} ms, host lag max ${lags.map((l) => fmt(l, 3)).join(', ')} ms (idle baseline ${idleLags.map((l) => fmt(l, 3)).join(', ')} ms)`,
);
