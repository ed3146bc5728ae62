import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES } from './frame-limits.js';

/**
 * One frame: a 4-byte big-endian payload length, then the payload. A `Uint8Array` is sent as is;
 * anything else as UTF-8 JSON. Throws `InvalidRequestError` (field `frame`) for a value JSON cannot
 * represent or a payload over `maxFrameBytes`: the host's own mistakes, not the jail's.
 */
export function encodeFrame(value: unknown, options: { maxFrameBytes?: number } = {}): Buffer {
  const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  let payload: Buffer;
  if (value instanceof Uint8Array) {
    payload = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  } else {
    const json = JSON.stringify(value);
    if (json === undefined) throw new InvalidRequestError('frame', 'value has no JSON representation');
    payload = Buffer.from(json, 'utf8');
  }
  if (payload.byteLength > max) {
    throw new InvalidRequestError(
      'frame',
      `payload is ${payload.byteLength} bytes, over the ${max}-byte cap`,
    );
  }
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.byteLength);
  frame.writeUInt32BE(payload.byteLength, 0);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}
