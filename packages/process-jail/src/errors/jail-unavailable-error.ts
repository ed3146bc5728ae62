import { errorMarker, hasMarker, MemoryMcpError } from '@memory-mcp/sandbox-core';

const name = 'JailUnavailableError';
const marker = errorMarker(name);

/**
 * The kernel walls a jail needs are not available here and the caller did not opt into a named
 * weaker level. Carries why, and the one line that fixes it.
 */
export class JailUnavailableError extends MemoryMcpError {
  readonly [marker] = true;
  /** Why the walls are missing, e.g. `bubblewrap not found`. */
  readonly reason: string;
  /** One line an operator can act on, e.g. `apt-get install bubblewrap`. */
  readonly fix: string;

  constructor(init: { reason: string; fix: string }, options?: { cause?: unknown }) {
    super(
      name,
      `kernel walls unavailable: ${init.reason}; fix: ${init.fix} (or opt into isolation: 'permission-model')`,
      options,
    );
    this.reason = init.reason;
    this.fix = init.fix;
  }

  static override isInstance(error: unknown): error is JailUnavailableError {
    return hasMarker(error, marker);
  }
}
