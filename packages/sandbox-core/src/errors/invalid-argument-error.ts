import { errorMarker, hasMarker, MemoryMcpError } from './memory-mcp-error.js';

const name = 'InvalidArgumentError';
const marker = errorMarker(name);

/**
 * An option given to a constructor or function is wrong (a negative pool size, a ratio outside
 * [0, 1], a mode naming no configured backend). Requests get `InvalidRequestError` instead.
 */
export class InvalidArgumentError extends MemoryMcpError {
  readonly [marker] = true;
  /** The option's name, e.g. `maxConcurrency` or `mode`. */
  readonly argument: string;
  /** The value that was given. */
  readonly value: unknown;

  constructor({ argument, value, message }: { argument: string; value: unknown; message: string }) {
    super(name, `${argument}: ${message}`);
    this.argument = argument;
    this.value = value;
  }

  static override isInstance(error: unknown): error is InvalidArgumentError {
    return hasMarker(error, marker);
  }
}
