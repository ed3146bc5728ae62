// JS compiled to WebAssembly: compile times (static and dynamic, cold and cached), JS hello world
// on the wasm backend versus the node backend's warm pool versus quickjs-emscripten (a fresh
// runtime and context per run, the usual way that library is used), and a CPU-bound JS loop on each.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import { createCompiler, MemoryCompileCache } from '@memory-mcp/javy-compiler';
import { NodeBackend } from '@memory-mcp/node-backend';
import { WasmBackend, WasmEngine } from '@memory-mcp/wasm-backend';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import { QuickJS } from 'quickjs-wasi';
import { fmt, measure, report, rowsFor, summarize } from '../../../scripts/bench-lib.mjs';

const require = createRequire(import.meta.url);
const rows = [];
const toRow = rowsFor('javy-compiler');
const row = (benchmark, s, extra = {}) => {
  rows.push(toRow(benchmark, s, extra));
  console.error(`${benchmark}: ${fmt(s.median)} ms (p95 ${fmt(s.p95)})`);
};

// A 20-line script.
const script = (n) => `// variant ${n}
const items = input?.items ?? [3, 1, 2];
function total(list) {
  let sum = 0;
  for (const x of list) sum += x;
  return sum;
}
class Stats {
  constructor(xs) { this.xs = [...xs].sort((a, b) => a - b); }
  get min() { return this.xs[0]; }
  get max() { return this.xs[this.xs.length - 1]; }
  get mean() { return total(this.xs) / this.xs.length; }
}
const s = new Stats(items);
const label = \`n=\${items.length}\`;
console.log(label, s.min, s.max);
const doubled = items.map((x) => x * 2);
const json = JSON.stringify({ doubled, mean: s.mean });
if (doubled.length === 0) throw new Error('empty');
return JSON.parse(json);`;

for (const mode of ['static', 'dynamic']) {
  let n = 0;
  const cold = await measure(
    () => createCompiler({ mode, cache: new MemoryCompileCache() }).compile(script(n++)),
    { runs: mode === 'static' ? 100 : 300, warmup: 5 },
  );
  row(`compile a 20-line script, ${mode}, cold`, cold, { target: mode === 'static' ? '< 200 ms' : '' });
  const compiler = createCompiler({ mode });
  const cached = await measure(() => compiler.compile(script(0)), { runs: 2000, warmup: 10 });
  row(`compile a 20-line script, ${mode}, cached`, cached, { target: '< 0.1 ms' });
}

// The hello world: read the input, print once, return a value.
const hello = `console.log('hello', input.name);\nreturn input.n + 1;`;
const helloInput = { name: 'world', n: 41 };
const loop = 'let t = 0;\nfor (let i = 0; i < 1000000; i++) t = (t + i * i) % 1000003;\nreturn t;';

// wasm backend, dynamic modules on the shared pre-initialized engine (what the app uses)
// Through the backend as the app runs it: the compiler loads in the jailed executors' worker
// threads, and the engine ships metered and is reset between runs.
const compilerModule = new URL('../dist/index.js', import.meta.url).href;
const wasm = new WasmBackend({ executorCompiler: { module: compilerModule, options: { mode: 'dynamic' } } });
const onWasm = async (code, limits, input) => {
  const r = await wasm.execute({
    language: 'javascript',
    code,
    ...(input ? { input } : {}),
    ...(limits ? { limits } : {}),
  });
  if (r.status !== 'ok') throw new Error(JSON.stringify(r.error));
  return r;
};
for (let i = 0; i < 300; i++) await onWasm(hello, undefined, helloInput);
const wasmHello = await measure(() => onWasm(hello, undefined, helloInput), { runs: 2000, warmup: 100 });
// In this process: the same engine, pipeline and worker thread, without the executor hop.
const engine = new WasmEngine({
  workerCompiler: { module: compilerModule, options: { mode: 'dynamic' } },
  maxConcurrency: 1,
});
const engineRunMs = [];
const onEngine = async () => {
  const r = await engine.execute({ language: 'javascript', code: hello, input: helloInput });
  if (r.status !== 'ok' || r.value !== 42) throw new Error(JSON.stringify(r.error ?? r.value));
  engineRunMs.push(r.timing.runMs);
};
for (let i = 0; i < 300; i++) await onEngine();
const engineHello = await measure(onEngine, { runs: 2000, warmup: 100 });
// the worker's own share: running the script's bytecode on the reset engine
const engineInWorker = summarize(engineRunMs.slice(-2000));

// What an agent sends: a script never seen before, every call (the same hello world, told apart
// by a comment), so each call compiles in the worker and nothing is cached.
let fresh = 0;
const newHello = () => `${hello}\n// call ${fresh++}`;
const onEngineNew = async () => {
  const r = await engine.execute({ language: 'javascript', code: newHello(), input: helloInput });
  if (r.status !== 'ok' || r.value !== 42) throw new Error(JSON.stringify(r.error ?? r.value));
};
const engineHelloNew = await measure(onEngineNew, { runs: 1000, warmup: 100 });
const wasmHelloNew = await measure(() => onWasm(newHello(), undefined, helloInput), {
  runs: 1000,
  warmup: 100,
});

