import { Errno } from './errno.js';
import type { FileEntry } from './fd-table.js';
import type { HostStreams } from './host-streams.js';
import type { MemoryFs } from './memory-fs.js';
import { guardFaults, type WasiContext } from './wasi-context.js';
import { WHENCE } from './wasi-layouts.js';

/**
 * The data path of descriptors: `fd_read`, `fd_write`, `fd_seek`, `fd_tell`. Stdin and the console
 * come from `streams`, files from the in-memory filesystem. A write checks its whole iovec list
 * first, so a bad buffer writes nothing; a bad count pointer faults after the write, where it is
 * first needed (an errno the write itself answers comes first).
 */
export function fdIoFunctions(ctx: WasiContext, streams: HostStreams) {
  const { memory, fds } = ctx;

  /** Writes to a file until the filesystem refuses; a partial write reports what was written. */
  const writeFile = (fs: MemoryFs, entry: FileEntry, iovs: number, count: number, written: number) => {
    const size = fs.fileSize(entry.path);
    if (size === undefined) return Errno.NOENT;
    let pos = entry.append ? size : entry.pos;
    let total = 0;
    let code: number = Errno.SUCCESS;
    memory.forEachIovec(iovs, count, (part) => {
      if (code !== Errno.SUCCESS) return;
      code = fs.write(entry.path, pos, part);
      if (code !== Errno.SUCCESS) return;
      pos += part.length;
      total += part.length;
    });
    entry.pos = pos;
    if (code !== Errno.SUCCESS && total === 0) return code;
    memory.setU32(written, 0, total);
    return Errno.SUCCESS;
  };

  /** Copies what fits of `source` into the iovecs and reports the count (checked first: a faulting read consumes nothing). */
  const deliver = (source: Uint8Array, iovs: number, count: number, read: number) => {
    memory.range(read, 4);
    const n = memory.scatter(iovs, count, source);
    memory.setU32(read, 0, n);
    return n;
  };

  return guardFaults({
    fd_write: (fd: number, iovs: number, count: number, written: number) => {
      let total = 0;
      if (fd === streams.resultFd) {
        memory.checkIovecs(iovs, count);
        streams.markResultWritten();
        memory.forEachIovec(iovs, count, (part) => {
          streams.writeResult(part);
          total += part.length;
        });
      } else {
        const entry = fds.get(fd);
        if (!entry) return Errno.BADF;
        if (entry.kind === 'file' && entry.write && ctx.fs)
          return writeFile(ctx.fs, entry, iovs, count, written);
        if (entry.kind !== 'stdout' && entry.kind !== 'stderr') return Errno.BADF;
        if (!streams.allowConsole) return Errno.BADF;
        const stream = entry.kind;
        // Each iovec is charged as one write (with the cap's floor), so empty iovecs are not free;
        // a call with no iovec at all is charged one empty write.
        if (count === 0) streams.writeConsole(stream, new Uint8Array(0));
        memory.forEachIovec(iovs, count, (part) => {
          streams.writeConsole(stream, part);
          total += part.length;
        });
      }
      memory.setU32(written, 0, total);
      return Errno.SUCCESS;
    },
    fd_read: (fd: number, iovs: number, count: number, read: number) => {
      const entry = fds.get(fd);
      if (!entry) return Errno.BADF;
      if (entry.kind === 'stdin') {
        streams.consumeStdin(deliver(streams.unreadStdin(), iovs, count, read));
        return Errno.SUCCESS;
      }
      if (entry.kind !== 'file') return entry.kind === 'dir' ? Errno.ISDIR : Errno.BADF;
      if (!entry.read) return Errno.BADF;
      const source = ctx.fs?.readFrom(entry.path, entry.pos);
      if (!source) return Errno.NOENT;
      entry.pos += deliver(source, iovs, count, read);
      return Errno.SUCCESS;
    },
    fd_seek: (fd: number, offset: bigint, whence: number, out: number) => {
      const entry = fds.get(fd);
      if (!entry) return Errno.BADF;
      if (entry.kind !== 'file') return entry.kind === 'dir' ? Errno.ISDIR : Errno.SPIPE;
      const size = ctx.fs?.fileSize(entry.path) ?? 0;
      const base =
        whence === WHENCE.SET ? 0 : whence === WHENCE.CUR ? entry.pos : whence === WHENCE.END ? size : NaN;
      // Far past the end is allowed and costs nothing yet: the gap is charged when a write makes it real.
      const next = base + Number(offset);
      if (!Number.isFinite(next) || next < 0) return Errno.INVAL;
      memory.range(out, 8);
      entry.pos = next;
      memory.setU64(out, 0, BigInt(next));
      return Errno.SUCCESS;
    },
    fd_tell: (fd: number, out: number) => {
      const entry = fds.get(fd);
      if (!entry) return Errno.BADF;
      if (entry.kind !== 'file') return Errno.SPIPE;
      memory.setU64(out, 0, BigInt(entry.pos));
      return Errno.SUCCESS;
    },
    fd_pread: () => Errno.NOSYS,
    fd_pwrite: () => Errno.NOSYS,
  });
}
