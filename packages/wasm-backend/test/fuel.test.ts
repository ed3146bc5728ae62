import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import { afterAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { FUEL_EXPORT, instrumentFuel, OUT_OF_FUEL_EXPORT } from '../src/fuel/fuel-instrumenter.js';
import { readModuleInfo, WasmBackend } from '../src/index.js';
import { compileWat } from '../src/wat-compiler.js';
import { printer } from './fixtures/wat.js';

const backend = new WasmBackend({ maxConcurrency: 4 });
afterAll(() => backend.close());

const LOOP_SUM = `(module (func (export "sum") (param $n i32) (result i64) (local $i i32) (local $acc i64)
  (block $done (loop $next
    (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $i))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br $next)))
  (local.get $acc)))`;

/** Runs an entry function bare, with no sandbox; instrumented modules get a huge budget. */
async function runBare(bytes: Uint8Array, entry: string, args: Array<number | bigint>): Promise<unknown> {
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, {});
  const fuel = instance.exports[FUEL_EXPORT] as WebAssembly.Global | undefined;
  if (fuel) fuel.value = 1n << 60n;
  try {
    return (instance.exports[entry] as (...a: Array<number | bigint>) => unknown)(...args);
  } catch (error) {
    return `trap: ${(error as Error).message}`;
  }
}

