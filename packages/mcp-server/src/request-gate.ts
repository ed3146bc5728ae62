import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { CallTracker } from './call-tracker.js';

export interface RequestGateOptions {
  /**
   * Refuse every request but `initialize` and `ping` until the client has initialized. Off for
   * stateless HTTP, where each request meets a fresh server that never sees `initialize`.
   */
  requireInitialize: boolean;
  /** Counts each tools/call from its arrival to its answer being written, for a draining shutdown. */
  tracker: CallTracker;
}

/** The shutdown signal of the tools/call with this request id on this server's connection. */
export type CallSignalLookup = (requestId: string | number) => AbortSignal | undefined;

type Refusal = { code: number; message: string };

/**
 * Checks what the SDK's own parsing would turn into a schema dump or let through: requests
 * before `initialize`, and `tools/call` whose `arguments` is not an object. Sits between the
 * transport and the server, so a refused request never reaches a handler.
 */
export function installRequestGate(server: Server, options: RequestGateOptions): CallSignalLookup {
  const connect = server.connect.bind(server);
  let calls = new Map<string | number, ReturnType<CallTracker['begin']>>();
  server.connect = async (transport: Transport) => {
    await connect(transport);
    const deliver = transport.onmessage;
    if (!deliver) return;
    let initialized = false;
    calls = new Map();
    const mine = calls;
    const send = transport.send.bind(transport);
    // A connection that closes can answer nothing more: its calls are no longer in flight.
    const closed = transport.onclose;
    transport.onclose = () => {
      for (const call of mine.values()) call.end();
      mine.clear();
      closed?.();
    };
    transport.send = async (message, sendOptions) => {
      try {
        await send(message, sendOptions);
      } finally {
        // The answer is out (or cannot go out): only now is the call no longer in flight.
        if (('result' in message || 'error' in message) && message.id !== undefined) {
          mine.get(message.id)?.end();
          mine.delete(message.id);
        }
      }
    };
    transport.onmessage = (message, extra) => {
      let refusal = check(message, initialized, options);
      if (!refusal && isCall(message) && !options.tracker.accepting)
        refusal = { code: -32000, message: 'the server is shutting down: nothing ran, retry the call' };
      if (refusal && 'id' in message && message.id !== undefined) {
        void send({ jsonrpc: '2.0', id: message.id, error: refusal } as JSONRPCMessage).catch(() => {});
        return;
      }
      if ('method' in message && message.method === 'initialize') initialized = true;
      if (isCall(message)) mine.set(message.id, options.tracker.begin());
      deliver(message, extra);
    };
  };
  return (requestId) => calls.get(requestId)?.signal;
}

const isCall = (
  message: JSONRPCMessage,
): message is JSONRPCMessage & { id: string | number; method: string } =>
  'method' in message && message.method === 'tools/call' && 'id' in message && message.id !== undefined;

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
