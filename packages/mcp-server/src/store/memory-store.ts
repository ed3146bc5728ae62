import { Database, type DatabaseOptions, type DatabaseState } from './database.js';
import { EpisodeRepository } from './episode-repository.js';
import { ExecutionRepository } from './execution-repository.js';
import { ModuleRepository } from './module-repository.js';
import { PatternRepository } from './pattern-repository.js';
import { SessionRepository } from './session-repository.js';

export type MemoryStoreOptions = DatabaseOptions;

/**
 * Execution history and episodic memory in libSQL: an embedded file by default (WAL), or a
 * libSQL server / Turso. One repository per concept over one database core.
 */
export class MemoryStore implements AsyncDisposable {
  readonly executions: ExecutionRepository;
  readonly episodes: EpisodeRepository;
  readonly modules: ModuleRepository;
  readonly patterns: PatternRepository;
  /** Sessions' saved state: give it to `UnifiedSandbox` as `sessions.store`. */
  readonly sessions: SessionRepository;

  private constructor(readonly db: Database) {
    this.executions = new ExecutionRepository(db);
    this.episodes = new EpisodeRepository(db);
    this.modules = new ModuleRepository(db);
    this.patterns = new PatternRepository(db);
    this.sessions = new SessionRepository(db);
  }

  /** Opens the database and applies pending migrations. Throws `StoreUnavailableError` when it cannot. */
  static async open(options: MemoryStoreOptions): Promise<MemoryStore> {
    return new MemoryStore(await Database.open(options));
  }

  get url(): string {
    return this.db.url;
  }

  /** Throws `StoreUnavailableError` unless a record of about `bytes` can be written now. */
  assertWritable(bytes?: number): Promise<void> {
    return this.db.assertWritable(bytes);
  }

  /** The store's real state (`ok`, `read_only`, `full`, `unreachable`, ...), from a probe write. */
  state(): Promise<DatabaseState> {
    return this.db.state();
  }

  /** Finishes queued writes, then closes the connection. */
  close(): Promise<void> {
    return this.db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
