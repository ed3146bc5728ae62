import { errorMarker, hasMarker, MemoryMcpError } from './memory-mcp-error.js';

const name = 'ConfigError';
const marker = errorMarker(name);

/** A configuration value (usually an environment variable) is invalid. */
export class ConfigError extends MemoryMcpError {
  readonly [marker] = true;
  readonly variable: string;
  readonly value: string | undefined;
  /** What would have been accepted, in words: `node | wasm | hybrid`, `a number in [0, 1]`. */
  readonly accepted: string;

  constructor(variable: string, value: string | undefined, accepted: string) {
    super(name, `${variable}=${JSON.stringify(value)} is invalid; accepted: ${accepted}`);
    this.variable = variable;
    this.value = value;
    this.accepted = accepted;
  }

  static override isInstance(error: unknown): error is ConfigError {
    return hasMarker(error, marker);
  }
}