describe('fuel metering', () => {
  it('reports fuelUsed for every run', async () => {
    const hello = await backend.execute({ language: 'wat', code: printer('fuel') });
    expect(hello.fuelUsed).toBeGreaterThan(0);
    const sum = await backend.execute({ language: 'wat', code: LOOP_SUM, entry: 'sum', input: [10] });
    expect(sum.value).toBe(45);
    expect(sum.fuelUsed).toBeGreaterThan(10 * 5);
  });

  it('is deterministic: the same module and input use exactly the same fuel, also under CPU load', async () => {
    const run = () => backend.execute({ language: 'wat', code: LOOP_SUM, entry: 'sum', input: [100_000] });
    const quiet = await Promise.all(Array.from({ length: 10 }, run));
    // Load the machine with other CPU-bound modules while measuring again.
    const load = Array.from({ length: 2 }, () =>
      backend.execute({
        language: 'wat',
        code: LOOP_SUM,
        entry: 'sum',
        input: [2_000_000_000],
        limits: { fuel: 3e9, timeoutMs: 20_000 },
      }),
    );
    const busy = [];
    for (let i = 0; i < 10; i++) busy.push(await run());
    await Promise.all(load);
    const used = new Set([...quiet, ...busy].map((r) => r.fuelUsed));
    expect(used.size).toBe(1);
    expect([...used][0]).toBeGreaterThan(100_000);
  });

  it('grows linearly with the work done', async () => {
    const fuelFor = async (n: number) =>
      (await backend.execute({ language: 'wat', code: LOOP_SUM, entry: 'sum', input: [n] })).fuelUsed!;
    const [a, b, c] = await Promise.all([fuelFor(1000), fuelFor(2000), fuelFor(3000)]);
    expect(b - a).toBe(c - b);
    expect(b - a).toBeGreaterThan(1000 * 5);
  });

  it('an infinite loop ends as out_of_fuel, not at the wall-clock deadline', async () => {
    const result = await backend.execute({
      language: 'wat',
      code: '(module (func (export "_start") (local i32) (loop $l (local.set 0 (i32.add (local.get 0) (i32.const 1))) (br $l))))',
      limits: { timeoutMs: 120_000, fuel: 50_000_000 },
    });
    expect(result.status).toBe('out_of_fuel');
    expect(result.fuelUsed).toBeGreaterThanOrEqual(50_000_000);
  });

  it('a budget of N stops within N plus the largest single charge', async () => {
    const code =
      '(module (func (export "_start") (local i32) (loop $l (local.set 0 (i32.add (local.get 0) (i32.const 1))) (br $l))))';
    const bytes = await compileWat(code);
    const { maxStaticCharge } = instrumentFuel(bytes);
    for (const budget of [1, 999, 123_457, 5_000_000]) {
      const result = await backend.execute({ language: 'wasm', code: bytes, limits: { fuel: budget } });
      expect(result.status).toBe('out_of_fuel');
      expect(result.error?.limit).toMatchObject({ name: 'fuel', allowed: budget });
      expect(result.fuelUsed).toBeGreaterThan(budget);
      expect(result.fuelUsed).toBeLessThanOrEqual(budget + maxStaticCharge);
    }
  });

  it("a user's own unreachable is a trap, not out_of_fuel", async () => {
    const result = await backend.execute({
      language: 'wat',
      code: '(module (func (export "_start") unreachable))',
    });
    expect(result.error?.kind).toBe('trap:unreachable');
  });

  it('charges bulk memory operations by the bytes they touch and memory.grow by pages', async () => {
    const loop = (op: string) => `(module (memory 2)
      (func (export "f") (param $n i32) (local $i i32)
        (loop $l ${op}
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))))`;
    const fuelOf = async (op: string) =>
      (await backend.execute({ language: 'wat', code: loop(op), entry: 'f', input: [100] })).fuelUsed!;
    // four ordinary instructions, like the three operands plus the bulk op below
    const nothing = await fuelOf('(drop (i32.const 0)) (drop (i32.const 0))');
    const fill = await fuelOf('(memory.fill (i32.const 0) (i32.const 7) (i32.const 65536))');
    const copy = await fuelOf('(memory.copy (i32.const 0) (i32.const 65536) (i32.const 65536))');
    expect(fill - nothing).toBe(100 * (65536 / 64));
    expect(copy - nothing).toBe(100 * (65536 / 64));
    const grow = await backend.execute({
      language: 'wat',
      entry: 'g',
      input: [],
      code: '(module (memory 1) (func (export "g") (result i32) (memory.grow (i32.const 10))))',
    });
    expect(grow.value).toBe(1);
    expect(grow.fuelUsed).toBeGreaterThanOrEqual(10 * 1024);
  });

  it('the counter cannot be reset by the module', async () => {
    // 1. Naming the counter's global index (one past the module's own) is invalid in the original module.
    const sneaky = `(module (global $g (mut i64) (i64.const 0))
      (func (export "_start") (global.set 1 (i64.const 9223372036854775807)) (loop $l (br $l))))`;
    await expect(backend.execute({ language: 'wat', code: sneaky })).rejects.toSatisfy(
      InvalidRequestError.isInstance,
    );
    // 2. The counter is a fresh, unexported-to-the-module global: writing its own globals changes nothing.
    const ownGlobals = `(module (global $g (mut i64) (i64.const 0))
      (func (export "_start") (loop $l (global.set $g (i64.const 9223372036854775807)) (br $l))))`;
    const result = await backend.execute({ language: 'wat', code: ownGlobals, limits: { fuel: 10_000 } });
    expect(result.status).toBe('out_of_fuel');
    // 3. Exporting names that collide with the sandbox's exports makes the module invalid, not privileged.
    const collide = `(module (global (export "${FUEL_EXPORT}") (mut i64) (i64.const 0)) (func (export "_start")))`;
    await expect(backend.execute({ language: 'wat', code: collide })).rejects.toSatisfy(
      InvalidRequestError.isInstance,
    );
  });

  it('rejects opcodes it cannot meter with a clear InvalidRequestError', async () => {
    const wabt = await wabtInit();
    const module = wabt.parseWat(
      't.wat',
      '(module (memory 1 1 shared) (func (export "f") (result i32) (i32.atomic.load (i32.const 0))))',
      {
        threads: true,
      },
    );
    const bytes = new Uint8Array(module.toBinary({}).buffer);
    module.destroy();
    expect(WebAssembly.validate(bytes)).toBe(true);
    const error = await backend
      .execute({ language: 'wasm', code: bytes, entry: 'f' })
      .catch((e: unknown) => e);
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/cannot meter fuel.*0xfe/);
  });

  it('runs a start function after the budget is set, and meters it', async () => {
    const code = `(module ${'(import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))'}
      (memory (export "memory") 1) (global $ready (mut i32) (i32.const 0))
      (func $init (global.set $ready (i32.const 42)))
      (start $init)
      (func (export "ready") (result i32) (global.get $ready)))`;
    const result = await backend.execute({ language: 'wat', code, entry: 'ready' });
    expect(result).toMatchObject({ status: 'ok', value: 42 });
    const looping = await backend.execute({
      language: 'wat',
      code: '(module (func $spin (loop $l (br $l))) (start $spin) (func (export "_start")))',
      limits: { fuel: 50_000 },
    });
    expect(looping.status).toBe('out_of_fuel');
  });
});

