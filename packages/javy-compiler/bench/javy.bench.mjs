// JS compiled to WebAssembly: compile times (static and dynamic, cold and cached), JS hello world
// on the wasm backend versus the node backend's warm pool versus quickjs-emscripten (a fresh
// runtime and context per run, the usual way that library is used), and a CPU-bound JS loop on each.
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import { createCompiler, MemoryCompileCache } from '@memory-mcp/javy-compiler';
import { NodeBackend } from '@memory-mcp/node-backend';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import { newQuickJSWASMModuleFromVariant } from 'quickjs-emscripten-core';
import { fmt, measure, report, rowsFor, summarize } from '../../../scripts/bench-lib.mjs';

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

const hello = `console.log('hello world');`;
const loop = 'let t = 0;\nfor (let i = 0; i < 1000000; i++) t = (t + i * i) % 1000003;\nreturn t;';

// wasm backend, dynamic modules on the shared pre-initialized engine (what the app uses)
const wasm = new WasmBackend({ compiler: createCompiler({ mode: 'dynamic' }) });
const onWasm = async (code, limits) => {
  const r = await wasm.execute({ language: 'javascript', code, ...(limits ? { limits } : {}) });
  if (r.status !== 'ok') throw new Error(JSON.stringify(r.error));
  return r;
};
for (let i = 0; i < 300; i++) await onWasm(hello);
const wasmHello = await measure(() => onWasm(hello), { runs: 2000, warmup: 100 });

// quickjs-emscripten: one shared wasm instance, a fresh runtime and context per run
const qjs = await newQuickJSWASMModuleFromVariant(RELEASE_SYNC);
const onQuickjsEmscripten = (code) => {
  const runtime = qjs.newRuntime();
  const ctx = runtime.newContext();
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
const qjsHello = await measure(() => onQuickjsEmscripten(hello), { runs: 2000, warmup: 100 });

// node backend, warm pool: latency when a restricted process is ready
const node = new NodeBackend();
const nodeSamples = [];
for (let i = 0; i < 210; i++) {
  await node.warm();
  const t = performance.now();
  const r = await node.execute({ language: 'javascript', code: hello });
  if (r.status !== 'ok') throw new Error(JSON.stringify(r.error));
  if (i >= 10) nodeSamples.push(performance.now() - t);
}
const nodeHello = summarize(nodeSamples);

row(
  'JS hello world: wasm backend (dynamic module, cached compile, fresh instance, fuel metered)',
  wasmHello,
  {
    ratio: wasmHello.median / qjsHello.median,
    target: '< 0.25 ms, faster than quickjs-emscripten',
    note: 'ratio is against quickjs-emscripten',
  },
);
row('JS hello world: quickjs-emscripten 0.32, fresh runtime + context per run (peer)', qjsHello);
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
row('CPU loop (1M iterations): wasm backend (QuickJS, fuel metered)', loopWasm, {
  ratio: loopWasm.median / loopQjs.median,
  note: `${fmt(loopFuel / 1e6)}M fuel; ratio against quickjs-emscripten`,
});
row('CPU loop (1M iterations): quickjs-emscripten (QuickJS, no metering)', loopQjs);
row('CPU loop (1M iterations): node backend (V8 JIT, process per run)', loopNode);

await wasm.close();
await node.close();
report(rows);
