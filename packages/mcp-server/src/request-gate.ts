import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface RequestGateOptions {
  /**
   * Refuse every request but `initialize` and `ping` until the client has initialized. Off for
   * stateless HTTP, where each request meets a fresh server that never sees `initialize`.
   */
  requireInitialize: boolean;
}

type Refusal = { code: number; message: string };

/**
 * Checks what the SDK's own parsing would turn into a schema dump or let through: requests
 * before `initialize`, and `tools/call` whose `arguments` is not an object. Sits between the
 * transport and the server, so a refused request never reaches a handler.
 */
export function installRequestGate(server: Server, options: RequestGateOptions): void {
  const connect = server.connect.bind(server);
  server.connect = async (transport: Transport) => {
    await connect(transport);
    const deliver = transport.onmessage;
    if (!deliver) return;
    let initialized = false;
    transport.onmessage = (message, extra) => {
      const refusal = check(message, initialized, options);
      if (refusal && 'id' in message && message.id !== undefined) {
        void transport
          .send({ jsonrpc: '2.0', id: message.id, error: refusal } as JSONRPCMessage)
          .catch(() => {});
        return;
      }
      if ('method' in message && message.method === 'initialize') initialized = true;
      deliver(message, extra);
    };
  };
}

function check(
  message: JSONRPCMessage,
  initialized: boolean,
  options: RequestGateOptions,
): Refusal | undefined {
  if (!('method' in message) || !('id' in message)) return undefined;
  const { method } = message;
  if (options.requireInitialize && !initialized && method !== 'initialize' && method !== 'ping')
    return {
      code: ErrorCode.InvalidRequest,
      message: `the server is not initialized: send initialize before ${method}`,
    };
  if (method !== 'tools/call') return undefined;
  const params = message.params as Record<string, unknown> | undefined;
  if (!params || typeof params !== 'object' || Array.isArray(params))
    return {
      code: ErrorCode.InvalidParams,
      message: 'tools/call params must be an object with name and arguments',
    };
  if (typeof params.name !== 'string')
    return { code: ErrorCode.InvalidParams, message: 'tools/call params.name must be the name of a tool' };
  const args = params.arguments;
  if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args)))
    return {
      code: ErrorCode.InvalidParams,
      message: `invalid arguments for ${params.name}: arguments must be an object of named arguments, not ${Array.isArray(args) ? 'an array' : args === null ? 'null' : `a ${typeof args}`}`,
      data: { field: '(arguments)' },
    } as Refusal;
  return undefined;
}
