const BASE_MARKER = Symbol.for('memory-mcp.error');

/**
 * Base of every error memory-mcp throws. `isInstance` checks a global-symbol marker instead of
 * `instanceof`, so it still holds when two copies of the package are installed side by side.
 */
export class MemoryMcpError extends Error {
  readonly [BASE_MARKER] = true;

  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }

  static isInstance(error: unknown): error is MemoryMcpError {
    return hasMarker(error, BASE_MARKER);
  }
}

/** Marker symbol for one error name: `Symbol.for('memory-mcp.error.<name>')`. */
export function errorMarker(name: string): symbol {
  return Symbol.for(`memory-mcp.error.${name}`);
}

export function hasMarker(error: unknown, marker: symbol): boolean {
  return (
    error != null &&
    typeof error === 'object' &&
    marker in error &&
    (error as Record<symbol, unknown>)[marker] === true
  );
}
