import { Errno } from './errno.js';
import type { FdEntry } from './fd-table.js';
import { writeDeviceFilestat, writePathFilestat } from './filestat.js';
import { u32 } from './guest-memory.js';
import { guardFaults, type WasiContext } from './wasi-context.js';
import {
  ALL_RIGHTS,
  DIRENT,
  FDFLAGS_APPEND,
  FDSTAT,
  FileType,
  PREOPENTYPE_DIR,
  PRESTAT,
  STDIO_RIGHTS,
} from './wasi-layouts.js';

const utf8 = new TextEncoder();

/**
 * Descriptor metadata: `fd_close`, `fd_fdstat_*`, `fd_prestat_*`, `fd_filestat_*`, `fd_readdir`
 * and the calls a memory filesystem can accept as no-ops (sync, advise, times). The data path
 * (`fd_read`, `fd_write`, `fd_seek`, `fd_tell`) is in `fd-io.ts`.
 */
export function fdApiFunctions(ctx: WasiContext) {
  const { memory, fds } = ctx;
  const known = (fd: number) => (fds.has(fd) ? Errno.SUCCESS : Errno.BADF);
  const preopenName = (fd: number) => {
    const entry = fds.get(fd);
    return entry?.kind === 'dir' && entry.preopen ? utf8.encode(entry.path) : undefined;
  };

  return guardFaults({
    fd_close: (fd: number) => fds.close(fd),
    fd_fdstat_get: (fd: number, out: number) => {
      const entry = fds.get(fd);
      if (!entry) return Errno.BADF;
      memory.range(out, FDSTAT.BYTES);
      memory.setU8(out, FDSTAT.FILETYPE, fileTypeOf(entry));
      memory.setU16(out, FDSTAT.FLAGS, entry.kind === 'file' && entry.append ? FDFLAGS_APPEND : 0);
      const base = entry.kind === 'file' || entry.kind === 'dir' ? ALL_RIGHTS : STDIO_RIGHTS;
      memory.setU64(out, FDSTAT.RIGHTS_BASE, base);
      memory.setU64(out, FDSTAT.RIGHTS_INHERITING, ALL_RIGHTS);
      return Errno.SUCCESS;
    },
    // Rights are not tracked after open, so dropping some is accepted (and changes nothing).
    fd_fdstat_set_flags: (fd: number) => (fds.has(fd) ? Errno.NOTSUP : Errno.BADF),
    fd_fdstat_set_rights: known,
    fd_prestat_get: (fd: number, out: number) => {
      const name = preopenName(fd);
      if (!name) return Errno.BADF;
      memory.range(out, PRESTAT.BYTES);
      memory.setU8(out, PRESTAT.TAG, PREOPENTYPE_DIR);
      memory.setU32(out, PRESTAT.DIR_NAME_LEN, name.length);
      return Errno.SUCCESS;
    },
    fd_prestat_dir_name: (fd: number, ptr: number, len: number) => {
      const name = preopenName(fd);
      if (!name) return Errno.BADF;
      memory.write(ptr, name.subarray(0, u32(len)));
      return Errno.SUCCESS;
    },
    fd_sync: known,
    fd_datasync: known,
    fd_advise: known,
    fd_allocate: () => Errno.NOTSUP,
    fd_filestat_get: (fd: number, out: number) => {
      const entry = fds.get(fd);
      if (!entry) return Errno.BADF;
      if ((entry.kind === 'file' || entry.kind === 'dir') && ctx.fs) {
        return writePathFilestat(memory, out, ctx.fs, entry.path);
      }
      return writeDeviceFilestat(memory, out);
    },
    fd_filestat_set_size: (fd: number, size: bigint) => {
      const entry = fds.get(fd);
      if (!entry) return Errno.BADF;
      if (entry.kind !== 'file' || !entry.write || !ctx.fs) return Errno.BADF;
      return ctx.fs.resize(entry.path, Number(BigInt.asUintN(64, BigInt(size))));
    },
    fd_filestat_set_times: known,
    fd_readdir: (fd: number, buf: number, bufLen: number, cookie: bigint, out: number) => {
      const entry = fds.get(fd);
      if (!entry) return Errno.BADF;
      if (entry.kind !== 'dir' || !ctx.fs) return Errno.NOTDIR;
      const room = u32(bufLen);
      // Only the bytes a listing fills are checked, so an empty listing ignores the buffer.
      memory.range(out, 4);
      const list = ctx.fs.listDir(entry.path);
      // The cookie is a u64 the module chooses (-1 arrives as 2^64-1): past the end is an empty read.
      const start = BigInt.asUintN(64, BigInt(cookie));
      let used = 0;
      for (
        let i = start > BigInt(list.length) ? list.length : Number(start);
        i < list.length && used < room;
        i++
      ) {
        const item = list[i]!;
        const name = utf8.encode(item.name);
        const record = new Uint8Array(DIRENT.BYTES + name.length);
        const header = new DataView(record.buffer);
        // `d_next` is the cookie that resumes after this entry; `d_ino` repeats it, not `inodeOf`.
        header.setBigUint64(DIRENT.NEXT, BigInt(i + 1), true);
        header.setBigUint64(DIRENT.INO, BigInt(i + 1), true);
        header.setUint32(DIRENT.NAMLEN, name.length, true);
        header.setUint8(DIRENT.TYPE, item.isDir ? FileType.DIRECTORY : FileType.REGULAR_FILE);
        record.set(name, DIRENT.BYTES);
        // A record that does not fit is cut: the module sees a full buffer and asks again from its cookie.
        const n = Math.min(record.length, room - used);
        memory.write(buf, record.subarray(0, n), used);
        used += n;
      }
      memory.setU32(out, 0, used);
      return Errno.SUCCESS;
    },
    fd_renumber: () => Errno.NOTSUP,
  });
}

function fileTypeOf(entry: FdEntry): number {
  if (entry.kind === 'dir') return FileType.DIRECTORY;
  return entry.kind === 'file' ? FileType.REGULAR_FILE : FileType.CHARACTER_DEVICE;
}
