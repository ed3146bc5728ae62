import { Errno } from './errno.js';
import type { FdEntry } from './fd-table.js';
import { writePathFilestat } from './filestat.js';
import { u32 } from './guest-memory.js';
import { type MemoryFs, normalizePath } from './memory-fs.js';
import { guardFaults, type WasiContext } from './wasi-context.js';
import { FDFLAGS_APPEND, OFLAGS, RIGHT_FD_READ, RIGHT_FD_WRITE } from './wasi-layouts.js';

type Resolved = { fs: MemoryFs; path: string } | { errno: number };

/**
 * `path_*`: names resolved against a directory descriptor inside the in-memory filesystem. Without
 * a filesystem every call is ENOTCAPABLE; a name that climbs above `/` is ENOTCAPABLE too.
 */
export function pathApiFunctions(ctx: WasiContext) {
  const { memory, fds } = ctx;

  const resolve = (dirFd: number, pathPtr: number, pathLen: number): Resolved => {
    const fs = ctx.fs;
    if (!fs) return { errno: Errno.NOTCAPABLE };
    const dir = fds.get(dirFd);
    if (!dir) return { errno: Errno.BADF };
    if (dir.kind !== 'dir') return { errno: Errno.NOTDIR };
    // Checked on the raw length first, so a 4 GiB "path" is never decoded.
    const len = u32(pathLen);
    if (len > fs.limits.maxPathBytes) return { errno: Errno.NAMETOOLONG };
    const path = normalizePath(dir.path, memory.string(pathPtr, len));
    if (!path) return { errno: Errno.NOTCAPABLE };
    const tooLong = fs.checkPath(path);
    return tooLong === Errno.SUCCESS ? { fs, path } : { errno: tooLong };
  };

  /** Takes a descriptor and writes its number: the caller has checked `out`, so none leaks. */
  const open = (out: number, entry: FdEntry) => {
    const fd = fds.open(entry);
    if (fd === undefined) return Errno.MFILE;
    memory.setU32(out, 0, fd);
    return Errno.SUCCESS;
  };

  return guardFaults({
    path_open: (
      dirFd: number,
      _dirflags: number,
      pathPtr: number,
      pathLen: number,
      oflags: number,
      rightsBase: bigint,
      _rightsInheriting: bigint,
      fdflags: number,
      out: number,
    ) => {
      const resolved = resolve(dirFd, pathPtr, pathLen);
      if ('errno' in resolved) return resolved.errno;
      const { fs, path } = resolved;
      const isDir = fs.isDir(path);
      const isFile = fs.isFile(path);
      const write = (BigInt(rightsBase) & RIGHT_FD_WRITE) !== 0n;
      if (oflags & OFLAGS.DIRECTORY && !isDir) return isFile ? Errno.NOTDIR : Errno.NOENT;
      if (isDir) {
        if (write && !(oflags & OFLAGS.DIRECTORY)) return Errno.ISDIR;
        memory.range(out, 4);
        return open(out, { kind: 'dir', path, preopen: false });
      }
      if (isFile && oflags & OFLAGS.CREAT && oflags & OFLAGS.EXCL) return Errno.EXIST;
      if (!isFile) {
        if (!(oflags & OFLAGS.CREAT)) return Errno.NOENT;
        const created = fs.createFile(path);
        if (created !== Errno.SUCCESS) return created;
      }
      // Checked once every errno the open itself answers is known, but before it truncates or
      // takes a descriptor: a faulting `out` leaves at most the created (empty) file behind.
      memory.range(out, 4);
      if (oflags & OFLAGS.TRUNC) fs.resize(path, 0);
      return open(out, {
        kind: 'file',
        path,
        pos: 0,
        append: (fdflags & FDFLAGS_APPEND) !== 0,
        read: (BigInt(rightsBase) & RIGHT_FD_READ) !== 0n || !write,
        write,
      });
    },
    path_filestat_get: (dirFd: number, _flags: number, pathPtr: number, pathLen: number, out: number) => {
      const resolved = resolve(dirFd, pathPtr, pathLen);
      if ('errno' in resolved) return resolved.errno;
      return writePathFilestat(memory, out, resolved.fs, resolved.path);
    },
    // Times are not kept, so setting them only checks that the path exists.
    path_filestat_set_times: (dirFd: number, _flags: number, pathPtr: number, pathLen: number) => {
      const resolved = resolve(dirFd, pathPtr, pathLen);
      if ('errno' in resolved) return resolved.errno;
      return resolved.fs.stat(resolved.path) ? Errno.SUCCESS : Errno.NOENT;
    },
    path_create_directory: (dirFd: number, pathPtr: number, pathLen: number) => {
      const resolved = resolve(dirFd, pathPtr, pathLen);
      if ('errno' in resolved) return resolved.errno;
      return resolved.fs.createDir(resolved.path);
    },
    path_remove_directory: (dirFd: number, pathPtr: number, pathLen: number) => {
      const resolved = resolve(dirFd, pathPtr, pathLen);
      if ('errno' in resolved) return resolved.errno;
      return resolved.fs.removeDir(resolved.path);
    },
    path_unlink_file: (dirFd: number, pathPtr: number, pathLen: number) => {
      const resolved = resolve(dirFd, pathPtr, pathLen);
      if ('errno' in resolved) return resolved.errno;
      return resolved.fs.unlink(resolved.path);
    },
    path_rename: (
      fromFd: number,
      fromPtr: number,
      fromLen: number,
      toFd: number,
      toPtr: number,
      toLen: number,
    ) => {
      const from = resolve(fromFd, fromPtr, fromLen);
      if ('errno' in from) return from.errno;
      const to = resolve(toFd, toPtr, toLen);
      if ('errno' in to) return to.errno;
      return from.fs.rename(from.path, to.path);
    },
    // Links would let two names share one file; the filesystem has no such thing.
    path_link: () => (ctx.fs ? Errno.NOTSUP : Errno.NOTCAPABLE),
    path_symlink: () => (ctx.fs ? Errno.NOTSUP : Errno.NOTCAPABLE),
    path_readlink: () => (ctx.fs ? Errno.INVAL : Errno.NOTCAPABLE),
  });
}
