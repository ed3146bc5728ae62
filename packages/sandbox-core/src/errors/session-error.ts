import { errorMarker, hasMarker, MemoryMcpError } from './memory-mcp-error.js';

const name = 'SessionError';
const marker = errorMarker(name);

/**
 * Why a session operation was refused, by `reason`:
 * - `not_found`: no live session has this id (never created, deleted, or expired);
 * - `busy`: another server instance is running a call in this session right now;
 * - `limit`: the number of sessions is at its cap;
 * - `conflict`: the call ran and ended ok, but its state was not kept: the session moved on meanwhile
 *   (deleted, expired, taken over) or the store could not take the write.
 * Nothing is lost by a refusal: the session stays as it was.
 */
export class SessionError extends MemoryMcpError {
  readonly [marker] = true;
  readonly reason: 'not_found' | 'busy' | 'limit' | 'conflict';
  readonly sessionId: string | undefined;

  constructor(reason: SessionError['reason'], message: string, sessionId?: string) {
    super(name, message);
    this.reason = reason;
    this.sessionId = sessionId;
  }

  static override isInstance(error: unknown): error is SessionError {
    return hasMarker(error, marker);
  }
}
