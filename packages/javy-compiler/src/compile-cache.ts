import type { CompiledModule } from '@memory-mcp/sandbox-core';

/** Where compiled modules are kept, keyed by SHA-256 of source, options and engine. Pluggable. */
export interface CompileCache {
  get(key: string): CompiledModule | undefined | Promise<CompiledModule | undefined>;
  set(key: string, module: CompiledModule): void | Promise<void>;
}

/** The default: an in-memory LRU bounded by entries and bytes. */
export class MemoryCompileCache implements CompileCache {
  readonly #entries = new Map<string, CompiledModule>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly maxEntries = 1000,
    readonly maxBytes = 256 * 1024 * 1024,
  ) {}

  get(key: string): CompiledModule | undefined {
    const hit = this.#entries.get(key);
    if (!hit) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#entries.delete(key);
    this.#entries.set(key, hit);
    return hit;
  }

  set(key: string, module: CompiledModule): void {
    const old = this.#entries.get(key);
    if (old) {
      this.#bytes -= old.bytes.length;
      this.#entries.delete(key);
    }
    this.#entries.set(key, module);
    this.#bytes += module.bytes.length;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes.length;
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
