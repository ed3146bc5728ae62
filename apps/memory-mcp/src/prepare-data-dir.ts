import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates the database file's directory if needed and checks it can be written (a database in
 * WAL mode writes `-wal` and `-shm` files beside itself). Throws `DataDirError` otherwise.
 */
export function prepareDataDir(databasePath: string): void {
  const dir = dirname(databasePath);
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new DataDirError(dir, (error as { code?: string }).code ?? 'EACCES');
  }
}

/** The data directory (or the --db file's directory) cannot be created or written. */
export class DataDirError extends Error {
  constructor(
    readonly dir: string,
    readonly code: string,
  ) {
    super(`cannot use ${dir} (${code})`);
    this.name = 'DataDirError';
  }
}
