/**
 * The executor channel's framing: each frame is a u32 (big-endian) length, then that many bytes:
 * a u32 length of a JSON text, the JSON, then the binary attachments it refers to. A `Uint8Array`
 * anywhere in a message travels as an attachment (`{"$bytes":[offset,length]}` in the JSON), so a
 * 12 MB module is copied, not base64-encoded. JSON is the only parser that runs on what the
 * executor sends: no code, no prototypes, nothing but plain data.
 */

const BYTES_TAG = '$bytes';

/** Frames up to this size are written as one buffer: one write, one wake-up of the reader. */
const COALESCE_BYTES = 1024 * 1024;

/** The parts to write for one message: one buffer when small, else the header and attachments. */
export function frameWrites(message: unknown): Uint8Array[] {
  const parts = encodeFrameParts(message);
  if (parts.length === 1) return parts;
  const total = parts.reduce((n, p) => n + p.length, 0);
  return total <= COALESCE_BYTES ? [Buffer.concat(parts)] : parts;
}

/** Encodes one message as a frame, in one buffer (small messages, tests). */
export function encodeFrame(message: unknown): Buffer {
  return Buffer.concat(encodeFrameParts(message));
}

/**
 * Encodes one message as the parts of a frame: a header (lengths and JSON), then each attachment
 * as given. Written one after another they are the frame; a 12 MB module is never copied.
 */
export function encodeFrameParts(message: unknown): Uint8Array[] {
  const attachments: Uint8Array[] = [];
  let offset = 0;
  const json = JSON.stringify(message, function (this: Record<string, unknown>, key, value: unknown) {
    // `this[key]` is the value before `toJSON` (a Buffer would otherwise arrive as a number array).
    const raw = this[key];
    if (raw instanceof Uint8Array) {
      attachments.push(raw);
      const ref = { [BYTES_TAG]: [offset, raw.length] };
      offset += raw.length;
      return ref;
    }
    return escapeKeys(value);
  });
  const text = Buffer.from(json ?? 'null', 'utf8');
  const header = Buffer.allocUnsafe(8 + text.length);
  header.writeUInt32BE(4 + text.length + offset, 0);
  header.writeUInt32BE(text.length, 4);
  text.copy(header, 8);
  return [header, ...attachments.filter((part) => part.length > 0)];
}

export type FrameEvent = { kind: 'message'; message: unknown } | { kind: 'error'; message: string };

/**
 * Reassembles frames from a byte stream the other side controls. Never throws: a frame over
 * `maxFrameBytes`, JSON that does not parse or an attachment that points outside its frame is an
 * `error` event, after which the reader refuses everything (the stream can no longer be trusted).
 */
export class FrameReader {
  readonly maxFrameBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #broken = false;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  get broken(): boolean {
    return this.#broken;
  }

  push(chunk: Buffer): FrameEvent[] {
    if (this.#broken) return [];
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const events: FrameEvent[] = [];
    while (this.#buffered >= 4) {
      const head = this.#peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameBytes || length < 4) {
        return this.#fail(events, `frame of ${length} bytes is outside 4..${this.maxFrameBytes}`);
      }
      if (this.#buffered < 4 + length) break;
      const frame = this.#take(4 + length).subarray(4);
      const decoded = decodeFrame(frame);
      if (decoded.kind === 'error') return this.#fail(events, decoded.message);
      events.push(decoded);
    }
    return events;
  }

  #fail(events: FrameEvent[], message: string): FrameEvent[] {
    this.#broken = true;
    this.#chunks = [];
    this.#buffered = 0;
    events.push({ kind: 'error', message });
    return events;
  }

  #peek(n: number): Buffer {
    if (this.#chunks[0]!.length < n) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!.subarray(0, n);
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return out;
  }
}

function decodeFrame(frame: Buffer): FrameEvent {
  const jsonLength = frame.readUInt32BE(0);
  if (jsonLength > frame.length - 4) return { kind: 'error', message: 'frame JSON runs past the frame' };
  const attachments = frame.subarray(4 + jsonLength);
  let message: unknown;
  try {
    message = JSON.parse(frame.toString('utf8', 4, 4 + jsonLength), (_key, value: unknown) => {
      if (isBytesRef(value)) {
        const [offset, length] = value[BYTES_TAG];
        if (offset + length > attachments.length) throw new RangeError('attachment outside its frame');
        // A copy: the frame buffer is reused and must not stay alive through a view.
        return new Uint8Array(attachments.subarray(offset, offset + length));
      }
      return unescapeKeys(value);
    });
  } catch (error) {
    return { kind: 'error', message: `malformed frame: ${(error as Error).message}` };
  }
  return { kind: 'message', message };
}

/** A data key that looks like the tag (`$bytes`, `$$bytes`, ...) gets one more `$` on the wire. */
const TAG_LIKE = /^\$+bytes$/;

function escapeKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  if (!Object.keys(value).some((k) => TAG_LIKE.test(k))) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [TAG_LIKE.test(k) ? `$${k}` : k, v]));
}

function unescapeKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array)
    return value;
  if (!Object.keys(value).some((k) => TAG_LIKE.test(k))) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [TAG_LIKE.test(k) ? k.slice(1) : k, v]));
}

function isBytesRef(value: unknown): value is { [BYTES_TAG]: [number, number] } {
  if (typeof value !== 'object' || value === null || Object.keys(value).length !== 1) return false;
  if (!Object.hasOwn(value, BYTES_TAG)) return false;
  const ref = (value as Record<string, unknown>)[BYTES_TAG];
  return (
    Array.isArray(ref) &&
    ref.length === 2 &&
    Number.isSafeInteger(ref[0]) &&
    Number.isSafeInteger(ref[1]) &&
    (ref[0] as number) >= 0 &&
    (ref[1] as number) >= 0
  );
}
