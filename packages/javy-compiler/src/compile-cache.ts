import { type CompiledModule, LruCache } from '@memory-mcp/sandbox-core';

/** Where compiled modules are kept, keyed by SHA-256 of source, options and engine. Pluggable. */
export interface CompileCache {
  get(key: string): CompiledModule | undefined | Promise<CompiledModule | undefined>;
  set(key: string, module: CompiledModule): void | Promise<void>;
}

/** The default: an in-memory LRU bounded by entries and bytes (module and bytecode). */
export class MemoryCompileCache implements CompileCache {
  readonly #lru: LruCache<CompiledModule>;

  constructor(maxEntries = 1000, maxBytes = 256 * 1024 * 1024) {
    this.#lru = new LruCache(maxBytes, maxEntries);
  }

  get(key: string): CompiledModule | undefined {
    return this.#lru.get(key);
  }

  set(key: string, module: CompiledModule): void {
    // a dynamic module's bytecode is a second copy beside its bytes: both count against the budget
    this.#lru.set(key, module, module.bytes.length + (module.direct?.bytecode.length ?? 0));
  }

  get hits(): number {
    return this.#lru.hits;
  }

  get misses(): number {
    return this.#lru.misses;
  }

  get size(): number {
    return this.#lru.size;
  }
}
