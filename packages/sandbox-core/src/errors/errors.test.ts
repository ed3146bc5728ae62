import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidRequestError, MemoryMcpError, QueueFullError } from './index.js';

describe('typed errors', () => {
  it('have stable names and carry their data', () => {
    const error = new InvalidRequestError('limits.timeoutMs', 'must be positive');
    expect(error.name).toBe('InvalidRequestError');
    expect(error.field).toBe('limits.timeoutMs');
    expect(error.message).toBe('limits.timeoutMs: must be positive');
    expect(error).toBeInstanceOf(Error);
  });

  it('isInstance tells error kinds apart', () => {
    const invalid = new InvalidRequestError('code', 'bad');
    expect(InvalidRequestError.isInstance(invalid)).toBe(true);
    expect(ConfigError.isInstance(invalid)).toBe(false);
    expect(MemoryMcpError.isInstance(invalid)).toBe(true);
    expect(MemoryMcpError.isInstance(new Error('plain'))).toBe(false);
    expect(QueueFullError.isInstance(null)).toBe(false);
  });

  it('isInstance holds across two copies of the package (marker, not instanceof)', () => {
    // An error built by another copy of the class: same global-symbol markers, different prototype.
    const foreign = Object.assign(new Error('from another copy'), {
      [Symbol.for('memory-mcp.error')]: true,
      [Symbol.for('memory-mcp.error.ConfigError')]: true,
    });
    expect(foreign instanceof ConfigError).toBe(false);
    expect(ConfigError.isInstance(foreign)).toBe(true);
  });
});
