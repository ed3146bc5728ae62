import { errorMarker, hasMarker, MemoryMcpError } from './memory-mcp-error.js';

const name = 'CompileError';
const marker = errorMarker(name);

/** Source code that does not compile: says where (1-based line and column, when known). */
export class CompileError extends MemoryMcpError {
  readonly [marker] = true;
  readonly line?: number;
  readonly column?: number;
  readonly fileName: string;

  constructor(
    message: string,
    location: { line?: number; column?: number; fileName?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(name, message, options);
    if (location.line !== undefined) this.line = location.line;
    if (location.column !== undefined) this.column = location.column;
    this.fileName = location.fileName ?? 'input.js';
  }

  static override isInstance(error: unknown): error is CompileError {
    return hasMarker(error, marker);
  }
}
