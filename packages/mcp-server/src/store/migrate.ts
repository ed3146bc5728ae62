import type { Queryable } from './database.js';
import { MIGRATIONS } from './migrations.js';

/**
 * Applies pending migrations inside the caller's write transaction, so the check of what is
 * applied and the applying happen under one lock: several processes opening a fresh database at
 * the same instant apply each migration exactly once. Returns the versions applied.
 */
export async function migrate(tx: Queryable): Promise<number[]> {
  await tx.execute(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const done = new Set(
    (await tx.execute('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)),
  );
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements) await tx.execute(statement);
    await tx.execute({
      sql: 'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
      args: [migration.version, migration.name, Date.now()],
    });
    applied.push(migration.version);
  }
  return applied;
}
