import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { ChannelProtocolError } from '../errors/channel-protocol-error.js';
import { encodeFrame } from './encode-frame.js';
import { FrameDecoder, type FrameDecoderOptions } from './frame-decoder.js';

export interface JailChannelEvents {
  frame: [value: unknown];
  protocolError: [error: ChannelProtocolError];
  close: [];
}

/**
 * The host's end of the private framed channel (fd 3 inside the jail). Frames arrive as `frame`
 * events, or through `frames()` when nobody listens to `frame`. The first protocol error is
 * reported once as `protocolError` (never `error`, which would throw without a listener), stops
 * the channel, and stays readable as `protocolError`.
 */
export class JailChannel extends EventEmitter<JailChannelEvents> {
  readonly #socket: Duplex | undefined;
  readonly #decoder: FrameDecoder;
  readonly #maxFrameBytes: number | undefined;
  readonly #queue: unknown[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(socket: Duplex | undefined, options: FrameDecoderOptions = {}) {
    super();
    this.#socket = socket;
    this.#decoder = new FrameDecoder(options);
    this.#maxFrameBytes = options.maxFrameBytes;
    if (!socket) {
      this.#closed = true;
      return;
    }
    // Whatever the jailed side does to its end (close it, reset it), the host hears at most "closed".
    socket.on('error', () => this.#close());
    socket.on('data', (chunk: unknown) => {
      for (const event of this.#decoder.push(chunk)) {
        if (event.kind === 'frame') this.#deliver(event.value);
        else {
          this.emit('protocolError', event.error);
          socket.destroy();
          this.#close();
        }
      }
    });
    socket.on('end', () => {
      for (const event of this.#decoder.end()) {
        if (event.kind === 'error') this.emit('protocolError', event.error);
      }
      this.#close();
    });
    socket.on('close', () => this.#close());
  }

  /** The error that stopped the channel, if the jailed side broke the protocol. */
  get protocolError(): ChannelProtocolError | undefined {
    return this.#decoder.failed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one frame (a `Uint8Array` as bytes, anything else as JSON). Returns false when the
   * channel is closed or the jail is not keeping up (then wait for it before writing more).
   */
  write(value: unknown): boolean {
    const frame = encodeFrame(
      value,
      this.#maxFrameBytes === undefined ? {} : { maxFrameBytes: this.#maxFrameBytes },
    );
    if (this.#closed || !this.#socket || this.#socket.destroyed || !this.#socket.writable) return false;
    return this.#socket.write(frame);
  }

  /** Every frame not already taken by a `frame` listener, in order, until the channel closes. */
  async *frames(): AsyncGenerator<unknown, void, undefined> {
    while (true) {
      if (this.#queue.length > 0) {
        yield this.#queue.shift();
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Stops listening to the jail; safe to call any number of times. */
  close(): void {
    this.#socket?.destroy();
    this.#close();
  }

  #deliver(value: unknown): void {
    if (this.listenerCount('frame') > 0) this.emit('frame', value);
    else this.#queue.push(value);
    this.#wakeUp();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeUp();
    this.emit('close');
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
