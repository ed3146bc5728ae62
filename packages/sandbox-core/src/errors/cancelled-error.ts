import { errorMarker, hasMarker, MemoryMcpError } from './memory-mcp-error.js';

const name = 'CancelledError';
const marker = errorMarker(name);

/** The caller's `AbortSignal` fired before the work could start. */
export class CancelledError extends MemoryMcpError {
  readonly [marker] = true;

  constructor(reason?: unknown) {
    super(name, `cancelled${reason instanceof Error ? `: ${reason.message}` : ''}`, { cause: reason });
  }

  static override isInstance(error: unknown): error is CancelledError {
    return hasMarker(error, marker);
  }
}
