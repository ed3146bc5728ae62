export { JAIL_WORK_DIR } from './build-bwrap-args.js';
export { encodeFrame } from './channel/encode-frame.js';
export { FrameDecoder, type FrameDecoderOptions, type FrameEvent } from './channel/frame-decoder.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_TOTAL_BYTES,
  FRAME_HEADER_BYTES,
  type FrameLimits,
} from './channel/frame-limits.js';
export { JailChannel, type JailChannelEvents } from './channel/jail-channel.js';
export type { JailExit, JailExitReason } from './classify-exit.js';
export { detectJailSupport, type JailSupport } from './detect-jail-support.js';
export * from './errors/index.js';
export {
  DEFAULT_JAIL_LIMITS,
  type JailLimits,
  NODE_DATA_BASELINE_BYTES,
  nodeDataBaselineBytes,
} from './jail-limits.js';
export type { JailHandle, JailMemory } from './jail-process.js';
export { type JailUser, NOBODY } from './jail-user.js';
export type { IsolationLevel, JailWall } from './jail-wall.js';
export { type JailFile, type JailOptions, jailWalls, startJail } from './start-jail.js';
export { type Grant, validateGrants } from './validate-grants.js';
