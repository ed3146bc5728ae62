import { ChannelProtocolError, type ChannelProtocolErrorCode } from '../errors/channel-protocol-error.js';
import {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_TOTAL_BYTES,
  FRAME_HEADER_BYTES,
  type FrameLimits,
} from './frame-limits.js';

/** What feeding bytes to a decoder produced: a whole frame, or the one protocol error that ends it. */
export type FrameEvent =
  | { kind: 'frame'; value: unknown; bytes: number }
  | { kind: 'error'; error: ChannelProtocolError };

export interface FrameDecoderOptions extends FrameLimits {
  /** `json` (default): payloads are UTF-8 JSON and `value` is the parsed value. `bytes`: `value` is a `Uint8Array`. */
  payload?: 'json' | 'bytes';
}

class ForbiddenKey {
  constructor(readonly key: string) {}
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Rejects the keys that turn a parsed record into a prototype-pollution gadget when some consumer
 * later merges it: `__proto__` anywhere, and `constructor` holding an object (`constructor.prototype`).
 * JSON.parse itself only makes them own properties, but the record travels on to code we don't own.
 */
function rejectGadgetKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && value !== null && typeof value === 'object')) {
    throw new ForbiddenKey(key);
  }
  return value;
}

/**
 * Turns the byte stream a jailed process writes into frames, defensively. It never throws: bad
 * input (a non-byte chunk, an over-cap length, invalid UTF-8 or JSON, a pollution key, a stream that
 * ends mid-frame) becomes one `error` event, after which the decoder is failed and ignores the rest,
 * because a framing error means the stream can no longer be trusted to be in step.
 */
export class FrameDecoder {
  readonly #maxFrame: number;
  readonly #maxTotal: number;
  readonly #json: boolean;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes of the stream fully consumed so far (offset of the next frame's header). */
  #offset = 0;
  #received = 0;
  #failed: ChannelProtocolError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    this.#maxFrame = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#maxTotal = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
    this.#json = (options.payload ?? 'json') === 'json';
  }

  /** The error that stopped this decoder, if any. */
  get failed(): ChannelProtocolError | undefined {
    return this.#failed;
  }

  /** Bytes received and not yet part of a whole frame. */
  get pendingBytes(): number {
    return this.#buffered;
  }

  /** Feeds one chunk; returns the frames it completed and at most one error. */
  push(chunk: unknown): FrameEvent[] {
    if (this.#failed) return [];
    if (!(chunk instanceof Uint8Array)) {
      return [this.#fail('invalid_chunk', `expected bytes, got ${chunk === null ? 'null' : typeof chunk}`)];
    }
    this.#received += chunk.byteLength;
    if (this.#received > this.#maxTotal) {
      return [this.#fail('total_too_large', `over the ${this.#maxTotal}-byte channel cap`)];
    }
    if (chunk.byteLength === 0) return [];
    this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#buffered += chunk.byteLength;
    const events: FrameEvent[] = [];
    while (this.#buffered >= FRAME_HEADER_BYTES) {
      const length = this.#peekLength();
      if (length > this.#maxFrame) {
        events.push(
          this.#fail('frame_too_large', `frame of ${length} bytes, over the ${this.#maxFrame}-byte cap`),
        );
        return events;
      }
      if (this.#buffered < FRAME_HEADER_BYTES + length) break;
      const payload = this.#take(FRAME_HEADER_BYTES + length).subarray(FRAME_HEADER_BYTES);
      const event = this.#decode(payload);
      events.push(event);
      if (event.kind === 'error') return events;
      this.#offset += FRAME_HEADER_BYTES + length;
    }
    return events;
  }

  /** Call when the stream ended: reports a frame cut off in the middle. */
  end(): FrameEvent[] {
    if (this.#failed || this.#buffered === 0) return [];
    return [this.#fail('truncated', `stream ended with ${this.#buffered} bytes of an unfinished frame`)];
  }

  #peekLength(): number {
    const first = this.#chunks[0]!;
    if (first.byteLength >= FRAME_HEADER_BYTES) return first.readUInt32BE(0);
    // The header straddles chunks: join just enough of them once.
    const joined = Buffer.concat(this.#chunks);
    this.#chunks = [joined];
    return joined.readUInt32BE(0);
  }

  /** Removes exactly `bytes` from the front of the buffered chunks. */
  #take(bytes: number): Buffer {
    const first = this.#chunks[0]!;
    let taken: Buffer;
    if (first.byteLength >= bytes) {
      taken = first.subarray(0, bytes);
      if (first.byteLength === bytes) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(bytes);
    } else {
      const joined = Buffer.concat(this.#chunks);
      taken = joined.subarray(0, bytes);
      this.#chunks = joined.byteLength > bytes ? [joined.subarray(bytes)] : [];
    }
    this.#buffered -= bytes;
    return taken;
  }

  #decode(payload: Buffer): FrameEvent {
    const bytes = payload.byteLength;
    // Copy out so the frame does not pin (or expose) the rest of a large chunk.
    if (!this.#json) return { kind: 'frame', value: new Uint8Array(payload), bytes };
    let text: string;
    try {
      text = utf8.decode(payload);
    } catch {
      return this.#fail('invalid_utf8', 'payload is not valid UTF-8');
    }
    try {
      return { kind: 'frame', value: JSON.parse(text, rejectGadgetKeys), bytes };
    } catch (error) {
      if (error instanceof ForbiddenKey)
        return this.#fail('forbidden_key', `key "${error.key}" is not allowed`);
      return this.#fail('invalid_json', error instanceof Error ? error.message.slice(0, 200) : 'unparsable');
    }
  }

  #fail(code: ChannelProtocolErrorCode, message: string): FrameEvent {
    this.#failed = new ChannelProtocolError({ code, message, offset: this.#offset });
    this.#chunks = [];
    this.#buffered = 0;
    return { kind: 'error', error: this.#failed };
  }
}
