// Red-team suite: hostile requests and modules against WasmBackend, through real executors (the
// default jail), real worker threads and real WebAssembly. Each test asserts the promise that should
// hold: a status (never an untyped throw), innocent concurrent runs unharmed, the next request fine.
// Tests marked `// Was a finding, now fixed:` expose a real bug: they assert the correct behaviour and fail today.
import { type ExecutionRequest, type ExecutionResult, InvalidRequestError } from '@memory-mcp/sandbox-core';
import { ByteWriter } from '@memory-mcp/wasm-binary';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WasmBackend } from '../src/index.js';
import { printer } from './fixtures/wat.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const PAGE = 64 * KiB;

/** Sleeps `ms` in poll_oneoff (a wait, not work: holds its worker without depending on speed), then prints `text`. */
function sleeper(ms: number, text = 'done'): string {
  return `(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "${text}\\n")
  (func (export "_start")
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const ${ms * 1_000_000}))
    (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))
    (i32.store (i32.const 300) (i32.const 512))
    (i32.store (i32.const 304) (i32.const ${text.length + 1}))
    (drop (call $fd_write (i32.const 1) (i32.const 300) (i32.const 1) (i32.const 308)))))`;
}

/** `(func (export "f") (result i32) i32.const value)`. */
const constant = (value: number) => `(module (func (export "f") (result i32) i32.const ${value}))`;

