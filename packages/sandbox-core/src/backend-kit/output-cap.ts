export type OutputStream = 'stdout' | 'stderr';

/** One decoder for every stream: `decode` without `stream` keeps no state between calls. */
const UTF8 = new TextDecoder();

export interface OutputCapOptions {
  /** Bytes of stdout and stderr together that may be charged; past it output is cut. */
  maxBytes: number;
  /**
   * The least one write call is charged, in bytes, however short it is. Default 8 (about one short
   * line), so a flood of empty or one-byte writes reaches the cap instead of being free, while a
   * program printing numbers one per line is charged close to what it prints.
   */
  floorBytesPerWrite?: number;
}

/** Keeps stdout and stderr up to a byte cap, with a UTF-8-safe cut, in one growing buffer each. */
export class OutputCap {
  readonly maxBytes: number;
  readonly floorBytesPerWrite: number;
  #charged = 0;
  #truncated = false;
  readonly #streams: Record<OutputStream, { buffer: Uint8Array; length: number }> = {
    stdout: { buffer: new Uint8Array(0), length: 0 },
    stderr: { buffer: new Uint8Array(0), length: 0 },
  };

  constructor({ maxBytes, floorBytesPerWrite = 8 }: OutputCapOptions) {
    this.maxBytes = Math.max(0, Math.floor(maxBytes));
    this.floorBytesPerWrite = Math.max(0, Math.floor(floorBytesPerWrite));
  }

  /** True once a write was cut or refused at the cap. */
  get truncated(): boolean {
    return this.#truncated;
  }

  /** Bytes charged so far (each write at least `floorBytesPerWrite`), never above `maxBytes`. */
  get chargedBytes(): number {
    return this.#charged;
  }

  /**
   * Keeps what fits of `data`. Returns true when all of it was kept, false when the cap cut or
   * refused it (from then on every write is refused and `truncated` is true).
   */
  write(stream: OutputStream, data: Uint8Array): boolean {
    if (this.#truncated) return false;
    const charge = Math.max(data.length, this.floorBytesPerWrite);
    const room = this.maxBytes - this.#charged;
    if (charge <= room) {
      this.#append(stream, data);
      this.#charged += charge;
      return true;
    }
    const cut = utf8SafeCut(data, room);
    if (cut > 0) this.#append(stream, data.subarray(0, cut));
    this.#charged = this.maxBytes;
    this.#truncated = true;
    return false;
  }

  /** The bytes kept for one stream (a view; copy it to keep it past further writes). */
  bytes(stream: OutputStream): Uint8Array {
    const s = this.#streams[stream];
    return s.buffer.subarray(0, s.length);
  }

  /** The text kept for one stream; invalid UTF-8 from the code becomes U+FFFD. */
  text(stream: OutputStream): string {
    return UTF8.decode(this.bytes(stream));
  }

  #append(stream: OutputStream, data: Uint8Array): void {
    if (data.length === 0) return;
    const s = this.#streams[stream];
    const needed = s.length + data.length;
    if (needed > s.buffer.length) {
      // Doubling keeps appends amortised O(1); the cap bounds the buffer, so no chunk list grows.
      const size = Math.min(Math.max(needed, s.buffer.length * 2, 256), Math.max(needed, this.maxBytes));
      const grown = new Uint8Array(size);
      grown.set(s.buffer.subarray(0, s.length));
      s.buffer = grown;
    }
    s.buffer.set(data, s.length);
    s.length = needed;
  }
}

/** The longest prefix of `data` no longer than `limit` that does not end inside a UTF-8 sequence. */
export function utf8SafeCut(data: Uint8Array, limit: number): number {
  let n = Math.max(0, Math.min(Math.floor(limit), data.length));
  if (n === data.length) return n;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (n > 0 && (data[n]! & 0xc0) === 0x80) n--;
  return n;
}
