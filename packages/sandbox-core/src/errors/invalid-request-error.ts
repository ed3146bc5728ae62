import { errorMarker, hasMarker, MemoryMcpError } from './memory-mcp-error.js';

const name = 'InvalidRequestError';
const marker = errorMarker(name);

/** The request itself is wrong (bad field, malformed module, unsupported language). Says which field. */
export class InvalidRequestError extends MemoryMcpError {
  readonly [marker] = true;
  /** Dotted path of the offending field, e.g. `code` or `limits.timeoutMs`. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(name, `${field}: ${message}`, options);
    this.field = field;
  }

  static override isInstance(error: unknown): error is InvalidRequestError {
    return hasMarker(error, marker);
  }
}
