import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Client, createClient, type InStatement, type ResultSet } from '@libsql/client';
import { migrate } from './migrate.js';
import { SerialQueue } from './serial-queue.js';
import {
  classifyDriverError,
  isBusy,
  type StoreState,
  StoreUnavailableError,
  toStoreError,
} from './store-unavailable-error.js';

export interface DatabaseOptions {
  /** `file:/path/to/memory.db`, `:memory:`, or a libSQL server / Turso URL (`libsql://`, `http(s)://`). */
  url: string;
  authToken?: string;
  /**
   * How long one statement waits for another process's lock, in ms. Default 5000. Set on the
   * connection before anything else (including `journal_mode=WAL`), and again on every reconnect.
   */
  busyTimeoutMs?: number;
  /** How long a write keeps retrying a lock held by other processes before it fails as `busy`. Default 30000. */
  writeDeadlineMs?: number;
  /** Largest size the database file may grow to (embedded files only). Default: no cap. */
  maxSizeBytes?: number;
}

/** What a repository runs statements on: the connection, or the open write transaction. */
export interface Queryable {
  execute(statement: InStatement): Promise<ResultSet>;
}

export interface DatabaseState {
  state: StoreState;
  latencyMs: number;
  error?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The database core: one connection per process, its pragmas, migrations, and one serialized
 * write path.
 *
 * Why one connection and a queue: `@libsql/client`'s embedded driver runs every statement
 * synchronously on one connection, and its `transaction()` hands that connection to the
 * transaction and lazily opens a fresh one for the client, without the `busy_timeout` and other
 * pragmas set on the first. Statements on that fresh connection fail at once with `SQLITE_BUSY`,
 * and a statement that failed with `SQLITE_BUSY` is left un-reset, which keeps an implicit
 * transaction open: every later "successful" autocommit write on that connection is acknowledged
 * but never committed, and is lost when the process exits. So this core never uses
 * `transaction()` on an embedded file: it runs `BEGIN IMMEDIATE … COMMIT` itself on its own
 * connection, one transaction at a time, and drops the connection after any driver error.
 */
export class Database implements AsyncDisposable {
  readonly url: string;
  /** An embedded file (or `:memory:`), as opposed to a remote server. */
  readonly embedded: boolean;
  readonly #options: DatabaseOptions;
  readonly #queue = new SerialQueue();
  #client: Client;
  #closed = false;

  private constructor(client: Client, options: DatabaseOptions) {
    this.#client = client;
    this.#options = options;
    this.url = options.url;
    this.embedded = client.protocol === 'file';
  }

  /** Opens the database, sets its pragmas and applies pending migrations under the write lock. */
  static async open(options: DatabaseOptions): Promise<Database> {
    const deadline = Date.now() + (options.writeDeadlineMs ?? 30_000);
    for (let attempt = 0; ; attempt++) {
      let client: Client | undefined;
      try {
        client = createClient({
          url: options.url,
          ...(options.authToken ? { authToken: options.authToken } : {}),
        });
        const db = new Database(client, options);
        if (db.embedded) {
          await db.#configureConnection();
          // Persistent, and needs a moment of exclusive access: after busy_timeout, never before.
          const mode = (await client.execute('PRAGMA journal_mode = WAL')).rows[0];
          if (
            mode &&
            String(Object.values(mode)[0]).toLowerCase() !== 'wal' &&
            !options.url.includes(':memory:')
          )
            throw new StoreUnavailableError({
              state: 'read_only',
              message: 'cannot switch the database to WAL mode',
            });
        } else {
          await client.execute('SELECT 1');
        }
        await db.write((tx) => migrate(tx));
        return db;
      } catch (error) {
        client?.close();
        if (isBusy(error) && Date.now() < deadline) {
          await sleep(Math.min(10 * 2 ** attempt, 250) * (0.5 + Math.random()));
          continue;
        }
        throw toStoreError(error);
      }
    }
  }

  /** Per-connection settings: they are lost with the connection, so every (re)connect applies them. */
  async #configureConnection(): Promise<void> {
    const client = this.#client;
    await client.execute(`PRAGMA busy_timeout = ${Math.trunc(this.#options.busyTimeoutMs ?? 5000)}`);
    await client.execute('PRAGMA synchronous = NORMAL');
    await client.execute('PRAGMA foreign_keys = ON');
    if (this.#options.maxSizeBytes !== undefined) {
      const pageSize = Number((await client.execute('PRAGMA page_size')).rows[0]?.page_size ?? 4096);
      const pages = Math.max(1, Math.floor(this.#options.maxSizeBytes / pageSize));
      await client.execute(`PRAGMA max_page_count = ${pages}`);
    }
  }

  /** Drops the connection (and any statement a failed step left active) and opens a fresh one. */
  async #reconnect(): Promise<void> {
    try {
      this.#client.close();
    } catch {
      // already closed
    }
    this.#client = createClient({
      url: this.#options.url,
      ...(this.#options.authToken ? { authToken: this.#options.authToken } : {}),
    });
    if (this.embedded) await this.#configureConnection();
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreUnavailableError({ state: 'closed', message: 'the store is closed' });
  }