// quickjs-emscripten: one shared wasm instance, a fresh runtime and context per run
const qjs = await newQuickJSWASMModuleFromVariant(RELEASE_SYNC);
const onQuickjsEmscripten = (code, input) => {
  const runtime = qjs.newRuntime();
  const ctx = runtime.newContext();
  if (input !== undefined) {
    const value = ctx.unwrapResult(ctx.evalCode(`(${JSON.stringify(input)})`));
    ctx.setProp(ctx.global, 'input', value);
    value.dispose();
  }
  const out = [];
  const log = ctx.newFunction('log', (...args) => {
    out.push(args.map((a) => ctx.dump(a)).join(' '));
  });
  const consoleObj = ctx.newObject();
  ctx.setProp(consoleObj, 'log', log);
  ctx.setProp(ctx.global, 'console', consoleObj);
  log.dispose();
  consoleObj.dispose();
  const result = ctx.evalCode(`(function () {${code}\n})()`);
  const value = ctx.dump(ctx.unwrapResult(result));
  ctx.dispose();
  runtime.dispose();
  return { out, value };
};
const qjsHello = await measure(
  () => {
    if (onQuickjsEmscripten(hello, helloInput).value !== 42) throw new Error('quickjs-emscripten disagrees');
  },
  { runs: 2000, warmup: 100 },
);

// The floor under every worker-thread row: one message to a worker thread and its answer, with no
// wasm at all (the worker echoes a message the size of a run's). A run's deadline can stop the
// engine only because it runs on a thread other than the caller's.
const echo = new Worker(
  "require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m));",
  { eval: true },
);
const echoMessage = {
  id: 0,
  moduleKey: 'k'.repeat(120),
  stdin: new TextEncoder().encode(JSON.stringify(helloInput)),
  args: ['main.wasm'],
  env: {},
  fuel: 1e9,
  links: [
    {
      name: 'memory_mcp_engine',
      key: 'k'.repeat(120),
      wasiImports: { wasi_snapshot_preview1: ['fd_write', 'fd_read'] },
    },
  ],
};
const roundTrip = () =>
  new Promise((resolve) => {
    echo.once('message', resolve);
    echo.postMessage(echoMessage);
  });
const hopFloor = await measure(roundTrip, { runs: 2000, warmup: 100 });
await echo.terminate();

// node backend, warm pool: latency when a restricted process is ready
const node = new NodeBackend();
const nodeSamples = [];
for (let i = 0; i < 210; i++) {
  await node.warm();
  const t = performance.now();
  const r = await node.execute({ language: 'javascript', code: hello, input: helloInput });
  if (r.status !== 'ok') throw new Error(JSON.stringify(r.error));
  if (i >= 10) nodeSamples.push(performance.now() - t);
}
const nodeHello = summarize(nodeSamples);

row(
  'JS hello world: wasm engine in this process (worker thread, reset engine instance, fuel metered)',
  engineHello,
  {
    ratio: engineHello.median / qjsHello.median,
    target: 'faster than quickjs-emscripten',
    note: 'ratio is against quickjs-emscripten',
  },
);
/** A row whose ratio is against quickjs-emscripten. */
const vsQjs = (benchmark, s, note = 'ratio is against quickjs-emscripten') =>
  row(benchmark, s, { ratio: s.median / qjsHello.median, note });
const parsesEveryRun = 'ratio is against quickjs-emscripten, which parses its source every run';
vsQjs('JS hello world: of which the worker runs it (timing.runMs)', engineInWorker);
vsQjs('JS hello world, a new script every call: wasm engine in this process', engineHelloNew, parsesEveryRun);
vsQjs(
  'JS hello world, a new script every call: wasm backend (jailed executor + worker thread)',
  wasmHelloNew,
  parsesEveryRun,
);
vsQjs('JS hello world: wasm backend (jailed executor process + worker thread)', wasmHello);
row('JS hello world: quickjs-emscripten 0.32, fresh runtime + context per run (peer)', qjsHello);
vsQjs('floor: worker-thread round trip of a run-sized message, no wasm', hopFloor);
row('JS hello world: node backend, warm pool', nodeHello, {
  ratio: nodeHello.median / wasmHello.median,
  note: 'ratio is against the wasm backend',
});

