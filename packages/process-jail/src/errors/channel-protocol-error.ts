import { errorMarker, hasMarker, MemoryMcpError } from '@memory-mcp/sandbox-core';

const name = 'ChannelProtocolError';
const marker = errorMarker(name);

/** What was wrong with the bytes a jailed process put on its channel. */
export type ChannelProtocolErrorCode =
  | 'invalid_chunk'
  | 'frame_too_large'
  | 'total_too_large'
  | 'invalid_utf8'
  | 'invalid_json'
  | 'forbidden_key'
  | 'truncated';

/**
 * The jailed side broke the framing protocol. The decoder hands this out as a value (it never
 * throws); it is an Error subclass only so callers can rethrow or log it with a stack.
 */
export class ChannelProtocolError extends MemoryMcpError {
  readonly [marker] = true;
  readonly code: ChannelProtocolErrorCode;
  /** Byte offset in the stream where the bad frame started. */
  readonly offset: number;

  constructor(init: { code: ChannelProtocolErrorCode; message: string; offset: number }) {
    super(name, `${init.code} at byte ${init.offset}: ${init.message}`);
    this.code = init.code;
    this.offset = init.offset;
  }

  static override isInstance(error: unknown): error is ChannelProtocolError {
    return hasMarker(error, marker);
  }
}