  /** Runs read-only statements. Embedded: in turn with writes, on the one connection. */
  async read<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
    this.#checkOpen();
    const run = async () => {
      try {
        return await work(this.#client);
      } catch (error) {
        if (classifyDriverError(error) && this.embedded && !this.#closed) await this.#reconnect();
        throw toStoreError(error);
      }
    };
    return this.embedded ? this.#queue.run(run) : run();
  }

  /**
   * Runs `work` in one write transaction (`BEGIN IMMEDIATE`): committed when it resolves, rolled
   * back when it throws. Writes from this process run one at a time; a lock held by another
   * process is waited for (busy_timeout), then retried with backoff until the write deadline.
   * `work` may run more than once, so it must not have effects outside the database.
   */
  async write<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#checkOpen();
    return this.#queue.run(async () => {
      const deadline = Date.now() + (this.#options.writeDeadlineMs ?? 30_000);
      for (let attempt = 0; ; attempt++) {
        try {
          return this.embedded ? await this.#writeEmbedded(work) : await this.#writeRemote(work);
        } catch (error) {
          const driverProblem = classifyDriverError(error);
          if (driverProblem && this.embedded && !this.#closed) await this.#reconnect();
          if (driverProblem === 'busy' && Date.now() < deadline) {
            await sleep(Math.min(5 * 2 ** attempt, 200) * (0.5 + Math.random()));
            continue;
          }
          throw toStoreError(error);
        }
      }
    });
  }

  /**
   * Runs one statement on its own (autocommit: atomic, and durable when it returns, like a
   * committed transaction), with `write`'s serialization, retries and reconnects. For hot paths
   * whose whole write is one statement: it saves the `BEGIN`/`COMMIT` round trips.
   */
  async writeStatement(statement: InStatement): Promise<ResultSet> {
    this.#checkOpen();
    return this.#queue.run(async () => {
      const deadline = Date.now() + (this.#options.writeDeadlineMs ?? 30_000);
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.#client.execute(statement);
        } catch (error) {
          const driverProblem = classifyDriverError(error);
          if (driverProblem && this.embedded && !this.#closed) await this.#reconnect();
          if (driverProblem === 'busy' && Date.now() < deadline) {
            await sleep(Math.min(5 * 2 ** attempt, 200) * (0.5 + Math.random()));
            continue;
          }
          throw toStoreError(error);
        }
      }
    });
  }

  async #writeEmbedded<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = this.#client;
    await client.execute('BEGIN IMMEDIATE');
    try {
      const result = await work(client);
      await client.execute('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.execute('ROLLBACK');
      } catch {
        // no transaction left to roll back (the failed statement ended it)
      }
      throw error;
    }
  }

  async #writeRemote<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const tx = await this.#client.transaction('write');
    try {
      const result = await work(tx);
      await tx.commit();
      return result;
    } catch (error) {
      await tx.rollback().catch(() => {});
      throw error;
    } finally {
      tx.close();
    }
  }

  /**
   * Proves the store can take a write now: a real committed write, plus (embedded) room for
   * `bytes` more under the size cap and on the disk. Throws `StoreUnavailableError` otherwise.
   */
  async assertWritable(bytes = 64 * 1024): Promise<void> {
    await this.write(async (tx) => {
      await tx.execute({
        sql: 'INSERT INTO store_probe (id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at',
        args: [Date.now()],
      });
      if (!this.embedded) return;
      const row = (
        await tx.execute(
          'SELECT page_size, page_count, freelist_count, max_page_count FROM pragma_page_size, pragma_page_count, pragma_freelist_count, pragma_max_page_count',
        )
      ).rows[0]!;
      const pageSize = Number(row.page_size);
      const room =
        (Number(row.max_page_count) - Number(row.page_count) + Number(row.freelist_count)) * pageSize;
      if (room < bytes)
        throw new StoreUnavailableError({
          state: 'full',
          message: `the database is at its size cap (${room} bytes left, ${bytes} needed)`,
        });
    });
    const path = this.#filePath();
    if (path) {
      const fs = await statfs(dirname(path)).catch(() => undefined);
      if (fs && fs.bavail * fs.bsize < bytes * 2)
        throw new StoreUnavailableError({
          state: 'full',
          message: `the disk holding ${path} has ${fs.bavail * fs.bsize} bytes free`,
        });
    }
  }

  /** The store's real state: a committed probe write, timed. Never throws. */
  async state(): Promise<DatabaseState> {
    const started = performance.now();
    try {
      await this.assertWritable();
      return { state: 'ok', latencyMs: performance.now() - started };
    } catch (error) {
      const mapped = toStoreError(error);
      return {
        state: StoreUnavailableError.isInstance(mapped) ? mapped.state : 'unreachable',
        latencyMs: performance.now() - started,
        error: (mapped as Error).message,
      };
    }
  }

  #filePath(): string | undefined {
    if (!this.embedded || this.url.includes(':memory:')) return undefined;
    const match = /^file:(?:\/\/)?([^?#]*)/.exec(this.url);
    return match?.[1] ? decodeURIComponent(match[1]) : undefined;
  }

  /** Waits for queued work to finish, then closes the connection. Later calls fail as `closed`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.drain();
    this.#client.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
