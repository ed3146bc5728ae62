// Shared by the unit tests of this folder: a context over a real WebAssembly.Memory, and helpers to
// lay out arguments in it the way a module would.
import { FdTable } from './fd-table.js';
import { GuestMemory } from './guest-memory.js';
import { HostClock } from './host-clock.js';
import { type FsLimits, MemoryFs } from './memory-fs.js';
import type { WasiContext } from './wasi-context.js';

export interface TestContextOptions {
  /** Seed files; when set the context has a filesystem preopened at fd 3. */
  files?: Record<string, string | Uint8Array>;
  fsLimits?: Partial<FsLimits>;
  /** Default true, so clocks and randomness repeat. */
  deterministic?: boolean;
  /** Pages of memory. Default 1 (64 KiB). */
  pages?: number;
}

export const PAGE = 65_536;
const utf8 = new TextEncoder();

export function testContext(options: TestContextOptions = {}) {
  const wasm = new WebAssembly.Memory({ initial: options.pages ?? 1 });
  const memory = new GuestMemory();
  memory.bind(wasm);
  const fs = options.files ? new MemoryFs(options.files, options.fsLimits) : undefined;
  const ctx: WasiContext = {
    memory,
    fds: new FdTable(fs !== undefined),
    fs,
    clock: new HostClock(options.deterministic ?? true),
  };
  const bytes = () => new Uint8Array(wasm.buffer);
  const view = () => new DataView(wasm.buffer);
  return {
    ctx,
    fs,
    wasm,
    bytes,
    view,
    /** Copies `data` (text as UTF-8) to `ptr`; returns its length. */
    put(ptr: number, data: string | Uint8Array | number[]): number {
      const encoded = typeof data === 'string' ? utf8.encode(data) : Uint8Array.from(data);
      bytes().set(encoded, ptr);
      return encoded.length;
    },
    /** Writes an iovec list at `at`: one (ptr, len) pair per buffer. */
    iovecs(at: number, list: Array<[ptr: number, len: number]>): number {
      list.forEach(([ptr, len], i) => {
        view().setUint32(at + i * 8, ptr, true);
        view().setUint32(at + i * 8 + 4, len, true);
      });
      return list.length;
    },
    u32: (ptr: number) => view().getUint32(ptr, true),
    u64: (ptr: number) => view().getBigUint64(ptr, true),
    text: (ptr: number, len: number) => new TextDecoder().decode(bytes().slice(ptr, ptr + len)),
    /** A copy of all of memory, to assert a call changed nothing. */
    snapshot: () => bytes().slice(),
  };
}

/** An i32 argument as wasm passes it to JavaScript: values at or above 2^31 arrive negative. */
export function i32(value: number): number {
  return value | 0;
}
