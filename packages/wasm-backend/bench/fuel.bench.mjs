// Fuel metering cost: the same workloads plain and instrumented in one process, the slowdown
// ratio of the medians, fuel burn rates (the calibration of DEFAULT_FUEL_PER_SECOND), and the
// time to instrument a large real-world module.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import RELEASE_SYNC from '@jitl/quickjs-wasmfile-release-sync';
import { compileWat, DEFAULT_FUEL_PER_SECOND, FUEL_EXPORT, instrumentFuel } from '@memory-mcp/wasm-backend';
import { newQuickJSWASMModuleFromVariant, newVariant } from 'quickjs-emscripten-core';
import { fmt, report, rowsFor, summarize } from '../../../scripts/bench-lib.mjs';

const row = rowsFor('wasm-backend');

const rounds = Number(process.env.BENCH_FUEL_ROUNDS ?? 15);
const require = createRequire(import.meta.url);

const workloads = [
  {
    name: 'tight i32 loop (100M iterations)',
    entry: 'run',
    args: [100_000_000],
    wat: `(module (func (export "run") (param $n i32) (result i32) (local $i i32) (local $acc i32)
      (loop $l
        (local.set $acc (i32.add (local.get $acc) (i32.xor (local.get $i) (i32.const 0x5bd1e995))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
      (local.get $acc)))`,
  },
  {
    name: 'recursive fib(27)',
    entry: 'fib',
    args: [27],
    wat: `(module (func $fib (export "fib") (param i32) (result i32)
      (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
        (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2))))))))`,
  },
  {
    name: 'memory-heavy loop (64 passes over 1 MiB)',
    entry: 'run',
    args: [64],
    wat: `(module (memory 17) (func (export "run") (param $passes i32) (result i32) (local $p i32) (local $i i32) (local $acc i32)
      (loop $pass
        (local.set $i (i32.const 0))
        (loop $l
          (i32.store (local.get $i) (i32.add (i32.load (local.get $i)) (local.get $i)))
          (local.set $acc (i32.add (local.get $acc) (i32.load offset=4 (local.get $i))))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $l (i32.lt_u (local.get $i) (i32.const 1048576))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $pass (i32.lt_u (local.get $p) (local.get $passes))))
      (local.get $acc)))`,
  },
];

async function instantiate(bytes) {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return instance;
}

/** Alternates plain and instrumented runs so both see the same machine state. */
async function compare(run, roundsCount) {
  const plain = [];
  const metered = [];
  await run.plain();
  await run.metered();
  for (let i = 0; i < roundsCount; i++) {
    let t = performance.now();
    await run.plain();
    plain.push(performance.now() - t);
    t = performance.now();
    await run.metered();
    metered.push(performance.now() - t);
  }
  return { plain: summarize(plain), metered: summarize(metered) };
}

const rows = [];
const rates = [];
for (const w of workloads) {
  const bytes = await compileWat(w.wat);
  const plain = await instantiate(bytes);
  const meteredInstance = await instantiate(instrumentFuel(bytes).bytes);
  const fuel = meteredInstance.exports[FUEL_EXPORT];
  let used = 0;
  const result = await compare(
    {
      plain: () => plain.exports[w.entry](...w.args),
      metered: () => {
        fuel.value = 1n << 60n;
        meteredInstance.exports[w.entry](...w.args);
        used = Number((1n << 60n) - fuel.value);
      },
    },
    rounds,
  );
  const ratio = result.metered.median / result.plain.median;
  const rate = used / (result.metered.median / 1000);
  rates.push(rate);
  rows.push(row(`fuel: ${w.name}, plain`, result.plain), {
    ...row(`fuel: ${w.name}, instrumented`, result.metered),
    ratio,
    target: w.name.startsWith('tight') ? '<= 1.3x' : '',
    note: `${fmt(used / 1e6)}M fuel, ${fmt(rate / 1e6)}M fuel/s`,
  });
  console.error(
    `${w.name}: plain ${fmt(result.plain.median)} ms, instrumented ${fmt(result.metered.median)} ms, ${ratio.toFixed(2)}x, ${fmt(rate / 1e6)}M fuel/s`,
  );
}

