import { errorMarker, hasMarker, MemoryMcpError } from '@memory-mcp/sandbox-core';

const name = 'StoreUnavailableError';
const marker = errorMarker(name);

/**
 * Why the store cannot take a write (or any query): `read_only` (the file or its directory is
 * not writable), `full` (disk or size cap), `unreachable` (a remote server does not answer, or
 * the file is not a database), `busy` (another process held the write lock past the deadline),
 * `closed` (the store was closed).
 */
export type StoreState = 'ok' | 'read_only' | 'full' | 'unreachable' | 'busy' | 'closed';

/** The store cannot accept the operation; nothing was written. `state` says why. */
export class StoreUnavailableError extends MemoryMcpError {
  readonly [marker] = true;
  readonly state: Exclude<StoreState, 'ok'>;
  /** The driver's error code, when there was one (`SQLITE_READONLY`, `SQLITE_FULL`, ...). */
  readonly code: string | undefined;

  constructor(options: {
    state: Exclude<StoreState, 'ok'>;
    message: string;
    code?: string;
    cause?: unknown;
  }) {
    super(name, `store ${options.state.replace('_', '-')}: ${options.message}`, { cause: options.cause });
    this.state = options.state;
    this.code = options.code;
  }

  static override isInstance(error: unknown): error is StoreUnavailableError {
    return hasMarker(error, marker);
  }
}

/** The driver's error code (`SQLITE_BUSY`, `SQLITE_READONLY_DBMOVED`, ...), if any. */
export function driverCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isBusy(error: unknown): boolean {
  const code = driverCode(error) ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/** Maps a driver error onto a store state, or undefined when it is not about the store itself. */
export function classifyDriverError(error: unknown): Exclude<StoreState, 'ok'> | undefined {
  const code = driverCode(error) ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM')
    return 'read_only';
  if (code.startsWith('SQLITE_FULL') || /database or disk is full/i.test(message)) return 'full';
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) return 'unreachable';
  if (isBusy(error)) return 'busy';
  if (code.startsWith('SQLITE_IOERR')) return /ENOSPC|full/i.test(message) ? 'full' : 'unreachable';
  if (
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|fetch failed|SERVER_ERROR|HRANA_/i.test(`${code} ${message}`)
  )
    return 'unreachable';
  if (code === 'CLIENT_CLOSED') return 'closed';
  return undefined;
}

/** Wraps a driver error in a `StoreUnavailableError` when it is about the store's state. */
export function toStoreError(error: unknown): unknown {
  if (StoreUnavailableError.isInstance(error)) return error;
  const state = classifyDriverError(error);
  if (!state) return error;
  const code = driverCode(error);
  return new StoreUnavailableError({
    state,
    message: error instanceof Error ? error.message : String(error),
    ...(code ? { code } : {}),
    cause: error,
  });
}
