import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CompiledModule, CompileError } from '@memory-mcp/sandbox-core';
import { FUEL_METERING_VERSION, meterModule } from '@memory-mcp/wasm-backend';
import { describe, expect, it } from 'vitest';
import {
  createCompiler,
  ENGINE_IMPORT,
  JavyCliCompiler,
  loadEngine,
  MemoryCompileCache,
} from '../src/index.js';

describe('the shipped engine', () => {
  it('the metered engine is exactly what the wasm backend instrumenter makes of the snapshot, at its version', async () => {
    const engine = loadEngine();
    expect(engine.metered.version).toBe(FUEL_METERING_VERSION);
    const metered = await meterModule(engine.snapshot);
    expect(Buffer.from(metered.bytes).equals(Buffer.from(engine.metered.bytes))).toBe(true);
    expect(metered).toMatchObject({
      hasStart: engine.metered.hasStart,
      maxStaticCharge: engine.metered.maxStaticCharge,
    });
  });

  it('dynamic modules carry the metered engine beside the plain one', async () => {
    const compiled = await createCompiler({ mode: 'dynamic' }).compile('return 1');
    expect(compiled.metered?.version).toBe(FUEL_METERING_VERSION);
    expect(Object.keys(compiled.metered?.imports ?? {})).toEqual(Object.keys(compiled.imports ?? {}));
  });
});

