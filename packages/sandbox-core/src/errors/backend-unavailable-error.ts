import { errorMarker, hasMarker, MemoryMcpError } from './memory-mcp-error.js';

const name = 'BackendUnavailableError';
const marker = errorMarker(name);

/** No configured backend can run this request (none registered for it, or all unhealthy). */
export class BackendUnavailableError extends MemoryMcpError {
  readonly [marker] = true;
  readonly backend: string;

  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super(name, message, options);
    this.backend = backend;
  }

  static override isInstance(error: unknown): error is BackendUnavailableError {
    return hasMarker(error, marker);
  }
}
