import { errorMarker, hasMarker, MemoryMcpError } from './memory-mcp-error.js';

const name = 'QueueFullError';
const marker = errorMarker(name);

/** The limiter's queue is at capacity; the caller should back off and retry. */
export class QueueFullError extends MemoryMcpError {
  readonly [marker] = true;
  readonly limit: number;
  readonly inFlight: number;

  constructor(limit: number, inFlight: number) {
    super(name, `execution queue is full (${limit} waiting, ${inFlight} running); retry later`);
    this.limit = limit;
    this.inFlight = inFlight;
  }

  static override isInstance(error: unknown): error is QueueFullError {
    return hasMarker(error, marker);
  }
}
