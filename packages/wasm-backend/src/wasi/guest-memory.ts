import { IOVEC } from './wasi-layouts.js';

/**
 * Thrown by `GuestMemory` for an access outside the bound memory. It never leaves this folder:
 * `guardFaults` turns it into EFAULT, so a hostile pointer is the module's error, not the host's.
 * Not an `Error`: nothing needs its stack, and one shared instance costs nothing to throw.
 */
export class MemoryFault {}
const FAULT = new MemoryFault();

const utf8 = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** An address, length or count from the module: an i32 arrives signed, but WASI means it unsigned. */
export function u32(value: number): number {
  return value >>> 0;
}

/**
 * The module's linear memory as the host functions see it. Every access is bounds-checked first
 * and faults instead of throwing a `RangeError` or silently clamping (a `subarray` past the end
 * would). A pointer argument is taken as the raw i32 and made unsigned here; a struct field is
 * addressed as (pointer, field offset) so the sum is never wrapped back into memory.
 */
export class GuestMemory {
  #memory: WebAssembly.Memory | undefined;
  #buffer: ArrayBufferLike | undefined;
  #view = new DataView(EMPTY.buffer);
  #bytes = EMPTY;
  /** Bytes of guest memory the host functions have addressed: what a host call's fuel is charged. */
  touched = 0;

  /** Until bound, the memory is empty: every access of one byte or more faults. */
  bind(memory: WebAssembly.Memory): void {
    // A host may be bound again (a linked module's memory, then the main module's): drop the
    // cached views, or accesses inside the old size would still reach the old memory.
    this.#memory = memory;
    this.#buffer = undefined;
    this.#view = new DataView(EMPTY.buffer);
    this.#bytes = EMPTY;
  }

  /**
   * Checks that `len` bytes at `ptr + at` lie in memory; returns that address. An empty range
   * touches nothing, so like POSIX it is valid at any address. Call it before using `#view` or
   * `#bytes`: only a range past the cached buffer asks the memory for its current one, because
   * `memory.buffer` costs a call into the engine and a grown memory's old buffer reads as empty.
   */
  range(ptr: number, len: number, at = 0): number {
    const start = u32(ptr) + at;
    if (!(len >= 0)) throw FAULT;
    this.touched += len;
    if (len > 0 && start + len > this.#bytes.length && start + len > this.#sync().length) throw FAULT;
    return start;
  }

  getU8(ptr: number, at: number): number {
    const addr = this.range(ptr, 1, at);
    return this.#view.getUint8(addr);
  }

  getU16(ptr: number, at: number): number {
    const addr = this.range(ptr, 2, at);
    return this.#view.getUint16(addr, true);
  }

  getU32(ptr: number, at: number): number {
    const addr = this.range(ptr, 4, at);
    return this.#view.getUint32(addr, true);
  }

  getU64(ptr: number, at: number): bigint {
    const addr = this.range(ptr, 8, at);
    return this.#view.getBigUint64(addr, true);
  }

  setU8(ptr: number, at: number, value: number): void {
    const addr = this.range(ptr, 1, at);
    this.#view.setUint8(addr, value);
  }

  setU16(ptr: number, at: number, value: number): void {
    const addr = this.range(ptr, 2, at);
    this.#view.setUint16(addr, value, true);
  }

  setU32(ptr: number, at: number, value: number): void {
    const addr = this.range(ptr, 4, at);
    this.#view.setUint32(addr, value, true);
  }

  setU64(ptr: number, at: number, value: bigint): void {
    const addr = this.range(ptr, 8, at);
    this.#view.setBigUint64(addr, value, true);
  }

  /** A live view of `len` bytes at `ptr + at` (valid until the memory grows). */
  span(ptr: number, len: number, at = 0): Uint8Array {
    const start = this.range(ptr, len, at);
    // Empty ranges never touch `#bytes`: after a grow it may be detached, and views of it throw.
    return len === 0 ? EMPTY : this.#bytes.subarray(start, start + len);
  }

  write(ptr: number, data: Uint8Array, at = 0): void {
    const start = this.range(ptr, data.length, at);
    if (data.length > 0) this.#bytes.set(data, start);
  }

  zero(ptr: number, len: number, at = 0): void {
    const start = this.range(ptr, len, at);
    if (len > 0) this.#bytes.fill(0, start, start + len);
  }

  /** UTF-8 text at `ptr` (decoded from a copy: a shared memory's view cannot be decoded directly). */
  string(ptr: number, len: number): string {
    const start = this.range(ptr, len);
    return len === 0 ? '' : utf8.decode(this.#bytes.slice(start, start + len));
  }

  /**
   * Calls `each` with every buffer of an iovec list in order, without collecting them (a call may
   * pass millions). The whole list is checked first, so a write that faults wrote nothing.
   */
  forEachIovec(iovs: number, count: number, each: (part: Uint8Array) => void): void {
    const n = this.checkIovecs(iovs, count);
    for (let i = 0; i < n; i++) each(this.#iovec(iovs, i));
  }

  /**
   * Copies `source` into an iovec list; returns the bytes copied. Only the iovecs (and the part of
   * each) that receive bytes are looked at, so a read at the end of input ignores the rest.
   */
  scatter(iovs: number, count: number, source: Uint8Array): number {
    const n = u32(count);
    let copied = 0;
    for (let i = 0; i < n && copied < source.length; i++) {
      const at = i * IOVEC.BYTES;
      const ptr = this.getU32(iovs, at + IOVEC.BUF);
      const take = Math.min(this.getU32(iovs, at + IOVEC.BUF_LEN), source.length - copied);
      this.write(ptr, source.subarray(copied, copied + take));
      copied += take;
    }
    return copied;
  }

  /** Checks an iovec list and every buffer it names; returns the count. */
  checkIovecs(iovs: number, count: number): number {
    const n = u32(count);
    this.range(iovs, n * IOVEC.BYTES);
    for (let i = 0; i < n; i++) this.#iovec(iovs, i);
    return n;
  }

  #iovec(iovs: number, i: number): Uint8Array {
    const at = i * IOVEC.BYTES;
    return this.span(this.getU32(iovs, at + IOVEC.BUF), this.getU32(iovs, at + IOVEC.BUF_LEN));
  }

  /** The memory's current buffer: growing replaces it, so the views are rebuilt when it changed. */
  #sync(): Uint8Array {
    const buffer = this.#memory?.buffer;
    if (buffer && buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#view = new DataView(buffer);
      this.#bytes = new Uint8Array(buffer);
    }
    return this.#bytes;
  }
}
