import { Errno } from './errno.js';

/**
 * What a descriptor refers to. A file or directory is named by its path, not held: after an unlink
 * or rename the descriptor finds nothing at that path (ENOENT) rather than keeping data alive.
 */
export type FdEntry =
  | { kind: 'stdin' | 'stdout' | 'stderr' }
  | { kind: 'dir'; path: string; preopen: boolean }
  | { kind: 'file'; path: string; pos: number; append: boolean; read: boolean; write: boolean };

export type FileEntry = Extract<FdEntry, { kind: 'file' }>;

/** The filesystem's root is preopened right after stdio, where wasi-libc looks for preopens. */
export const PREOPEN_FD = 3;

/**
 * Descriptors one run may hold open at once (a common default `ulimit -n`): each costs host memory,
 * so a `path_open` loop gets EMFILE instead of growing the worker's heap until it dies.
 */
export const MAX_OPEN_FDS = 1024;

/** The descriptors of one run: stdio at 0-2, the preopen at 3 when there is a filesystem. */
export class FdTable {
  readonly #entries = new Map<number, FdEntry>();
  #next = PREOPEN_FD + 1;

  constructor(withPreopen: boolean) {
    this.#entries.set(0, { kind: 'stdin' });
    this.#entries.set(1, { kind: 'stdout' });
    this.#entries.set(2, { kind: 'stderr' });
    if (withPreopen) this.#entries.set(PREOPEN_FD, { kind: 'dir', path: '/', preopen: true });
  }

  get(fd: number): FdEntry | undefined {
    return this.#entries.get(fd);
  }

  has(fd: number): boolean {
    return this.#entries.has(fd);
  }

  /**
   * Gives `entry` a number never used before in this run, so a stale descriptor cannot alias it;
   * undefined when `MAX_OPEN_FDS` are open.
   */
  open(entry: FdEntry): number | undefined {
    if (this.#entries.size >= MAX_OPEN_FDS) return undefined;
    const fd = this.#next++;
    this.#entries.set(fd, entry);
    return fd;
  }

  /** The preopen stays: closing it would leave the module no way back into its filesystem. */
  close(fd: number): number {
    const entry = this.#entries.get(fd);
    if (!entry) return Errno.BADF;
    if (entry.kind === 'dir' && entry.preopen) return Errno.NOTSUP;
    this.#entries.delete(fd);
    return Errno.SUCCESS;
  }
}