/** Writes `bytes` bytes of 0xFF (not UTF-8) to stdout in one fd_write. */
function binaryWriter(bytes: number, pages: number): string {
  return `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") ${pages})
  (func (export "_start")
    (memory.fill (i32.const 64) (i32.const 255) (i32.const ${bytes}))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const ${bytes}))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;
}

const HEADER = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);

/** A module with one `[] -> []` function exported as `exportName`, body `body` (without its end). */
function moduleWith(body: Uint8Array, { memory = 0, exportName = '_start', locals = 0 } = {}): Uint8Array {
  const w = new ByteWriter().bytes(HEADER);
  w.section(1, new ByteWriter().u32(1).u8(0x60).u32(0).u32(0).finish());
  w.section(3, new ByteWriter().u32(1).u32(0).finish());
  if (memory) w.section(5, new ByteWriter().u32(1).u8(0).u32(memory).finish());
  w.section(7, new ByteWriter().u32(1).name(exportName).u8(0).u32(0).finish());
  const decls = locals ? new ByteWriter().u32(1).u32(locals).u8(0x7f).finish() : Uint8Array.of(0);
  const fn = new ByteWriter().bytes(decls).bytes(body).u8(0x0b).finish();
  w.section(10, new ByteWriter().u32(1).u32(fn.length).bytes(fn).finish());
  return w.finish();
}

/** A valid 3-byte-per-type module: `n` empty function types, one `_start`. */
function manyTypes(n: number): Uint8Array {
  const types = new ByteWriter().u32(n);
  for (let i = 0; i < n; i++) types.u8(0x60).u8(0).u8(0);
  const w = new ByteWriter().bytes(HEADER);
  w.section(1, types.finish());
  w.section(3, new ByteWriter().u32(1).u32(0).finish());
  w.section(7, new ByteWriter().u32(1).name('_start').u8(0).u32(0).finish());
  w.section(10, new ByteWriter().u32(1).u32(2).u8(0).u8(0x0b).finish());
  return w.finish();
}

/** The outcome of a request as data: its result, or the error it threw. */
async function settle(
  backend: WasmBackend,
  request: ExecutionRequest,
): Promise<ExecutionResult | { threw: unknown }> {
  try {
    return await backend.execute(request);
  } catch (error) {
    return { threw: error };
  }
}

/** Promise (1): a result, or a typed InvalidRequestError, nothing else. */
function expectResultOrInvalid(outcome: ExecutionResult | { threw: unknown }, what: string): void {
  if ('threw' in outcome) {
    expect(InvalidRequestError.isInstance(outcome.threw), `${what}: threw ${String(outcome.threw)}`).toBe(
      true,
    );
  } else {
    expect(typeof outcome.status, what).toBe('string');
  }
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function expectAlive(backend: WasmBackend, value = 42): Promise<void> {
  const next = await backend.execute({ language: 'wat', code: constant(value), entry: 'f' });
  expect(next).toMatchObject({ status: 'ok', value });
}

// ---------------------------------------------------------------------------------------------
// Findings: each builds its own backend (they kill executors or poison workers).
// ---------------------------------------------------------------------------------------------

describe('findings: one request harms others', () => {
  it('an input the host cannot serialise (deep JSON, BigInt, a cycle) is refused alone, not by killing the executor', async () => {
    // Was a finding, now fixed: the host's JSON.stringify of the request (encodeFrameParts, with a replacer) throws
    // inside ExecutorConnection.#send, which treats it as a broken pipe and SIGKILLs the executor:
    // the request comes back as `executor_crash` and every innocent run on that executor dies with
    // it. Plain JSON is enough: `input` parsed from 20 KB of `[[[...]]]` (depth 10,000; the
    // replacer's recursion already fails near depth 3,000) hits "Maximum call stack size exceeded".
    // A BigInt (the README passes i64 arguments as BigInt) or a cycle do the same from library code.
    const backend = new WasmBackend({ maxConcurrency: 2, executors: 1 });
    try {
      await expectAlive(backend);
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) as unknown;
      for (const [what, input] of [
        ['deep JSON', deep],
        ['BigInt', [1n]],
        ['cycle', cyclic],
      ] as Array<[string, unknown]>) {
        const innocent = backend.execute({
          language: 'wat',
          code: sleeper(1500),
          limits: { timeoutMs: 20_000 },
        });
        await wait(300);
        const bad = await settle(backend, { language: 'wat', code: sleeper(0), input });
        expectResultOrInvalid(bad, what);
        if (!('threw' in bad))
          expect(bad.error?.kind, `${what}: ${bad.error?.message}`).not.toBe('executor_crash');
        expect(await innocent, `innocent beside ${what}`).toMatchObject({ status: 'ok', stdout: 'done\n' });
      }
      expect(backend.stats().executorRestarts).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it('two such requests in a row do not make the next innocent requests fail', async () => {
    // Was a finding, now fixed: the second one lands on the replacement executor before it is ready; killing it
    // there takes the "died before ready" path, which leaves the dead connection in place for
    // RESPAWN_DELAY_MS (1 s): every request routed to it meanwhile ends at once as executor_crash.
    // One 20 KB request a second keeps the executor down for everyone.
    const backend = new WasmBackend({ maxConcurrency: 2, executors: 1 });
    try {
      await expectAlive(backend);
      const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) as unknown;
      for (let i = 0; i < 2; i++) await settle(backend, { language: 'wat', code: sleeper(0), input: deep });
      const innocents: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await backend.execute({ language: 'wat', code: constant(i), entry: 'f' });
        innocents.push(`${r.status}:${r.error?.kind ?? ''}`);
      }
      expect(innocents).toEqual(['ok:', 'ok:', 'ok:']);
    } finally {
      await backend.close();
    }
  });

  it('two such requests in a row do not flip health()', async () => {
    // Was a finding, now fixed: same window: health() probes the dead connection, gets `lost` at once and reports
    // "cannot run a trivial module: cannot write to the executor: Maximum call stack size exceeded".
    const backend = new WasmBackend({ maxConcurrency: 2, executors: 1 });
    try {
      await expectAlive(backend);
      const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) as unknown;
      for (let i = 0; i < 2; i++) await settle(backend, { language: 'wat', code: sleeper(0), input: deep });
      const health = await backend.health();
      expect(health.healthy, health.message).toBe(true);
    } finally {
      await backend.close();
    }
  });

  it('limits.timeoutMs of 2^31 ms is refused alone and does not kill the executor', async () => {
    // Was a finding: the host armed setTimeout(timeoutMs + backstopGraceMs); past 2^31-1 ms Node
    // clamps the delay to 1 ms, so the backstop fired at once and killed the executor with every
    // concurrent run. Now a deadline no timer can hold is an InvalidRequestError (validateRequest),
    // and the backstop is clamped to what a timer holds.
    const backend = new WasmBackend({ maxConcurrency: 2, executors: 1 });
    try {
      await expectAlive(backend);
      const innocent = backend.execute({
        language: 'wat',
        code: sleeper(1500),
        limits: { timeoutMs: 20_000 },
      });
      await wait(300);
      for (const timeoutMs of [2 ** 31, Number.POSITIVE_INFINITY, Number.NaN]) {
        const refused = await backend
          .execute({ language: 'wat', code: sleeper(10, 'long'), limits: { timeoutMs } })
          .catch((e: unknown) => e);
        expect(InvalidRequestError.isInstance(refused)).toBe(true);
        expect((refused as InvalidRequestError).field).toBe('limits.timeoutMs');
      }
      const longest = await backend.execute({
        language: 'wat',
        code: sleeper(10, 'long'),
        limits: { timeoutMs: 2 ** 31 - 1 },
      });
      expect(longest).toMatchObject({ status: 'ok', stdout: 'long\n' });
      expect(await innocent).toMatchObject({ status: 'ok', stdout: 'done\n' });
      expect(backend.stats().executorRestarts).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it('a request payload too large for the channel is refused alone, not by killing the executor', async () => {
    // Was a finding, now fixed: nothing bounds stdin/args/env/files/WAT size on the host. 90 M NUL characters of
    // stdin become 540 M characters of JSON (`\u0000`), past V8's string limit: JSON.stringify throws
    // "Invalid string length", the executor is killed and the innocent run beside it dies. (Below
    // the string limit, by reading the code, a frame over the executor's 512 MiB cap makes it exit(70).)
    const backend = new WasmBackend({ maxConcurrency: 2, executors: 1 });
    try {
      await expectAlive(backend);
      const innocent = backend.execute({
        language: 'wat',
        code: sleeper(1500),
        limits: { timeoutMs: 20_000 },
      });
      await wait(300);
      const bad = await settle(backend, {
        language: 'wat',
        code: sleeper(0),
        stdin: '\0'.repeat(90_000_000),
      });
      expectResultOrInvalid(bad, 'oversized stdin');
      expect(await innocent).toMatchObject({ status: 'ok', stdout: 'done\n' });
      expect(backend.stats().executorRestarts).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it('a busy executor is not killed by health(), and health() stays healthy', async () => {
    // Was a finding, now fixed: health() sends its probe straight to the executor (no acquire): with every worker
    // busy the probe queues inside the executor, its 10 s host backstop (PROBE_TIMEOUT_MS, no grace)
    // fires, health() reports "cannot run a trivial module: timeout" and the executor is SIGKILLed
    // "as stuck" with the legitimate long run it was serving. Any request that holds all workers
    // past healthFreshMs + 10 s (within its own deadline) flips health and kills its neighbours.
    const backend = new WasmBackend({ maxConcurrency: 1, executors: 1, healthFreshMs: 300 });
    try {
      await expectAlive(backend);
      const busy = backend.execute({
        language: 'wat',
        code: sleeper(11_000, 'slow'),
        limits: { timeoutMs: 40_000 },
      });
      await wait(800);
      const health = await backend.health();
      expect(await busy).toMatchObject({ status: 'ok', stdout: 'slow\n' });
      expect(health.healthy, health.message).toBe(true);
      expect(backend.stats().executorRestarts).toBe(0);
    } finally {
      await backend.close();
    }
  }, 60_000);

  it('the same module under many memory caps does not exhaust the executor heap', async () => {
    // Was a finding, now fixed: the compiled-module cache is keyed by (hash, capPages) and budgeted by `codeBytes`
    // only, but each entry also keeps `info` (types, imports, exports) as JS objects: a 3-byte
    // `(type (func))` is ~100 bytes of heap, and a worker's clone of it lands on the executor's main
    // heap. One 1.8 MB module sent with memoryBytes = 1, 2, 3... pages is prepared and cached again
    // each time; the heap fills and V8 aborts the executor (SIGABRT), killing every run it holds.
    // Measured with the default 1024 MiB heap: a 2.7 MB module (900,000 types) kills it on the 10th
    // request (about 50 s); a 256 MiB heap here makes it quick.
    const backend = new WasmBackend({ maxConcurrency: 2, executors: 1, executorHeapMb: 256 });
    try {
      await expectAlive(backend);
      const module = manyTypes(600_000);
      const statuses: string[] = [];
      for (let pages = 1; pages <= 6; pages++) {
        const r = await backend.execute({
          language: 'wasm',
          code: module,
          limits: { memoryBytes: pages * PAGE, timeoutMs: 30_000 },
        });
        statuses.push(`${r.status}:${r.error?.kind ?? ''}`);
        if (backend.stats().executorRestarts > 0) break;
      }
      expect(
        statuses.every((s) => s === 'ok:'),
        statuses.join(' '),
      ).toBe(true);
      expect(backend.stats().executorRestarts).toBe(0);
    } finally {
      await backend.close();
    }
  }, 60_000);

  it('binary (non-UTF-8) output within maxOutputBytes is not turned into an executor_error', async () => {
    // Was a finding, now fixed: the worker decodes stdout as UTF-8 (each invalid byte becomes U+FFFD, 3 bytes) and
    // the host then re-checks Buffer.byteLength(stdout) against maxOutputBytes: 400 bytes of 0xFF
    // under a 1000-byte cap (not truncated by the worker) come back as `error`/`executor_error`
    // "the executor's answer carries more output than the request's limits allow".
    const backend = new WasmBackend({ maxConcurrency: 1, executors: 1 });
    try {
      const r = await backend.execute({
        language: 'wat',
        code: binaryWriter(400, 1),
        limits: { maxOutputBytes: 1000 },
      });
      expect(r.status, r.error?.message).toBe('ok');
      expect(r.truncated).toBe(false);
      await expectAlive(backend);
    } finally {
      await backend.close();
    }
  });

  it('output within maxOutputBytes (and under maxFrameBytes) does not kill the executor', async () => {
    // Was a finding, now fixed: the same 3x growth on the way back: 3 MiB of 0xFF with maxOutputBytes 3 MiB and
    // maxFrameBytes 4 MiB becomes a 9 MiB answer frame; the host treats the executor as hostile
    // ("broke the channel") and kills it with the innocent run beside it. With the defaults
    // (256 MiB frames, 1 GiB executor heap), 90 MiB of 0xFF under maxOutputBytes 90 MiB exhausts the
    // executor's heap instead (SIGABRT): both runs end as memory_limit.
    const backend = new WasmBackend({ maxConcurrency: 2, executors: 1, maxFrameBytes: 4 * MiB });
    try {
      await expectAlive(backend);
      const innocent = backend.execute({
        language: 'wat',
        code: sleeper(1500),
        limits: { timeoutMs: 20_000 },
      });
      await wait(300);
      const loud = await backend.execute({
        language: 'wat',
        code: binaryWriter(3 * MiB, 64),
        limits: { maxOutputBytes: 3 * MiB },
      });
      expect(loud.error?.kind).not.toBe('executor_crash');
      expect(await innocent).toMatchObject({ status: 'ok', stdout: 'done\n' });
      expect(backend.stats().executorRestarts).toBe(0);
    } finally {
      await backend.close();
    }
  });

  it('a deeply nested WAT does not break WAT parsing for later requests on the same worker', async () => {
    // Was a finding, now fixed: 200 nested folded `(block` crash wabt inside its own WebAssembly ("memory access out
    // of bounds"); compileWat turns that into InvalidRequestError, but the worker keeps the broken
    // wabt instance: every later WAT request that worker prepares, however valid, throws
    // `InvalidRequestError: code: invalid WAT: memory access out of bounds`. Nothing recycles the
    // worker and health() (which probes with binary wasm) stays healthy. One request per worker
    // poisons WAT for all users until workers are replaced.
    const backend = new WasmBackend({ maxConcurrency: 1, executors: 1 });
    try {
      await expectAlive(backend, 1);
      const nested = `(module (func (export "_start") ${'(block '.repeat(200)}${')'.repeat(200)}))`;
      expectResultOrInvalid(await settle(backend, { language: 'wat', code: nested }), 'nested WAT');
      const later = await settle(backend, { language: 'wat', code: constant(2), entry: 'f' });
      expect('threw' in later ? String(later.threw) : later).toMatchObject({ status: 'ok', value: 2 });
    } finally {
      await backend.close();
    }
  });

  it('a request with a malformed signal is a typed error and does not strand queued requests', async () => {
    // Was a finding, now fixed: `signal` is used without a check: `signal.addEventListener` throws a TypeError out of
    // execute() after the run was sent and before the try/finally that calls ExecutorSet.done(), so
    // the executor slot is never handed to the request waiting behind it: that request hangs until
    // some other request finishes.
    const backend = new WasmBackend({ maxConcurrency: 1, executors: 1 });
    try {
      await expectAlive(backend);
      const bad = settle(backend, {
        language: 'wat',
        code: sleeper(200),
        signal: { aborted: false } as unknown as AbortSignal,
      });
      const queued = backend.execute({ language: 'wat', code: constant(5), entry: 'f' });
      const next = await Promise.race([queued, wait(8_000).then(() => 'stranded')]);
      expect(next).toMatchObject({ status: 'ok', value: 5 });
      expectResultOrInvalid(await bad, 'malformed signal');
    } finally {
      await backend.close();
    }
  });
});

/** Creates up to `count` empty files whose names are `nameBytes` bytes of `fill` (first 4 bytes unique). */
function fileSprayer(count: number, nameBytes: number, fill: number): string {
  const letter = (shift: number, at: number) =>
    `(i32.store8 (i32.const ${1024 + at}) (i32.add (i32.const 97) (i32.and (i32.shr_u (local.get $i) (i32.const ${shift})) (i32.const 15))))`;
  return `(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (memory 1)
  (func (export "_start") (local $i i32)
    (memory.fill (i32.const 1024) (i32.const ${fill}) (i32.const ${nameBytes}))
    (loop $l
      ${letter(0, 0)} ${letter(4, 1)} ${letter(8, 2)} ${letter(12, 3)}
      (if (i32.eqz (call $open (i32.const 3) (i32.const 0) (i32.const 1024) (i32.const ${nameBytes})
            (i32.const 1) (i64.const -1) (i64.const 0) (i32.const 0) (i32.const 16)))
        (then (drop (call $close (i32.load (i32.const 16))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const ${count}))))))`;
}

describe('findings: returned files', () => {
  it('names of returned files count against maxOutputBytes', async () => {
    // Was a finding, now fixed: MemoryFs.writtenFiles charges only file sizes to maxReturnedBytes (= maxOutputBytes)
    // and the host's withinLimits() sums only data lengths, never paths. 9,999 empty files (the
    // maxEntries cap) with 4,095-byte paths come back as ~41 MB of result under maxOutputBytes 1,000.
    const backend = new WasmBackend({ maxConcurrency: 2, executors: 1 });
    try {
      const r = await backend.execute({
        language: 'wat',
        code: fileSprayer(12_000, 4094, 97),
        policy: { allowFilesystem: true },
        limits: { maxOutputBytes: 1000, timeoutMs: 30_000 },
      });
      const files = Object.entries(r.files ?? {});
      const returned = files.reduce((n, [path, data]) => n + Buffer.byteLength(path) + data.length, 0);
      expect(r.status).not.toBe('error');
      expect(returned, `${files.length} files returned`).toBeLessThanOrEqual(1000);
      await expectAlive(backend);
    } finally {
      await backend.close();
    }
  }, 60_000);
});

describe('findings: limits and typed errors', () => {
  const backend = new WasmBackend({ maxConcurrency: 2, executors: 1 });
  afterAll(() => backend.close());
  afterEach(() => expectAlive(backend));

  it('memoryBytes below one page refuses a module that needs a page', async () => {
    // Was a finding (low), now fixed: capPages = max(1, floor(memoryBytes / 65536)), so any memoryBytes under 64 KiB
    // allows a whole page: memoryBytes 1000 runs a 1-page module, memoryPeakBytes 65536 > 1000.
    // The README says a module whose initial memory is over the cap is refused before it starts.
    const r = await backend.execute({
      language: 'wat',
      code: '(module (memory (export "memory") 1) (func (export "_start")))',
      limits: { memoryBytes: 1000 },
    });
    expect(r.status).toBe('memory_limit');
    expect(r.memoryPeakBytes ?? 0).toBeLessThanOrEqual(1000);
  });

  it('fuel bounds the work a module makes the host do, not only its own instructions', async () => {
    // Was a finding (low), now fixed: a WASI call costs one unit however much it touches, while memory.fill pays per
    // 64 bytes. A loop of random_get over 64 MiB does ~10 units of metered work per call and
    // ~100 ms of host work: with fuel 100,000 it is the 4 s deadline, not fuel, that stops it.
    const r = await backend.execute({
      language: 'wat',
      code: `(module (import "wasi_snapshot_preview1" "random_get" (func $rand (param i32 i32) (result i32)))
        (memory 1024)
        (func (export "_start") (loop $l (drop (call $rand (i32.const 0) (i32.const ${64 * MiB}))) (br $l))))`,
      limits: { fuel: 100_000, timeoutMs: 4000, memoryBytes: 64 * MiB },
    });
    expect(r.status).toBe('out_of_fuel');
  }, 30_000);

  it('a fractional fuel budget is a typed error or a clean run, not a worker crash', async () => {
    // Was a finding (low), now fixed: limits.fuel 1.5 passes validateRequest (positive, finite) but the worker does
    // BigInt(1.5) outside its try: "worker error: The number 1.5 cannot be converted to a BigInt",
    // `error`/`worker_crash`, the worker is lost.
    const r = await settle(backend, {
      language: 'wat',
      code: constant(1),
      entry: 'f',
      limits: { fuel: 1.5 },
    });
    expectResultOrInvalid(r, 'fuel 1.5');
    if (!('threw' in r)) expect(r.error?.kind).not.toBe('worker_crash');
  });

  it('seed files that are not text or bytes are an InvalidRequestError on files', async () => {
    // Was a finding (low), now fixed: MemoryFs calls content.slice() on whatever the request holds: `{ '/a': 5 }`
    // crashes the worker ("content.slice is not a function") and the caller sees worker_crash.
    const r = await settle(backend, {
      language: 'wat',
      code: '(module (func (export "_start")))',
      files: { '/a': 5 as unknown as string },
      policy: { allowFilesystem: true },
    });
    expect('threw' in r && InvalidRequestError.isInstance(r.threw), JSON.stringify(r)).toBe(true);
  });

  it('memoryBytes above 4 GiB clamps to what wasm32 allows instead of refusing valid code', async () => {
    // Was a finding (low), now fixed: capPages 131072 is written into the module's memory maximum; V8 rejects it
    // ("maximum memory size (131072 pages) is larger than implementation limit (65536 pages)") and a
    // valid module is refused as `InvalidRequestError` on field `code`.
    const r = await settle(backend, {
      language: 'wat',
      code: '(module (memory (export "memory") 1) (func (export "_start")))',
      limits: { memoryBytes: 8 * 1024 * MiB },
    });
    expect('threw' in r ? String(r.threw) : r.status).toBe('ok');
  });
});

// ---------------------------------------------------------------------------------------------
// Attacks that hold: one shared backend, checked alive after every test.
// ---------------------------------------------------------------------------------------------

describe('attacks that hold', () => {
  const backend = new WasmBackend({ maxConcurrency: 4, executors: 2 });
  afterAll(() => backend.close());
  afterEach(async () => {
    const next = await backend.execute({ language: 'wat', code: printer('still alive') });
    expect(next).toMatchObject({ status: 'ok', stdout: 'still alive\n' });
  });

  it('the cache never mixes memory caps: the same bytes grow to each request’s own cap', async () => {
    const grow = `(module (memory (export "memory") 1)
      (func (export "f") (result i32)
        (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
        (memory.size)))`;
    const bytes = (await import('../src/index.js')).compileWat(grow);
    const binary = await bytes;
    const base64 = Buffer.from(binary).toString('base64');
    for (const [pages, code, language] of [
      [4, grow, 'wat'],
      [16, binary, 'wasm'],
      [4, base64, 'wasm'],
      [2, grow, 'wat'],
      [16, grow, 'wat'],
      [1, binary, 'wasm'],
    ] as Array<[number, string | Uint8Array, 'wat' | 'wasm']>) {
      const r = await backend.execute({ language, code, entry: 'f', limits: { memoryBytes: pages * PAGE } });
      expect(r).toMatchObject({ status: 'ok', value: pages });
      expect(r.memoryPeakBytes).toBe(pages * PAGE);
    }
  });

  it('many distinct modules under a tiny cache: every answer is its own module’s', async () => {
    // About three of these modules fit in 300 bytes: each executor evicts constantly.
    const small = new WasmBackend({ maxConcurrency: 4, executors: 2, cacheBytes: 300 });
    try {
      const values = Array.from({ length: 30 }, (_, i) => 1000 + i);
      for (let round = 0; round < 2; round++) {
        const results = await Promise.all(
          values.map((v) => small.execute({ language: 'wat', code: constant(v), entry: 'f' })),
        );
        expect(results.map((r) => r.value)).toEqual(values);
        expect(results.every((r) => r.status === 'ok')).toBe(true);
      }
      expect(small.stats().cacheEntries).toBeLessThanOrEqual(8);
    } finally {
      await small.close();
    }
  });

  it('slow-to-prepare modules filling every worker do not starve or break innocent runs', async () => {
    // Four distinct ~6 MB modules (6,000 functions of 1,000 instructions) that take longer to
    // validate, meter and compile than their 800 ms deadline, then two innocent requests.
    const slow = (seed: number) => {
      const body = new ByteWriter();
      for (let i = 0; i < 333; i++)
        body
          .u8(0x41)
          .u32(seed & 0x3f)
          .u8(0x1a); // i32.const; drop
      const fn = new ByteWriter().u8(0).bytes(body.finish()).u8(0x0b).finish();
      const count = 6000;
      const w = new ByteWriter().bytes(HEADER);
      w.section(1, new ByteWriter().u32(1).u8(0x60).u32(0).u32(0).finish());
      const funcs = new ByteWriter().u32(count);
      for (let i = 0; i < count; i++) funcs.u32(0);
      w.section(3, funcs.finish());
      w.section(7, new ByteWriter().u32(1).name('_start').u8(0).u32(0).finish());
      const code = new ByteWriter().u32(count);
      for (let i = 0; i < count; i++) code.u32(fn.length).bytes(fn);
      w.section(10, code.finish());
      return w.finish();
    };
    const attackers = [1, 2, 3, 4].map((seed) =>
      backend.execute({ language: 'wasm', code: slow(seed), limits: { timeoutMs: 800 } }),
    );
    await wait(50);
    const innocents = [7, 8].map((v) => backend.execute({ language: 'wat', code: constant(v), entry: 'f' }));
    for (const r of await Promise.all(attackers)) expect(['timeout', 'ok']).toContain(r.status);
    expect(await Promise.all(innocents)).toMatchObject([
      { status: 'ok', value: 7 },
      { status: 'ok', value: 8 },
    ]);
    expect(backend.stats().executorRestarts).toBe(0);
  }, 60_000);

  it('preparation that strains the worker heap ends as a result or a typed error', async () => {
    const deep = new ByteWriter();
    for (let i = 0; i < 1_000_000; i++) deep.u8(0x02).u8(0x40); // block
    for (let i = 0; i < 1_000_000; i++) deep.u8(0x0b);
    const cases: Array<[string, Uint8Array]> = [
      ['1,000,000 types (the V8 limit)', manyTypes(1_000_000)],
      ['1,000,001 types', manyTypes(1_000_001)],
      ['1,000,000 nested blocks', moduleWith(deep.finish())],
      ['50,000 locals (the V8 limit; the meter adds two)', moduleWith(new Uint8Array(0), { locals: 50_000 })],
    ];
    for (const [what, code] of cases) {
      const outcome = await settle(backend, { language: 'wasm', code, limits: { timeoutMs: 20_000 } });
      expectResultOrInvalid(outcome, what);
    }
    expect(backend.stats().executorRestarts).toBe(0);
  }, 60_000);

  it('instrumentation that would expand a function past V8’s size limit is a typed error', async () => {
    // `i32.const 0; if; end` is 5 bytes; metered it is ~27: a 7 MB body becomes ~38 MB.
    const body = new ByteWriter();
    for (let i = 0; i < 1_400_000; i++) body.u8(0x41).u8(0).u8(0x04).u8(0x40).u8(0x0b);
    const outcome = await settle(backend, {
      language: 'wasm',
      code: moduleWith(body.finish()),
      limits: { timeoutMs: 30_000 },
    });
    expectResultOrInvalid(outcome, 'expanding body');
  }, 60_000);

  it('a 30 MB data segment runs within the cap and is refused under a smaller one', async () => {
    const size = 30 * MiB;
    const data = new Uint8Array(size).fill(7);
    data[size - 1] = 99;
    const w = new ByteWriter().bytes(HEADER);
    w.section(1, new ByteWriter().u32(1).u8(0x60).u32(0).u32(1).u8(0x7f).finish());
    w.section(3, new ByteWriter().u32(1).u32(0).finish());
    w.section(
      5,
      new ByteWriter()
        .u32(1)
        .u8(0)
        .u32(size / PAGE)
        .finish(),
    );
    w.section(7, new ByteWriter().u32(1).name('f').u8(0).u32(0).finish());
    const fn = new ByteWriter()
      .u8(0)
      .u8(0x41)
      .s32(size - 1)
      .u8(0x2d)
      .u8(0)
      .u8(0)
      .u8(0x0b)
      .finish();
    w.section(10, new ByteWriter().u32(1).u32(fn.length).bytes(fn).finish());
    const segment = new ByteWriter().u32(1).u8(0).u8(0x41).s32(0).u8(0x0b).u32(size).bytes(data).finish();
    w.section(11, segment);
    const module = w.finish();
    expect(await backend.execute({ language: 'wasm', code: module, entry: 'f' })).toMatchObject({
      status: 'ok',
      value: 99,
    });
    const small = await backend.execute({
      language: 'wasm',
      code: module,
      entry: 'f',
      limits: { memoryBytes: 16 * MiB },
    });
    expect(small.status).toBe('memory_limit');
    expect(small.error?.limit?.name).toBe('memoryBytes');
  }, 60_000);

  it('start functions are metered, trap, exit and run once', async () => {
    const loop = await backend.execute({
      language: 'wat',
      code: '(module (func $s (loop $l (br $l))) (start $s) (func (export "_start")))',
      limits: { fuel: 1_000_000, timeoutMs: 30_000 },
    });
    expect(loop.status).toBe('out_of_fuel');
    const exit = await backend.execute({
      language: 'wat',
      code: `(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (func $s (call $exit (i32.const 3))) (start $s) (func (export "_start") unreachable))`,
    });
    expect(exit).toMatchObject({ status: 'error', exitCode: 3 });
    const trap = await backend.execute({
      language: 'wat',
      code: '(module (func $s unreachable) (start $s) (func (export "_start")))',
    });
    expect(trap.error?.kind).toBe('trap:unreachable');
    const once = await backend.execute({
      language: 'wat',
      code: `(module (global $n (mut i32) (i32.const 0))
        (func $s (global.set $n (i32.add (global.get $n) (i32.const 1)))) (start $s)
        (func (export "f") (result i32) (global.get $n)))`,
      entry: 'f',
    });
    expect(once).toMatchObject({ status: 'ok', value: 1 });
    // The hidden export the meter adds for the start function is not a door to anything.
    const hidden = await settle(backend, {
      language: 'wat',
      code: '(module (func $s) (start $s) (func (export "_start")))',
      entry: '__memory_mcp_start',
    });
    expectResultOrInvalid(hidden, 'hidden start export');
  });

  it('base64 edge cases are InvalidRequestError or run, never anything else', async () => {
    const good = Buffer.from(await (await import('../src/index.js')).compileWat(constant(3))).toString(
      'base64',
    );
    const wrapped = good.replace(/(.{8})/g, '$1\n ');
    expect(await backend.execute({ language: 'wasm', code: wrapped, entry: 'f' })).toMatchObject({
      status: 'ok',
      value: 3,
    });
    const big = 'AAAA'.repeat(100_000);
    const cases = [
      '',
      '   \n\t ',
      '====',
      'A',
      'AA=A',
      'AA==AA==',
      `${good.replace(/\+/g, '-').replace(/\//g, '_')}-_-_`,
      `${good}=`,
      'ÿÿÿÿ',
      '😀😀',
      `${big}AA==${big}`, // padding in a middle slice
      `${big}${big}${big}A===`,
      '\u0000\u0000\u0000\u0000',
    ];
    for (const code of cases) {
      const outcome = await settle(backend, { language: 'wasm', code });
      expect(
        'threw' in outcome && InvalidRequestError.isInstance(outcome.threw),
        JSON.stringify(code.slice(0, 40)),
      ).toBe(true);
    }
    for (const code of [42, null, undefined, {}, [0, 97, 115, 109], new Uint16Array(4)] as unknown[]) {
      expectResultOrInvalid(
        await settle(backend, { language: 'wasm', code: code as string }),
        `code ${Object.prototype.toString.call(code)}`,
      );
      expectResultOrInvalid(
        await settle(backend, { language: 'wat', code: code as string }),
        `wat code ${Object.prototype.toString.call(code)}`,
      );
    }
  });

  it('odd entry names and inputs are InvalidRequestError or a result', async () => {
    const code = `(module (func (export "f") (param i32 i64 f64) (result i64) (i64.extend_i32_s (local.get 0)))
      (func (export "__proto__") (result i32) i32.const 11)
      (func (export "_start")))`;
    const entries: unknown[] = [
      'constructor',
      'toString',
      'hasOwnProperty',
      '__memory_mcp_fuel',
      '__memory_mcp_out_of_fuel',
      '__memory_mcp_memory',
      'memory',
      'f\u0000',
      '\ud800',
      5,
      {},
      [],
      true,
    ];
    for (const entry of entries) {
      expectResultOrInvalid(
        await settle(backend, { language: 'wat', code, entry: entry as string }),
        `entry ${String(entry)}`,
      );
    }
    expect(await backend.execute({ language: 'wat', code, entry: '__proto__' })).toMatchObject({
      status: 'ok',
      value: 11,
    });
    const inputs: unknown[] = [
      'abc',
      { a: 1 },
      [1, 2],
      [1, 2, 3, 4],
      [NaN, 1, 1],
      [Infinity, 1, 1],
      [1, 1.5, 1],
      [[1], 1, 1],
      ['1', 1, 1],
      [null, 1, 1],
      [1e300, 1e300, 1e300],
      [-0, -0, -0],
      Array(3),
    ];
    for (const input of inputs) {
      expectResultOrInvalid(
        await settle(backend, { language: 'wat', code, entry: 'f', input }),
        `input ${JSON.stringify(input)}`,
      );
    }
    // i32 wraps like a wasm call from JS; an i64 past 2^53 comes back as a decimal string.
    expect(
      await backend.execute({ language: 'wat', code, entry: 'f', input: [2 ** 32 + 5, 0, 0] }),
    ).toMatchObject({
      status: 'ok',
      value: 5,
    });
    // A result JSON cannot carry (a funcref) is an error result, not an exception.
    const funcref = await settle(backend, {
      language: 'wat',
      code: '(module (func $g) (elem declare func $g) (func (export "f") (result funcref) ref.func $g))',
      entry: 'f',
    });
    expectResultOrInvalid(funcref, 'funcref result');
  });

  it('very large args, env and seed files reach the module intact and hurt no one', async () => {
    const code = `(module
      (import "wasi_snapshot_preview1" "args_sizes_get" (func $a (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "environ_sizes_get" (func $e (param i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "f") (result i32 i32 i32 i32)
        (drop (call $a (i32.const 0) (i32.const 4)))
        (drop (call $e (i32.const 8) (i32.const 12)))
        (i32.load (i32.const 0)) (i32.load (i32.const 4)) (i32.load (i32.const 8)) (i32.load (i32.const 12))))`;
    const args = Array.from({ length: 50_000 }, (_, i) => `arg-${i}`.padEnd(20, 'x'));
    const env = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`K${i}`, 'v'.repeat(10)]));
    const files = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`/d${i % 50}/f${i}`, 'x']));
    const innocent = backend.execute({ language: 'wat', code: constant(9), entry: 'f' });
    const r = await backend.execute({
      language: 'wat',
      code,
      entry: 'f',
      args,
      env,
      files,
      policy: { allowFilesystem: true },
      limits: { timeoutMs: 20_000 },
    });
    const argBytes = 'main.wasm\0'.length + args.reduce((n, a) => n + a.length + 1, 0);
    const envBytes = Object.entries(env).reduce((n, [k, v]) => n + k.length + v.length + 2, 0);
    expect(r).toMatchObject({ status: 'ok', value: [50_001, argBytes, 20_000, envBytes] });
    expect(await innocent).toMatchObject({ status: 'ok', value: 9 });
  }, 60_000);

  it('limits at their extremes hold', async () => {
    const t1 = await backend.execute({
      language: 'wat',
      code: '(module (func (export "_start") (loop $l (br $l))))',
      limits: { timeoutMs: 1, fuel: 1e15 },
    });
    expect(t1.status).toBe('timeout');
    const f1 = await backend.execute({
      language: 'wat',
      code: '(module (func (export "_start") (loop $l (br $l))))',
      limits: { fuel: 1 },
    });
    expect(f1.status).toBe('out_of_fuel');
    expect(f1.fuelUsed).toBeGreaterThanOrEqual(1);
    const o1 = await backend.execute({
      language: 'wat',
      code: printer('hello'),
      limits: { maxOutputBytes: 1 },
    });
    expect(o1).toMatchObject({ status: 'output_limit', truncated: true });
    expect(Buffer.byteLength(o1.stdout)).toBeLessThanOrEqual(1);
    const m1 = await backend.execute({
      language: 'wat',
      code: '(module (memory 2) (func (export "_start")))',
      limits: { memoryBytes: PAGE },
    });
    expect(m1.status).toBe('memory_limit');
    const tables = await backend.execute({
      language: 'wat',
      code: '(module (table 1000001 funcref) (func (export "_start")))',
    });
    expect(tables.status).toBe('memory_limit');
  });

  it('cancellation races (before submit, right after, mid-prepare, mid-run, at the answer) leave nothing behind', async () => {
    const outcomes: string[] = [];
    const runs: Array<Promise<void>> = [];
    const delays = [-1, 0, 0, 1, 2, 5, 10, 20, 40, 80, 150, 300];
    for (const [i, delay] of delays.entries()) {
      const controller = new AbortController();
      if (delay < 0) controller.abort();
      const code =
        i % 3 === 0 ? sleeper(100) : i % 3 === 1 ? constant(i) : `${constant(i)} ;; ${'x'.repeat(i)}`;
      const request: ExecutionRequest = {
        language: 'wat',
        code,
        ...(i % 3 === 0 ? {} : { entry: 'f' }),
        signal: controller.signal,
      };
      const run = backend.execute(request).then(
        (r) => void outcomes.push(r.status),
        (e: unknown) => void outcomes.push(`threw ${String(e)}`),
      );
      if (delay === 0) queueMicrotask(() => controller.abort());
      else if (delay > 0) setTimeout(() => controller.abort(), delay);
      // Abort exactly when an unrelated answer arrives.
      if (i === 2)
        void backend
          .execute({ language: 'wat', code: constant(77), entry: 'f' })
          .then(() => controller.abort());
      runs.push(run);
    }
    await Promise.all(runs);
    expect(outcomes).toHaveLength(delays.length);
    for (const o of outcomes) expect(['ok', 'cancelled']).toContain(o);
    // No reservation leaked: four sleepers are all dispatched at once.
    const four = Array.from({ length: 4 }, () =>
      backend.execute({ language: 'wat', code: sleeper(1500), limits: { timeoutMs: 30_000 } }),
    );
    await wait(600);
    expect(backend.stats().queued).toBe(0);
    for (const r of await Promise.all(four)) expect(r).toMatchObject({ status: 'ok', stdout: 'done\n' });
  }, 60_000);

  it('a mixed crowd of hostile runs does not change innocent answers', async () => {
    const hostile: ExecutionRequest[] = [
      {
        language: 'wat',
        code: '(module (func (export "_start") (loop $l (br $l))))',
        limits: { fuel: 1e15, timeoutMs: 300 },
      },
      { language: 'wat', code: '(module (func $f (export "_start") (call $f)))' },
      {
        language: 'wat',
        code: '(module (memory 1) (func (export "_start") (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable))',
        limits: { memoryBytes: 32 * MiB },
      },
      { language: 'wat', code: binaryWriter(5000, 1), limits: { maxOutputBytes: 100 } },
      {
        language: 'wat',
        code: '(module (func $g) (elem declare func $g) (func (export "f") (result funcref) ref.func $g))',
        entry: 'f',
      },
      { language: 'wat', code: '(module (import "env" "system" (func)) (func (export "_start")))' },
    ];
    const jobs: Array<Promise<unknown>> = [];
    const innocent: Array<Promise<ExecutionResult>> = [];
    for (let i = 0; i < 24; i++) {
      if (i % 2 === 0) jobs.push(settle(backend, hostile[(i / 2) % hostile.length]!));
      else {
        const p = backend.execute({ language: 'wat', code: printer(`innocent-${i}`) });
        innocent.push(p);
        jobs.push(p);
      }
    }
    await Promise.all(jobs);
    const results = await Promise.all(innocent);
    for (const [k, r] of results.entries()) {
      expect(r).toMatchObject({ status: 'ok', stdout: `innocent-${2 * k + 1}\n` });
    }
    const health = await backend.health();
    expect(health.healthy, health.message).toBe(true);
    expect(backend.stats().executorRestarts).toBe(0);
  }, 60_000);

  it('never reads a forged value: a hand-made module cannot return anything but its own results', async () => {
    // An entry returning i64 beyond 2^53 is a decimal string; f64 NaN crosses as null; no other path exists.
    const r = await backend.execute({
      language: 'wat',
      code: `(module (func (export "f") (result i64 f64 f32) (i64.const 9007199254740993) (f64.const nan) (f32.const -inf)))`,
      entry: 'f',
    });
    expect(r.status).toBe('ok');
    expect(r.value).toEqual(['9007199254740993', null, null]);
  });

  it('the host event loop keeps turning while the executor works on hostile input', async () => {
    // A regression guard for "never on the host's thread": a 9 MB base64 string is decoded in
    // slices; the executor then validates, meters and compiles a 7 MB body. The host keeps its timers.
    const body = new ByteWriter();
    for (let i = 0; i < 7_000_000; i++) body.u8(0x01); // nop
    const module = moduleWith(body.finish());
    const base64 = Buffer.from(module).toString('base64');
    let maxGap = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    try {
      const outcome = await settle(backend, {
        language: 'wasm',
        code: base64,
        limits: { timeoutMs: 10_000 },
      });
      expectResultOrInvalid(outcome, 'nop module');
    } finally {
      clearInterval(ticker);
    }
    expect(maxGap).toBeLessThan(1000); // a hang guard, not a speed test
  }, 60_000);
});
