export { ChannelProtocolError, type ChannelProtocolErrorCode } from './channel-protocol-error.js';
export { JailUnavailableError } from './jail-unavailable-error.js';