describe('instrumented modules behave like the originals', () => {
  const corpus: Array<{ name: string; wat: string; entry: string; inputs: Array<Array<number | bigint>> }> = [
    { name: 'loop sum', wat: LOOP_SUM, entry: 'sum', inputs: [[0], [1], [17], [1000]] },
    {
      name: 'recursive fib',
      entry: 'fib',
      inputs: [[0], [1], [10], [20]],
      wat: `(module (func $fib (export "fib") (param i32) (result i32)
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
          (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2))))))))`,
    },
    {
      name: 'br_table dispatch',
      entry: 'pick',
      inputs: [[0], [1], [2], [3], [99]],
      wat: `(module (func (export "pick") (param i32) (result i32)
        (block $d (block $c (block $b (block $a (br_table $a $b $c $d (local.get 0)))
          (return (i32.const 10))) (return (i32.const 20))) (return (i32.const 30))) (i32.const 40)))`,
    },
    {
      name: 'multi-value blocks and results',
      entry: 'swapsum',
      inputs: [
        [1, 2],
        [-5, 9],
      ],
      wat: `(module (type $pair (func (result i32 i32)))
        (func (export "swapsum") (param i32 i32) (result i32 i32 i32)
          (block (type $pair) (local.get 1) (local.get 0))
          (i32.add (local.get 0) (local.get 1))))`,
    },
    {
      name: 'memory ops',
      entry: 'checksum',
      inputs: [[0], [10], [4000]],
      wat: `(module (memory 1) (func (export "checksum") (param $n i32) (result i32) (local $i i32) (local $s i32)
        (memory.fill (i32.const 0) (i32.const 3) (local.get $n))
        (memory.copy (i32.const 8000) (i32.const 0) (local.get $n))
        (block $x (loop $l (br_if $x (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $s (i32.add (local.get $s) (i32.load8_u offset=8000 (local.get $i))))
          (i32.store8 (local.get $i) (local.get $i))
          (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
        (i32.add (local.get $s) (i32.load (i32.const 4)))))`,
    },
    {
      name: 'SIMD',
      entry: 'dot',
      inputs: [
        [1, 2],
        [7, -3],
      ],
      wat: `(module (func (export "dot") (param i32 i32) (result i32)
        (local $v v128)
        (local.set $v (i32x4.mul (i32x4.splat (local.get 0)) (v128.const i32x4 1 2 3 4)))
        (local.set $v (i32x4.add (local.get $v) (i32x4.splat (local.get 1))))
        (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))`,
    },
    {
      name: 'traps stay traps',
      entry: 'div',
      inputs: [
        [10, 2],
        [1, 0],
      ],
      wat: `(module (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))`,
    },
    {
      name: 'indirect calls and early returns',
      entry: 'apply',
      inputs: [
        [0, 5],
        [1, 5],
        [2, 5],
      ],
      wat: `(module (type $t (func (param i32) (result i32)))
        (table 2 funcref) (elem (i32.const 0) $inc $dbl)
        (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
        (func $dbl (type $t) (if (i32.eqz (local.get 0)) (then (return (i32.const -1)))) (i32.mul (local.get 0) (i32.const 2)))
        (func (export "apply") (param i32 i32) (result i32) (call_indirect (type $t) (local.get 1) (local.get 0))))`,
    },
  ];

  for (const item of corpus) {
    it(item.name, async () => {
      const plain = await compileWat(item.wat);
      const metered = instrumentFuel(plain).bytes;
      expect(WebAssembly.validate(metered as Uint8Array<ArrayBuffer>)).toBe(true);
      for (const args of item.inputs) {
        expect(await runBare(metered, item.entry, args), JSON.stringify(args)).toEqual(
          await runBare(plain, item.entry, args),
        );
      }
    });
  }

  it('generated modules: random nested control flow computes the same values', async () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const ops = ['i32.add', 'i32.sub', 'i32.mul', 'i32.xor', 'i32.and', 'i32.or', 'i32.shl', 'i32.rotl'];
    const expr = (depth: number): string => {
      const pick = depth <= 0 ? rand(2) : rand(6);
      if (pick === 0) return `(local.get ${rand(2)})`;
      if (pick === 1) return `(i32.const ${rand(1000) - 500})`;
      if (pick <= 3) return `(${ops[rand(ops.length)]} ${expr(depth - 1)} ${expr(depth - 1)})`;
      if (pick === 4)
        return `(if (result i32) ${expr(depth - 1)} (then ${expr(depth - 1)}) (else ${expr(depth - 1)}))`;
      // a bounded loop accumulating into local 2
      return `(block (result i32) (local.set 3 (i32.const ${1 + rand(20)})) (local.set 2 (i32.const 0))
        (loop $l (local.set 2 (i32.add (local.get 2) ${expr(depth - 2)}))
          (local.set 3 (i32.sub (local.get 3) (i32.const 1))) (br_if $l (local.get 3)))
        (local.get 2))`;
    };
    for (let m = 0; m < 25; m++) {
      const wat = `(module (func (export "f") (param i32 i32) (result i32) (local i32 i32) ${expr(5)}))`;
      const plain = await compileWat(wat);
      const metered = instrumentFuel(plain).bytes;
      for (let k = 0; k < 4; k++) {
        const args = [rand(100000) - 50000, rand(100000) - 50000];
        expect(await runBare(metered, 'f', args), wat).toEqual(await runBare(plain, 'f', args));
      }
    }
  });

  it('keeps the name section and custom sections valid', async () => {
    const plain = await compileWat('(module (func $named (export "f") (result i32) (i32.const 1)))');
    const metered = instrumentFuel(plain).bytes;
    const module = new WebAssembly.Module(metered as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.customSections(module, 'name').length).toBe(1);
    const exports = readModuleInfo(metered).exports.map((e) => e.name);
    expect(exports).toEqual(['f', FUEL_EXPORT, OUT_OF_FUEL_EXPORT]);
  });
});
