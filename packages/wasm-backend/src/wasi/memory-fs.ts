import { Errno } from './errno.js';

/** Caps on what one run's in-memory filesystem may hold. */
export interface FsLimits {
  /** File bytes, all files together, counting sparse extents (a write far past the end pays for the gap). Default 64 MiB. */
  maxBytes: number;
  /** Files and directories together. Default 10,000. */
  maxEntries: number;
  /** Longest path, in UTF-8 bytes. Default 4,096. */
  maxPathBytes: number;
  /** Bytes of written files returned with the result; past it the rest are left out and the result is `truncated`. Default 1 MiB (the backend passes `maxOutputBytes`). */
  maxReturnedBytes: number;
}

export const DEFAULT_FS_LIMITS: Readonly<FsLimits> = Object.freeze({
  maxBytes: 64 * 1024 * 1024,
  maxEntries: 10_000,
  maxPathBytes: 4096,
  maxReturnedBytes: 1024 * 1024,
});

interface MemoryFile {
  data: Uint8Array;
  /** Logical size; `data` may be longer (room to grow), its bytes past `size` zeroed before use. */
  size: number;
}

/** The least buffer a growing file gets, so a run of one-byte writes does not copy on each. */
const MIN_BUFFER_BYTES = 64;

const utf8 = new TextEncoder();

/**
 * A tiny in-memory filesystem for one execution: no host path is ever touched, and every way to
 * make it hold memory (bytes, sparse gaps, entries, path length) is charged against `FsLimits`.
 * Mutations answer a WASI errno, so the host functions only translate.
 */
export class MemoryFs {
  readonly limits: FsLimits;
  readonly #files = new Map<string, MemoryFile>();
  readonly #dirs = new Set<string>(['/']);
  /** Paths written (created, truncated or modified) during the run. */
  readonly #written = new Set<string>();
  #bytes = 0;

  constructor(seed: Record<string, string | Uint8Array> = {}, limits: Partial<FsLimits> = {}) {
    this.limits = { ...DEFAULT_FS_LIMITS, ...limits };
    for (const [rawPath, content] of Object.entries(seed)) {
      const path = normalizePath('/', rawPath);
      if (!path) continue;
      const data = typeof content === 'string' ? utf8.encode(content) : content.slice();
      this.#files.set(path, { data, size: data.length });
      this.#bytes += data.length;
      for (let dir = parentOf(path); dir !== '/'; dir = parentOf(dir)) this.#dirs.add(dir);
    }
  }

  /** File bytes held (logical sizes, sparse gaps included). */
  get usedBytes(): number {
    return this.#bytes;
  }

