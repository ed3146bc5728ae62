import { createHash } from 'node:crypto';
import type { CompiledModule } from '@memory-mcp/sandbox-core';

/** Descriptors a result channel may not use: stdio and the filesystem preopen. */
const FIRST_CHANNEL_FD = 4;

/** Most modules remembered; the oldest are forgotten first (they are then run without a channel). */
const DEFAULT_MAX_ENTRIES = 10_000;

interface Registration {
  engineHash: string;
  fd: number;
}

/**
 * The modules whose result channel the backend honours: exactly the `CompiledModule`s its own
 * compiler returned in this process, keyed by the SHA-256 the backend computed over their bytes
 * (never the hash the module claims) together with the engine hash. A `memory-mcp:result-fd`
 * section in any other bytes, from a request or from a store, is ignored: such a module writes to
 * that descriptor like to any closed one.
 */
export class ResultChannelRegistry {
  readonly #entries = new Map<string, Registration>();
  readonly #maxEntries: number;

  constructor(maxEntries = DEFAULT_MAX_ENTRIES) {
    this.#maxEntries = maxEntries;
  }

  /** Records a module the compiler returned. Returns the SHA-256 of its bytes. */
  register(compiled: CompiledModule, bytesHash = sha256(compiled.bytes)): string {
    return this.registerChannel(bytesHash, compiled.engine.hash, compiled.resultChannel?.fd);
  }

  /**
   * Records the channel a compiler declared for the module with this hash (compiled in a worker of
   * this process, so only the hash and the descriptor cross). Returns `bytesHash`.
   */
  registerChannel(bytesHash: string, engineHash: string, fd: number | undefined): string {
    if (fd === undefined || !Number.isInteger(fd) || fd < FIRST_CHANNEL_FD || fd > 0x7fff_ffff) {
      return bytesHash;
    }
    this.#entries.delete(bytesHash);
    this.#entries.set(bytesHash, { engineHash, fd });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return bytesHash;
  }

  /**
   * The descriptor to collect as the result channel for bytes with this hash, or undefined. With
   * `engineHash`, the registration must also name that engine.
   */
  fdFor(bytesHash: string, engineHash?: string): number | undefined {
    const entry = this.#entries.get(bytesHash);
    if (!entry) return undefined;
    if (engineHash !== undefined && entry.engineHash !== engineHash) return undefined;
    return entry.fd;
  }

  get size(): number {
    return this.#entries.size;
  }
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
