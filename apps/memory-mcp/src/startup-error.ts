import { StoreUnavailableError } from '@memory-mcp/mcp-server';
import { ConfigError } from '@memory-mcp/sandbox-core';
import type { AppConfig } from './app-config.js';
import { DataDirError } from './prepare-data-dir.js';

export { DataDirError } from './prepare-data-dir.js';

/** A start-up failure as one line naming the setting and the fix, and its exit code (2: bad configuration). */
export function describeStartupError(error: unknown, config?: AppConfig): { line: string; exitCode: number } {
  if (ConfigError.isInstance(error)) return { line: error.message, exitCode: 2 };
  const message = (error as Error)?.message?.split('\n')[0] ?? String(error);
  const code = (error as { code?: string })?.code;
  if (!config) return { line: `fatal: ${message}`, exitCode: 1 };
  const where = config.databasePath ?? config.databaseUrl.replace(/\?.*$/, '');
  const setting =
    config.databaseSource === 'TURSO_URL'
      ? 'TURSO_URL (and TURSO_TOKEN)'
      : config.databaseSource === '--db'
        ? '--db'
        : 'MEMORY_MCP_DATA_DIR (or --db)';
  if (error instanceof DataDirError)
    return {
      line: `cannot use ${error.dir} for the database (${error.code}): set ${setting} to a writable directory`,
      exitCode: 2,
    };
  if (StoreUnavailableError.isInstance(error) || /^(SQLITE_|URL_|HRANA|SERVER_ERROR)/.test(code ?? '')) {
    const state = StoreUnavailableError.isInstance(error) ? error.state : undefined;
    const detail = StoreUnavailableError.isInstance(error) ? (error.code ?? state) : code;
    if (config.databaseSource === 'TURSO_URL')
      return {
        line: `cannot use the database at ${where} (${detail}: ${message}): check ${setting}`,
        exitCode: 2,
      };
    if (state === 'read_only')
      return {
        line: `the database ${where} is read-only (${detail}): set ${setting} to a writable file`,
        exitCode: 2,
      };
    if (state === 'unreachable')
      return {
        line: `${where} is not a usable database (${detail}): set ${setting} to a new file or an existing memory-mcp database`,
        exitCode: 2,
      };
    if (state === 'full')
      return {
        line: `the disk holding ${where} is full (${detail}): free space or set ${setting} elsewhere`,
        exitCode: 2,
      };
    return {
      line: `cannot open the database ${where} (${detail}: ${message}): check ${setting}`,
      exitCode: 2,
    };
  }
  return { line: `fatal: ${message}`, exitCode: 1 };
}