  /**
   * Bytes of file buffers allocated: at most twice `usedBytes` plus 64 a file (a buffer at most
   * doubles, and a truncated one gives its slack back).
   */
  get allocatedBytes(): number {
    let total = 0;
    for (const file of this.#files.values()) total += file.data.length;
    return total;
  }

  /** Files and directories together, the root included: what `maxEntries` caps. */
  get entryCount(): number {
    return this.#files.size + this.#dirs.size;
  }

  /** NAMETOOLONG for a path over the cap, else SUCCESS. */
  checkPath(path: string): number {
    return utf8.encode(path).length > this.limits.maxPathBytes ? Errno.NAMETOOLONG : Errno.SUCCESS;
  }

  isDir(path: string): boolean {
    return this.#dirs.has(path);
  }

  isFile(path: string): boolean {
    return this.#files.has(path);
  }

  /**
   * What a filestat reports, or undefined when nothing is there. A seed can make one path both a
   * file and a directory (`/a` and `/a/b`): it then reads as a directory with the file's size.
   */
  stat(path: string): { isDir: boolean; size: number } | undefined {
    const file = this.#files.get(path);
    const isDir = this.#dirs.has(path);
    if (!file && !isDir) return undefined;
    return { isDir, size: file?.size ?? 0 };
  }

  /** A file's size, or undefined when `path` is not a file. */
  fileSize(path: string): number | undefined {
    return this.#files.get(path)?.size;
  }

  /** A view of a file's bytes from `pos` to its end (empty past the end), or undefined when no file. */
  readFrom(path: string, pos: number): Uint8Array | undefined {
    const file = this.#files.get(path);
    return file?.data.subarray(Math.min(pos, file.size), file.size);
  }

  /** Creates an empty file (the parent must exist). */
  createFile(path: string): number {
    if (!this.#dirs.has(parentOf(path))) return Errno.NOENT;
    if (this.entryCount >= this.limits.maxEntries) return Errno.NOSPC;
    this.#files.set(path, { data: new Uint8Array(0), size: 0 });
    this.#written.add(path);
    return Errno.SUCCESS;
  }

  createDir(path: string): number {
    if (this.#files.has(path) || this.#dirs.has(path)) return Errno.EXIST;
    if (!this.#dirs.has(parentOf(path))) return Errno.NOENT;
    if (this.entryCount >= this.limits.maxEntries) return Errno.NOSPC;
    this.#dirs.add(path);
    return Errno.SUCCESS;
  }

  /** Removes an empty directory; the root stays. */
  removeDir(path: string): number {
    if (!this.#dirs.has(path)) return this.#files.has(path) ? Errno.NOTDIR : Errno.NOENT;
    if (path === '/') return Errno.PERM;
    if (this.listDir(path).length > 0) return Errno.NOTEMPTY;
    this.#dirs.delete(path);
    return Errno.SUCCESS;
  }

  /**
   * Writes `part` at `pos`, zero-filling any gap; NOSPC when the filesystem would pass its byte cap.
   * Even an empty `part` past the end extends the file to `pos` (and is charged for it).
   */
  write(path: string, pos: number, part: Uint8Array): number {
    const file = this.#files.get(path);
    if (!file) return Errno.NOENT;
    const end = pos + part.length;
    const code = this.#reserve(file, end);
    if (code !== Errno.SUCCESS) return code;
    if (pos > file.size) file.data.fill(0, file.size, pos);
    file.data.set(part, pos);
    file.size = Math.max(file.size, end);
    this.#written.add(path);
    return Errno.SUCCESS;
  }

  /** Sets a file's size (growing with zeros). */
  resize(path: string, size: number): number {
    const file = this.#files.get(path);
    if (!file) return Errno.NOENT;
    if (!Number.isSafeInteger(size) || size < 0) return Errno.INVAL;
    if (size > file.size) {
      const code = this.#reserve(file, size);
      if (code !== Errno.SUCCESS) return code;
      file.data.fill(0, file.size, size);
    } else {
      this.#bytes -= file.size - size;
      // The byte cap counts sizes, not buffers: a truncated file must give its buffer back, or
      // filling and truncating file after file would hold memory the cap no longer sees.
      if (file.data.length > Math.max(2 * size, MIN_BUFFER_BYTES)) file.data = file.data.slice(0, size);
    }
    file.size = size;
    this.#written.add(path);
    return Errno.SUCCESS;
  }

  unlink(path: string): number {
    if (this.#dirs.has(path)) return Errno.ISDIR;
    const file = this.#files.get(path);
    if (!file) return Errno.NOENT;
    this.#bytes -= file.size;
    this.#files.delete(path);
    this.#written.delete(path);
    return Errno.SUCCESS;
  }

  rename(from: string, to: string): number {
    const file = this.#files.get(from);
    if (!file) return this.#dirs.has(from) ? Errno.NOTSUP : Errno.NOENT;
    if (this.#dirs.has(to)) return Errno.ISDIR;
    if (!this.#dirs.has(parentOf(to))) return Errno.NOENT;
    const replaced = this.#files.get(to);
    if (replaced && replaced !== file) this.#bytes -= replaced.size;
    this.#files.delete(from);
    this.#written.delete(from);
    this.#files.set(to, file);
    this.#written.add(to);
    return Errno.SUCCESS;
  }

  /**
   * Files the code wrote, with their final content, in path order until `maxReturnedBytes`; the
   * files past it are left out and `truncated` says so.
   */
  writtenFiles(): { files: Record<string, Uint8Array>; truncated: boolean } {
    const files: Record<string, Uint8Array> = {};
    let room = this.limits.maxReturnedBytes;
    let truncated = false;
    for (const path of [...this.#written].sort()) {
      const file = this.#files.get(path);
      if (!file) continue;
      // The path is returned too: it pays like data, so 9,999 empty files with long names cannot
      // carry megabytes past the cap.
      const cost = file.size + Buffer.byteLength(path);
      if (cost > room) {
        truncated = true;
        continue;
      }
      room -= cost;
      files[path] = file.data.slice(0, file.size);
    }
    return { files, truncated };
  }

  /** The names directly inside `dir`, sorted, a name that is both a file and a directory once. */
  listDir(dir: string): Array<{ name: string; isDir: boolean }> {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const names = new Map<string, boolean>();
    for (const path of this.#files.keys()) {
      if (path.startsWith(prefix) && !path.slice(prefix.length).includes('/'))
        names.set(path.slice(prefix.length), false);
    }
    for (const path of this.#dirs) {
      if (path !== dir && path.startsWith(prefix) && !path.slice(prefix.length).includes('/')) {
        names.set(path.slice(prefix.length), true);
      }
    }
    return [...names].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, isDir]) => ({ name, isDir }));
  }

  /** Makes room for a file to reach `end` bytes, charging the growth; the buffer at most doubles. */
  #reserve(file: MemoryFile, end: number): number {
    if (!Number.isSafeInteger(end)) return Errno.NOSPC;
    const growth = Math.max(0, end - file.size);
    if (this.#bytes + growth > this.limits.maxBytes) return Errno.NOSPC;
    if (end > file.data.length) {
      const room = this.limits.maxBytes - this.#bytes + file.size;
      const next = new Uint8Array(
        Math.min(Math.max(end, file.data.length * 2, MIN_BUFFER_BYTES), Math.max(end, room)),
      );
      next.set(file.data.subarray(0, file.size));
      file.data = next;
    }
    this.#bytes += growth;
    return Errno.SUCCESS;
  }
}

/**
 * Resolves `path` against directory `base` into a normalized absolute path. Returns undefined for
 * an empty path, one with a NUL byte, or one whose `..` would climb above `/` (outside the preopen).
 */
export function normalizePath(base: string, path: string): string | undefined {
  if (path.length === 0 || path.includes('\0')) return undefined;
  const parts: string[] = [];
  for (const segment of `${path.startsWith('/') ? '' : base}/${path}`.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(segment);
  }
  return `/${parts.join('/')}`;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
