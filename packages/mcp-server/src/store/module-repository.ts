import type { Database } from './database.js';

export interface StoreModuleInput {
  /** Content hash (SHA-256 hex) of the module. */
  id: string;
  bytes: Uint8Array;
  engine?: string;
  sourceSha256?: string;
}

/** Compiled modules by content hash: stored once, shared by every instance on the database. */
export class ModuleRepository {
  constructor(readonly db: Database) {}

  async store(input: StoreModuleInput): Promise<void> {
    await this.db.write(async (tx) => {
      await tx.execute({
        sql: `INSERT INTO modules (id, size, bytes, engine, source_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)
              ON CONFLICT(id) DO NOTHING`,
        args: [
          input.id,
          input.bytes.length,
          input.bytes,
          input.engine ?? null,
          input.sourceSha256 ?? null,
          Date.now(),
        ],
      });
    });
  }

  async get(id: string): Promise<Uint8Array | undefined> {
    const row = await this.db.read(
      async (q) => (await q.execute({ sql: 'SELECT bytes FROM modules WHERE id = ?', args: [id] })).rows[0],
    );
    if (!row) return undefined;
    const bytes = row.bytes as ArrayBuffer | Uint8Array;
    return bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  }
}
