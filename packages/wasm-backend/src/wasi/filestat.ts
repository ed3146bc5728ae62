import { Errno } from './errno.js';
import type { GuestMemory } from './guest-memory.js';
import type { MemoryFs } from './memory-fs.js';
import { FILESTAT, FileType } from './wasi-layouts.js';

/** A `filestat` for a console descriptor: a character device, every other field zero. */
export function writeDeviceFilestat(memory: GuestMemory, out: number): number {
  memory.zero(out, FILESTAT.BYTES);
  memory.setU8(out, FILESTAT.FILETYPE, FileType.CHARACTER_DEVICE);
  return Errno.SUCCESS;
}

/** A `filestat` for a path of the in-memory filesystem (times stay zero), or ENOENT. */
export function writePathFilestat(memory: GuestMemory, out: number, fs: MemoryFs, path: string): number {
  const stat = fs.stat(path);
  if (!stat) return Errno.NOENT;
  memory.zero(out, FILESTAT.BYTES);
  memory.setU64(out, FILESTAT.INO, BigInt(inodeOf(path)));
  memory.setU8(out, FILESTAT.FILETYPE, stat.isDir ? FileType.DIRECTORY : FileType.REGULAR_FILE);
  memory.setU64(out, FILESTAT.NLINK, 1n);
  memory.setU64(out, FILESTAT.SIZE, BigInt(stat.size));
  return Errno.SUCCESS;
}

/**
 * A stable inode number from the path (32-bit FNV-1a), so a program comparing `st_ino` sees the
 * same file as the same. Two paths may collide; nothing here relies on them differing.
 */
export function inodeOf(path: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) hash = Math.imul(hash ^ path.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