// The calibration case: a runaway loop in a freshly compiled module. V8 has no on-stack
// replacement for wasm, so a loop that never returns stays in the baseline tier (Liftoff): the
// slowest fuel burn a runaway loop can have, and so what the default fuel per second must stay under.
const runawayBudget = 500_000_000n;
const runawayTimes = [];
for (let i = 0; i < 7; i++) {
  // distinct bytes each round, so V8 cannot reuse code it already tiered up
  const wat = `(module (func (export "f") (loop $l (br $l))) (func (export "round") (result i32) (i32.const ${i})))`;
  const runawayBytes = instrumentFuel(await compileWat(wat)).bytes;
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(runawayBytes), {});
  instance.exports[FUEL_EXPORT].value = runawayBudget;
  const t = performance.now();
  try {
    instance.exports.f();
  } catch {}
  runawayTimes.push(performance.now() - t);
}
const runaway = summarize(runawayTimes);
const runawayRate = Number(runawayBudget) / (runaway.median / 1000);
rates.push(runawayRate);
rows.push({
  ...row('fuel: runaway empty loop, fresh module (baseline tier), time to burn 500M fuel', runaway),
  note: `${fmt(runawayRate / 1e6)}M fuel/s`,
});
console.error(`runaway loop: ${fmt(runaway.median)} ms for 500M fuel, ${fmt(runawayRate / 1e6)}M fuel/s`);

// A real-world engine: QuickJS (quickjs-emscripten's release build) running a JS loop.
const qjsPath = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
const qjsBytes = readFileSync(qjsPath);
const instrumentTimes = [];
let meteredQjs;
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  meteredQjs = instrumentFuel(qjsBytes, undefined, { initialFuel: 1n << 62n });
  instrumentTimes.push(performance.now() - t);
}
// Emscripten instantiates the module itself; catch the instance to read its fuel counter.
let lastInstance;
const realInstantiate = WebAssembly.instantiate;
WebAssembly.instantiate = async (...args) => {
  const result = await realInstantiate(...args);
  lastInstance = result.instance ?? result;
  return result;
};
const engine = async (bytes) =>
  newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmModule: await WebAssembly.compile(bytes) }));
const qjsPlain = await engine(qjsBytes);
const qjsMetered = await engine(meteredQjs.bytes);
const qjsFuel = lastInstance.exports[FUEL_EXPORT];
WebAssembly.instantiate = realInstantiate;
const iterations = 300_000;
const jsLoop = `let s = 0; for (let i = 0; i < ${iterations}; i++) { s = (s + i * 7) % 1000003; } s`;
let expected = 0;
for (let i = 0; i < iterations; i++) expected = (expected + i * 7) % 1000003;
const evalIn = (qjs) => {
  const ctx = qjs.newContext();
  const out = ctx.unwrapResult(ctx.evalCode(jsLoop));
  const value = ctx.getNumber(out);
  out.dispose();
  ctx.dispose();
  if (value !== expected) throw new Error(`QuickJS computed ${value}, Node ${expected}`);
};
let qjsUsed = 0;
const qjs = await compare(
  {
    plain: () => evalIn(qjsPlain),
    metered: () => {
      const before = qjsFuel.value;
      evalIn(qjsMetered);
      qjsUsed = Number(before - qjsFuel.value);
    },
  },
  rounds,
);
const qjsRatio = qjs.metered.median / qjs.plain.median;
const qjsRate = qjsUsed / (qjs.metered.median / 1000);
rates.push(qjsRate);
rows.push(
  {
    ...row('fuel: QuickJS engine (quickjs-emscripten, 503 KB) running a JS loop, plain', qjs.plain),
  },
  {
    ...row('fuel: QuickJS engine running a JS loop, instrumented', qjs.metered),
    ratio: qjsRatio,
    target: '<= 1.5x',
    note: `${fmt(qjsUsed / 1e6)}M fuel, ${fmt(qjsRate / 1e6)}M fuel/s`,
  },
);
console.error(
  `QuickJS loop: plain ${fmt(qjs.plain.median)} ms, instrumented ${fmt(qjs.metered.median)} ms, ${qjsRatio.toFixed(2)}x, ${fmt(qjsRate / 1e6)}M fuel/s`,
);

// Instrumentation time, and per MB, on the largest module at hand: the instrumented engine itself.
const big = meteredQjs.bytes;
const bigTimes = [];
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  instrumentFuel(big);
  bigTimes.push(performance.now() - t);
}
const bigSummary = summarize(bigTimes);
rows.push(
  {
    ...row(
      `fuel: instrument the QuickJS engine (${(qjsBytes.length / 1e6).toFixed(2)} MB)`,
      summarize(instrumentTimes),
    ),
  },
  {
    ...row(`fuel: instrument a ${(big.length / 1e6).toFixed(2)} MB module`, bigSummary),
    target: '< 100 ms per MB',
    note: `${fmt(bigSummary.median / (big.length / 1e6))} ms per MB`,
  },
  {
    package: 'wasm-backend',
    benchmark: 'fuel: calibration, slowest burn rate above (default fuel per second is set below it)',
    unit: 'M fuel/s',
    median: Math.min(...rates) / 1e6,
    note: `DEFAULT_FUEL_PER_SECOND = ${DEFAULT_FUEL_PER_SECOND / 1e6}M; seed design: 1M`,
  },
);
report(rows);
