// The project's error markers (see sandbox-core's MemoryMcpError), written out here because this
// package has no dependencies: `isInstance` holds across two installed copies.
const BASE_MARKER = Symbol.for('memory-mcp.error');
const DECODE_MARKER = Symbol.for('memory-mcp.error.WasmDecodeError');
/** Names in a module; one decoder for all (`decode` without `stream` keeps no state between calls). */
const NAMES = new TextDecoder('utf-8', { fatal: false });

/** Malformed module bytes, with the byte offset where reading failed. */
export class WasmDecodeError extends Error {
  readonly [BASE_MARKER] = true;
  readonly [DECODE_MARKER] = true;

  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'WasmDecodeError';
  }

  static isInstance(error: unknown): error is WasmDecodeError {
    return (
      error != null && typeof error === 'object' && (error as Record<symbol, unknown>)[DECODE_MARKER] === true
    );
  }
}

export class ByteReader {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
    readonly end = bytes.length,
  ) {
    this.offset = offset;
  }

  get done(): boolean {
    return this.offset >= this.end;
  }

  u8(): number {
    if (this.offset >= this.end) throw new WasmDecodeError('unexpected end', this.offset);
    return this.bytes[this.offset++]!;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const byte = this.u8();
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    throw new WasmDecodeError('LEB128 u32 too long', this.offset);
  }

  /** Skips a signed LEB128 of at most `maxBytes` bytes (s32: 5, s33: 5, s64: 10). */
  skipLeb(maxBytes: number): void {
    for (let i = 0; i < maxBytes; i++) if ((this.u8() & 0x80) === 0) return;
    throw new WasmDecodeError('LEB128 too long', this.offset);
  }

  s33(): number {
    let result = 0;
    let shift = 0;
    let byte: number;
    let i = 0;
    do {
      if (i++ >= 5) throw new WasmDecodeError('LEB128 s33 too long', this.offset);
      byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    if (shift < 33) {
      if (byte & 0x40) result -= 2 ** shift;
      return result;
    }
    // Five bytes carry 35 bits: keep the low 33 and sign-extend from bit 32.
    result %= 2 ** 33;
    return result >= 2 ** 32 ? result - 2 ** 33 : result;
  }

  bytesOf(length: number): Uint8Array {
    if (this.offset + length > this.end) throw new WasmDecodeError(`need ${length} bytes`, this.offset);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  name(): string {
    return NAMES.decode(this.bytesOf(this.u32()));
  }
}

/** Growable byte buffer with LEB128 writers. */
export class ByteWriter {
  #buf = new Uint8Array(256);
  length = 0;

  #ensure(extra: number): void {
    if (this.length + extra <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
  }

  u8(value: number): this {
    this.#ensure(1);
    this.#buf[this.length++] = value;
    return this;
  }

  u32(value: number): this {
    let v = value >>> 0;
    do {
      let byte = v & 0x7f;
      v >>>= 7;
      if (v !== 0) byte |= 0x80;
      this.u8(byte);
    } while (v !== 0);
    return this;
  }

  s32(value: number): this {
    let v = value | 0;
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) return this.u8(byte);
      this.u8(byte | 0x80);
    }
  }

  s64(value: bigint): this {
    let v = BigInt.asIntN(64, value);
    for (;;) {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0)) return this.u8(byte);
      this.u8(byte | 0x80);
    }
  }

  bytes(data: Uint8Array): this {
    this.#ensure(data.length);
    this.#buf.set(data, this.length);
    this.length += data.length;
    return this;
  }

  name(text: string): this {
    const data = new TextEncoder().encode(text);
    return this.u32(data.length).bytes(data);
  }

  /** Appends `section id, size, payload`. */
  section(id: number, payload: Uint8Array): this {
    return this.u8(id).u32(payload.length).bytes(payload);
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.length);
  }
}
