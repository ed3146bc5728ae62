import { createHash } from 'node:crypto';
import {
  type CompiledModule,
  CompileError,
  type CompileOptions,
  type Compiler,
} from '@memory-mcp/sandbox-core';
import { buildDynamicModule, buildStaticModule, ENGINE_IMPORT, RESULT_FD } from './build-modules.js';
import { compileToBytecode } from './bytecode-compiler.js';
import { type CompileCache, MemoryCompileCache } from './compile-cache.js';
import { type EngineFiles, loadEngine } from './engine-files.js';
import { checkSyntax } from './syntax-check.js';

export interface QuickJsCompilerOptions {
  /** `static` (default): one self-contained WASI command. `dynamic`: bytecode only, links the engine. */
  mode?: 'static' | 'dynamic';
  /** Engine files; default the ones that ship with this package. */
  engine?: EngineFiles;
  /** Compiled-module cache; default an in-memory LRU. */
  cache?: CompileCache;
}

/**
 * Compiles JavaScript to WebAssembly the way Javy does, offline: the code (the body of an async
 * function) is checked, compiled to QuickJS bytecode by the engine itself, and packed into a
 * module that runs on the pre-initialized engine.
 */
export class QuickJsCompiler implements Compiler {
  readonly specificationVersion = 'v1';
  readonly name = 'memory-mcp-quickjs';
  readonly mode: 'static' | 'dynamic';
  readonly engine: EngineFiles;
  readonly cache: CompileCache;
  /**
   * The byte arrays this compiler built in this process. A cache hit counts only when its bytes are
   * one of these: a module from a shared store, whatever it claims, is rebuilt once, so what this
   * compiler returns (and a backend trusts with a result channel) is always its own work. Each is
   * kept with the bytecode built beside it (`direct`), which a hit must carry unchanged.
   */
  readonly #built = new WeakMap<Uint8Array, Uint8Array | undefined>();

  constructor(options: QuickJsCompilerOptions = {}) {
    this.mode = options.mode ?? 'static';
    this.engine = options.engine ?? loadEngine();
    this.cache = options.cache ?? new MemoryCompileCache();
  }

  async compile(source: string, options: CompileOptions = {}): Promise<CompiledModule> {
    const mode = options.mode ?? this.mode;
    const key = createHash('sha256')
      .update(this.engine.hash)
      .update(JSON.stringify({ mode, filename: options.filename ?? 'input.js' }))
      .update(source)
      .digest('hex');
    const cached = await this.cache.get(key);
    if (cached && this.#isOwn(cached)) return cached;

    const started = performance.now();
    let bytecode: Uint8Array;
    try {
      bytecode = compileToBytecode(source);
    } catch (error) {
      // acorn pins the column exactly where it agrees the code is wrong; otherwise QuickJS's word
      if (CompileError.isInstance(error)) await checkSyntax(source, options.filename);
      throw error;
    }
    const bytes =
      mode === 'static' ? buildStaticModule(this.engine.snapshot, bytecode) : buildDynamicModule(bytecode);
    const compiled: CompiledModule = {
      bytes,
      ...(mode === 'dynamic' ? { direct: { link: ENGINE_IMPORT, bytecode } } : {}),
      hash: createHash('sha256').update(bytes).digest('hex'),
      mode,
      engine: { name: this.name, version: this.engine.version, hash: this.engine.hash },
      compileMs: performance.now() - started,
      resultChannel: { fd: RESULT_FD },
      ...(mode === 'dynamic'
        ? {
            imports: { [ENGINE_IMPORT]: this.engine.snapshot },
            metered: {
              version: this.engine.metered.version,
              imports: {
                [ENGINE_IMPORT]: {
                  bytes: this.engine.metered.bytes,
                  hasStart: this.engine.metered.hasStart,
                  maxStaticCharge: this.engine.metered.maxStaticCharge,
                  resettable: this.engine.metered.resettable,
                },
              },
            },
          }
        : {}),
    };
    this.#built.set(bytes, compiled.direct?.bytecode);
    await this.cache.set(key, compiled);
    return compiled;
  }

  #isOwn(module: CompiledModule): boolean {
    // the bytecode a host may run in place of the module must be the one built with these bytes
    return (
      module.engine.hash === this.engine.hash &&
      this.#built.has(module.bytes) &&
      this.#built.get(module.bytes) === module.direct?.bytecode
    );
  }
}

/** `createCompiler({ mode, engine, cache })`: the compiler memory-mcp uses for JS on wasm. */
export function createCompiler(options: QuickJsCompilerOptions = {}): QuickJsCompiler {
  return new QuickJsCompiler(options);
}
