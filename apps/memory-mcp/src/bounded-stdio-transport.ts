import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

export interface BoundedStdioTransportOptions {
  stdin?: Readable;
  stdout?: Writable;
  /** Longest accepted line (one JSON-RPC message) in bytes; a longer one is answered with an error. */
  maxLineBytes: number;
}

/**
 * MCP over stdio with a cap on the line length. An oversized line is skipped up to its newline
 * and answered with a JSON-RPC error (to its `id` when the id can be read from the line's first
 * bytes), so the server neither buffers without bound nor goes silent. Lines that are not JSON or
 * not JSON-RPC are answered with -32700 / -32600. When stdin ends, `oninputend` lets the owner answer what is in flight before closing.
 */
export class BoundedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /**
   * Called when stdin ends. Calls in flight can still answer on stdout until `close()`; without
   * this hook the transport closes at once.
   */
  oninputend?: () => void;
  readonly #stdin: Readable;
  readonly #stdout: Writable;
  readonly #max: number;
  #chunks: Buffer[] = [];
  #size = 0;
  /** Inside an oversized line: its first bytes (to find the id), until its newline arrives. */
  #skipping: Buffer | undefined;
  #closed = false;

  constructor(options: BoundedStdioTransportOptions) {
    this.#stdin = options.stdin ?? process.stdin;
    this.#stdout = options.stdout ?? process.stdout;
    this.#max = options.maxLineBytes;
  }

  async start(): Promise<void> {
    this.#stdin.on('data', this.#onData);
    this.#stdin.on('end', this.#onEnd);
    this.#stdin.on('error', this.#onStreamError);
    this.#stdout.on('error', this.#onStreamError);
  }

  #onData = (chunk: Buffer) => {
    let rest = chunk;
    while (rest.length > 0) {
      const newline = rest.indexOf(10);
      const part = newline === -1 ? rest : rest.subarray(0, newline);
      rest = newline === -1 ? Buffer.alloc(0) : rest.subarray(newline + 1);
      if (this.#skipping) {
        if (newline !== -1) this.#rejectOversized();
        continue;
      }
      if (this.#size + part.length > this.#max) {
        this.#skipping = Buffer.concat([...this.#chunks, part]).subarray(0, 4096);
        this.#chunks = [];
        this.#size = 0;
        if (newline !== -1) this.#rejectOversized();
        continue;
      }
      this.#chunks.push(part);
      this.#size += part.length;
      if (newline !== -1) {
        const line = Buffer.concat(this.#chunks).toString('utf8');
        this.#chunks = [];
        this.#size = 0;
        this.#deliver(line);
      }
    }
  };

  #rejectOversized(): void {
    const head = this.#skipping!.toString('utf8');
    this.#skipping = undefined;
    const id = /"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")/.exec(head)?.[1];
    void this.#reply(id === undefined ? null : (JSON.parse(id) as string | number), {
      code: ErrorCode.InvalidRequest,
      message: `message over ${this.#max} bytes (MCP_STDIO_MAX_LINE_BYTES): not processed`,
    });
  }

  #deliver(line: string): void {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      void this.#reply(null, { code: ErrorCode.ParseError, message: 'parse error: the line is not JSON' });
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(json);
    if (!parsed.success) {
      const id = (json as { id?: unknown } | null)?.id;
      void this.#reply(typeof id === 'string' || typeof id === 'number' ? id : null, {
        code: ErrorCode.InvalidRequest,
        message: 'invalid request: not a JSON-RPC 2.0 message',
      });
      return;
    }
    this.onmessage?.(parsed.data);
  }

  #reply(id: string | number | null, error: { code: number; message: string }): Promise<void> {
    return this.#write({ jsonrpc: '2.0', id, error });
  }

  #write(message: unknown): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#stdout.write(`${JSON.stringify(message)}\n`, (error) => (error ? reject(error) : resolve()));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.#write(message);
  }

  #onEnd = () => {
    if (this.oninputend) this.oninputend();
    else void this.close();
  };

  #onStreamError = (error: Error) => {
    this.onerror?.(error);
    void this.close();
  };

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stdin.off('data', this.#onData);
    this.#stdin.off('end', this.#onEnd);
    this.#stdin.pause();
    this.onclose?.();
  }
}