describe('QuickJsCompiler', () => {
  it('static mode builds a standalone WASI command that another WASI runtime (node:wasi) runs', async () => {
    const compiled = await createCompiler().compile(`console.log('from', 'node:wasi', 6 * 7);`);
    expect(compiled.mode).toBe('static');
    const imports = WebAssembly.Module.imports(
      new WebAssembly.Module(compiled.bytes as Uint8Array<ArrayBuffer>),
    );
    expect(new Set(imports.map((i) => i.module))).toEqual(new Set(['wasi_snapshot_preview1']));
    const dir = mkdtempSync(join(tmpdir(), 'memory-mcp-wasi-'));
    try {
      writeFileSync(join(dir, 'out.wasm'), compiled.bytes);
      // a separate process running Node's own WASI implementation, nothing of ours
      const run = spawnSync(
        process.execPath,
        [
          '--no-warnings',
          '-e',
          `const { WASI } = require('node:wasi'); const w = new WASI({ version: 'preview1' }); WebAssembly.instantiate(require('fs').readFileSync(process.argv[1]), w.getImportObject()).then(({ instance }) => w.start(instance));`,
          join(dir, 'out.wasm'),
        ],
        { encoding: 'utf8' },
      );
      expect(run.stdout).toBe('from node:wasi 42\n');
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dynamic mode builds a module of a few hundred bytes that imports the engine', async () => {
    const compiled = await createCompiler({ mode: 'dynamic' }).compile('return 1 + 1;');
    expect(compiled.bytes.length).toBeLessThan(1024);
    expect(Object.keys(compiled.imports ?? {})).toEqual([ENGINE_IMPORT]);
    expect(compiled.imports![ENGINE_IMPORT]).toBe(loadEngine().snapshot);
    const imports = WebAssembly.Module.imports(
      new WebAssembly.Module(compiled.bytes as Uint8Array<ArrayBuffer>),
    );
    expect(
      imports
        .filter((i) => i.module === ENGINE_IMPORT)
        .map((i) => i.name)
        .sort(),
    ).toEqual(['memory', 'memory_mcp_alloc', 'memory_mcp_eval_bytecode']);
  });

  it('syntax errors are CompileErrors with line and column', async () => {
    const compiler = createCompiler();
    for (const [code, line, column] of [
      ['const a = 1;\nconst b = ;', 2, 11],
      ['let x = {\n  a: 1,\n  b: 2\n', 4, 1],
      ['return await;', 1, 13],
    ] as const) {
      const error = await compiler.compile(code).catch((e: unknown) => e);
      expect(CompileError.isInstance(error), code).toBe(true);
      expect(error).toMatchObject({ line, column });
      expect((error as Error).message).toMatch(/SyntaxError/);
    }
  });

  it('caches by source, options and engine: a repeat compile is a hit and returns the same module', async () => {
    const cache = new MemoryCompileCache();
    const compiler = createCompiler({ mode: 'dynamic', cache });
    const first = await compiler.compile('return 42;');
    const second = await compiler.compile('return 42;');
    expect(second).toBe(first);
    expect(cache.hits).toBe(1);
    const other = await compiler.compile('return 42;', { mode: 'static' });
    expect(other.hash).not.toBe(first.hash);
    expect(cache.size).toBe(2);
  });

  it("dynamic modules carry their bytecode for a direct run, and a cached module's bytecode must be the one built with it", async () => {
    const entries = new Map<string, CompiledModule>();
    const cache = {
      get: async (key: string) => entries.get(key),
      set: async (key: string, value: CompiledModule) => void entries.set(key, value),
    };
    const compiler = createCompiler({ mode: 'dynamic', cache });
    const first = await compiler.compile('return 42;');
    expect(first.direct?.link).toBe(ENGINE_IMPORT);
    const bytecode = first.direct!.bytecode;
    // the module's passive data segment is the same bytecode
    expect(Buffer.from(first.bytes).includes(Buffer.from(bytecode))).toBe(true);
    expect(await compiler.compile('return 42;')).toBe(first);
    // a store hands back the module with other bytecode beside it: not a hit, the compile is redone
    const [key, entry] = [...entries][0]!;
    const forged = new Uint8Array(bytecode.length).fill(0x41);
    entries.set(key, { ...entry, direct: { link: ENGINE_IMPORT, bytecode: forged } });
    const rebuilt = await compiler.compile('return 42;');
    expect(rebuilt.direct!.bytecode).not.toBe(forged);
    expect(Buffer.from(rebuilt.direct!.bytecode).equals(Buffer.from(bytecode))).toBe(true);
    // and one without it, where the compiler built it with bytecode, is not a hit either
    const [key2, entry2] = [...entries][0]!;
    const { direct: _, ...bare } = entry2;
    entries.set(key2, bare);
    expect((await compiler.compile('return 42;')).direct?.bytecode).toBeDefined();
    expect((await createCompiler({ mode: 'static' }).compile('return 1')).direct).toBeUndefined();
  });

  it('the memory cache counts a dynamic module and its bytecode against its byte budget', async () => {
    const source = `return "${'x'.repeat(4000)}";`;
    const probe = await createCompiler({ mode: 'dynamic' }).compile(source);
    const both = probe.bytes.length + probe.direct!.bytecode.length;
    const tight = new MemoryCompileCache(10, both - 1);
    await createCompiler({ mode: 'dynamic', cache: tight }).compile(source);
    expect(tight.size).toBe(0);
    const enough = new MemoryCompileCache(10, both);
    await createCompiler({ mode: 'dynamic', cache: enough }).compile(source);
    expect(enough.size).toBe(1);
  });

  it('is deterministic: the same source gives the same bytes', async () => {
    const a = await createCompiler({ mode: 'static' }).compile('return [1, 2, 3].map((x) => x * 2);');
    const b = await createCompiler({ mode: 'static' }).compile('return [1, 2, 3].map((x) => x * 2);');
    expect(a.hash).toBe(b.hash);
  });
});

describe('JavyCliCompiler (against a stand-in for the javy CLI, see fixtures/fake-javy.mjs)', () => {
  const fake = fileURLToPath(new URL('./fixtures/fake-javy.mjs', import.meta.url));
  const leftovers = () => readdirSync(tmpdir()).filter((d) => d.startsWith('memory-mcp-javy-')).length;

  it('builds with `javy build in.js -o out.wasm` and cleans its temporary files', async () => {
    const before = leftovers();
    const compiled = await new JavyCliCompiler({ path: fake }).compile('console.log(1)');
    const module = new WebAssembly.Module(compiled.bytes as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.exports(module).map((e) => e.name)).toEqual(['_start']);
    const note = JSON.parse(Buffer.from(WebAssembly.Module.customSections(module, 'javy')[0]!).toString());
    expect(note).toEqual({ dynamic: false, length: 14 });
    expect(leftovers()).toBe(before);
  });

  it('passes -C dynamic for dynamic mode', async () => {
    const compiled = await new JavyCliCompiler({ path: fake, mode: 'dynamic' }).compile('1');
    const note = JSON.parse(
      Buffer.from(
        WebAssembly.Module.customSections(
          new WebAssembly.Module(compiled.bytes as Uint8Array<ArrayBuffer>),
          'javy',
        )[0]!,
      ).toString(),
    );
    expect(note.dynamic).toBe(true);
  });

  it("turns javy's failures into CompileErrors with stderr and position", async () => {
    const error = await new JavyCliCompiler({ path: fake }).compile('SYNTAX_ERROR').catch((e: unknown) => e);
    expect(CompileError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      line: 3,
      column: 5,
      message: expect.stringMatching(/exit 1.*unexpected token/),
    });
  });

  it('times out a javy that hangs, and still cleans up', async () => {
    const before = leftovers();
    const error = await new JavyCliCompiler({ path: fake, timeoutMs: 500 })
      .compile('HANG')
      .catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/timed out after 500 ms/);
    expect(leftovers()).toBe(before);
  });

  it('finds javy through JAVY_PATH', () => {
    expect(JavyCliCompiler.find({ JAVY_PATH: fake })).toBe(fake);
    expect(JavyCliCompiler.find({ JAVY_PATH: '/nope/javy' })).toBeUndefined();
    expect(JavyCliCompiler.find({ PATH: '/nope' })).toBeUndefined();
  });
});
