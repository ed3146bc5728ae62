/** Bytes in the big-endian length prefix of every frame. */
export const FRAME_HEADER_BYTES = 4;

/**
 * Default cap on one frame's payload. A result record or a request fits comfortably; anything
 * bigger belongs in a file in a write grant, not on the channel.
 */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Default cap on everything one jailed process may send over its whole life. */
export const DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 * 1024;

export interface FrameLimits {
  /** Largest payload of one frame, in bytes. Default 4 MiB. */
  maxFrameBytes?: number;
  /** Largest sum of all frame bytes (headers included) over the channel's life. Default 64 MiB. */
  maxTotalBytes?: number;
}