const loopWasm = await measure(() => onWasm(loop, { fuel: 1e12, timeoutMs: 60_000 }), {
  runs: 15,
  warmup: 2,
});
const expected = (await onWasm(loop, { fuel: 1e12, timeoutMs: 60_000 })).value;
const loopQjs = await measure(
  () => {
    if (onQuickjsEmscripten(loop).value !== expected) throw new Error('quickjs-emscripten disagrees');
  },
  { runs: 15, warmup: 2 },
);
const loopNode = await measure(
  async () => {
    const r = await node.execute({ language: 'javascript', code: loop });
    if (r.value !== expected) throw new Error('node disagrees');
  },
  { runs: 15, warmup: 2 },
);
const loopFuel = (await onWasm(loop, { fuel: 1e12, timeoutMs: 60_000 })).fuelUsed;
// Our engine itself, outside the backend: the snapshot as shipped (no fuel) and its metered twin,
// each instantiated once with a minimal WASI and running the compiled loop: the fuel's own cost.
const engineDir = new URL('../engine/', import.meta.url);
const bareEngine = (file) => {
  let instance;
  const view = () => new DataView(instance.exports.memory.buffer);
  const wasi = {
    fd_close: () => 0,
    fd_fdstat_get: () => 8,
    fd_seek: () => 8,
    fd_write: (_fd, iovs, count, written) => {
      let total = 0;
      for (let i = 0; i < count; i++) total += view().getUint32(iovs + 8 * i + 4, true);
      view().setUint32(written, total, true);
      return 0;
    },
    clock_time_get: (_id, _precision, out) => {
      view().setBigUint64(out, 0n, true);
      return 0;
    },
    random_get: (ptr, len) => {
      crypto.getRandomValues(new Uint8Array(instance.exports.memory.buffer, ptr, len));
      return 0;
    },
    fd_read: (_fd, _iovs, _count, read) => {
      view().setUint32(read, 0, true);
      return 0;
    },
    proc_exit: (code) => {
      throw new Error(`exit ${code}`);
    },
  };
  instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL(file, engineDir))), {
    wasi_snapshot_preview1: wasi,
  });
  const e = instance.exports;
  const fill = () => {
    if (e.__memory_mcp_fuel) e.__memory_mcp_fuel.value = 10n ** 15n;
  };
  fill();
  const put = (bytes) => {
    const at = e.memory_mcp_alloc(bytes.length);
    new Uint8Array(e.memory.buffer).set(bytes, at);
    return at;
  };
  const source = new TextEncoder().encode(`(async function () {${loop}\n})\0`);
  if (e.memory_mcp_compile(put(source), source.length - 1) !== 0)
    throw new Error('the engine did not compile the loop');
  const bytecode = new Uint8Array(
    e.memory.buffer,
    e.memory_mcp_output_ptr(),
    e.memory_mcp_output_len(),
  ).slice();
  return () => {
    fill();
    if (e.memory_mcp_eval_bytecode(put(bytecode), bytecode.length) !== 0) throw new Error('the loop failed');
  };
};
const bareUnmetered = bareEngine('engine.snapshot.wasm');
const bareMetered = bareEngine('engine.metered.wasm');
// alternated run by run, so a change in the machine's load falls on both alike
const bareSamples = { unmetered: [], metered: [] };
for (let i = 0; i < 20; i++) {
  for (const [kind, run] of [
    ['unmetered', bareUnmetered],
    ['metered', bareMetered],
  ]) {
    const t = performance.now();
    run();
    if (i >= 5) bareSamples[kind].push(performance.now() - t);
  }
}
const loopEngineBare = summarize(bareSamples.unmetered);
const loopEngineMetered = summarize(bareSamples.metered);

// The upstream binary our engine is built from, without fuel: quickjs-wasi's own loader, one VM reused.
const vm = await QuickJS.create({ wasm: readFileSync(require.resolve('quickjs-wasi/quickjs.wasm')) });
const loopBare = await measure(
  () => {
    const value = vm.evalCode(`(() => {${loop}})()`).consume((h) => h.toNumber());
    if (value !== expected) throw new Error('quickjs-wasi disagrees');
  },
  { runs: 15, warmup: 2 },
);
row('CPU loop (1M iterations): wasm backend (QuickJS-ng, fuel metered)', loopWasm, {
  ratio: loopWasm.median / loopEngineBare.median,
  target: 'within 1.1x of the same engine without fuel',
  note: `${fmt(loopFuel / 1e6)}M fuel; ratio against our engine without fuel`,
});
row('CPU loop (1M iterations): our engine, metered, called directly (no backend)', loopEngineMetered, {
  ratio: loopEngineMetered.median / loopEngineBare.median,
  note: "the fuel's own cost: ratio against the same engine bytes without fuel",
});
row(
  'CPU loop (1M iterations): our engine without fuel (engine.snapshot.wasm), called directly',
  loopEngineBare,
);
row('CPU loop (1M iterations): upstream QuickJS-ng binary without fuel (quickjs-wasi 3.7.0)', loopBare, {
  ratio: loopBare.median / loopEngineBare.median,
  note: 'ratio against our engine without fuel',
});
row('CPU loop (1M iterations): quickjs-emscripten (QuickJS 2025, no metering)', loopQjs);
row('CPU loop (1M iterations): node backend (V8 JIT, process per run)', loopNode);

vm.dispose();
await engine.close();
await wasm.close();
await node.close();
report(rows);
