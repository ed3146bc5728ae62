import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

/**
 * Live HTTP sessions: each is closed after `idleMs` without a request, and at most `max` exist
 * (adding one past the cap closes the least recently used). A closed session's id then gets 404,
 * which tells the client to initialize again.
 */
export class SessionTable {
  readonly #sessions = new Map<string, { transport: StreamableHTTPServerTransport; lastSeen: number }>();
  readonly #idleMs: number;
  readonly #max: number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: { idleMs: number; max: number }) {
    this.#idleMs = options.idleMs;
    this.#max = options.max;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(250, Math.min(options.idleMs / 4, 60_000)));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  add(id: string, transport: StreamableHTTPServerTransport): void {
    while (this.#sessions.size >= this.#max) {
      // Map order is insertion order, and get() re-inserts: the first entry is the least recently used.
      const [oldest] = this.#sessions.keys();
      this.#close(oldest!);
    }
    this.#sessions.set(id, { transport, lastSeen: Date.now() });
  }

  get(id: string): StreamableHTTPServerTransport | undefined {
    const entry = this.#sessions.get(id);
    if (!entry) return undefined;
    if (Date.now() - entry.lastSeen > this.#idleMs) {
      this.#close(id);
      return undefined;
    }
    this.#sessions.delete(id);
    entry.lastSeen = Date.now();
    this.#sessions.set(id, entry);
    return entry.transport;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  #close(id: string): void {
    const entry = this.#sessions.get(id);
    this.#sessions.delete(id);
    void entry?.transport.close().catch(() => {});
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.#sessions) if (now - entry.lastSeen > this.#idleMs) this.#close(id);
  }

  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(all.map((e) => e.transport.close().catch(() => {})));
  }
}
