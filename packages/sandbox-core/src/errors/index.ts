export { BackendUnavailableError } from './backend-unavailable-error.js';
export { CancelledError } from './cancelled-error.js';
export { CompileError } from './compile-error.js';
export { ConfigError } from './config-error.js';
export { InvalidArgumentError } from './invalid-argument-error.js';
export { InvalidRequestError } from './invalid-request-error.js';
export { errorMarker, hasMarker, MemoryMcpError } from './memory-mcp-error.js';
export { QueueFullError } from './queue-full-error.js';
export { SessionError } from './session-error.js';
