import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';

/**
 * A JSON-RPC error to answer with. Unlike the SDK's `McpError`, its message carries no
 * `MCP error <code>:` prefix: the client adds that prefix itself, so sending it would print twice.
 */
export class ProtocolError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(options: { code: number; message: string; data?: unknown }) {
    super(options.message);
    this.name = 'ProtocolError';
    this.code = options.code;
    this.data = options.data;
  }

  static invalidParams(message: string, data?: unknown): ProtocolError {
    return new ProtocolError({ code: ErrorCode.InvalidParams, message, data });
  }
}
