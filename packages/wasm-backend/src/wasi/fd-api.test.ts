import { describe, expect, it } from 'vitest';
import { Errno } from './errno.js';
import { fdApiFunctions } from './fd-api.js';
import { inodeOf } from './filestat.js';
import { i32, PAGE, type TestContextOptions, testContext } from './test-context.js';
import { DIRENT, FDSTAT, FILESTAT, FileType } from './wasi-layouts.js';

const OUT = 64;

function setup(options: TestContextOptions = { files: { 'b.txt': 'bee', 'a.txt': 'hello', 'sub/c': '' } }) {
  const t = testContext(options);
  const fns = fdApiFunctions(t.ctx);
  const openFile = (path: string, append = false, write = true) =>
    t.ctx.fds.open({ kind: 'file', path, pos: 0, append, read: true, write })!;
  const openDir = (path: string) => t.ctx.fds.open({ kind: 'dir', path, preopen: false })!;
  return { ...t, fns, openFile, openDir };
}

describe('fd_fdstat_get', () => {
  it('describes stdio, files (with the append flag) and directories', () => {
    const { fns, openFile, view, u64 } = setup();
    const stat = (fd: number) => {
      expect(fns.fd_fdstat_get(fd, OUT)).toBe(Errno.SUCCESS);
      return {
        type: view().getUint8(OUT + FDSTAT.FILETYPE),
        flags: view().getUint16(OUT + FDSTAT.FLAGS, true),
        base: u64(OUT + FDSTAT.RIGHTS_BASE),
        inheriting: u64(OUT + FDSTAT.RIGHTS_INHERITING),
      };
    };
    expect(stat(1)).toEqual({
      type: FileType.CHARACTER_DEVICE,
      flags: 0,
      base: 0x1ffffffn,
      inheriting: 0x1fffffffn,
    });
    expect(stat(3)).toEqual({
      type: FileType.DIRECTORY,
      flags: 0,
      base: 0x1fffffffn,
      inheriting: 0x1fffffffn,
    });
    expect(stat(openFile('/a.txt', true))).toMatchObject({ type: FileType.REGULAR_FILE, flags: 1 });
    expect(fns.fd_fdstat_get(9, OUT)).toBe(Errno.BADF);
    expect(fns.fd_fdstat_get(1, PAGE - FDSTAT.BYTES + 1)).toBe(Errno.FAULT);
  });

  it('accepts dropping rights but not changing flags', () => {
    const { fns } = setup();
    expect(fns.fd_fdstat_set_rights(1)).toBe(Errno.SUCCESS);
    expect(fns.fd_fdstat_set_rights(9)).toBe(Errno.BADF);
    expect(fns.fd_fdstat_set_flags(1)).toBe(Errno.NOTSUP);
    expect(fns.fd_fdstat_set_flags(9)).toBe(Errno.BADF);
  });
});

describe('preopens', () => {
  it('names fd 3 as "/" and no other descriptor', () => {
    const { fns, u32, bytes, openDir } = setup();
    expect(fns.fd_prestat_get(3, OUT)).toBe(Errno.SUCCESS);
    expect([bytes()[OUT], u32(OUT + 4)]).toEqual([0, 1]);
    expect(fns.fd_prestat_dir_name(3, 200, 1)).toBe(Errno.SUCCESS);
    expect(bytes()[200]).toBe('/'.charCodeAt(0));
    for (const fd of [0, 1, 4, openDir('/sub')]) expect(fns.fd_prestat_get(fd, OUT)).toBe(Errno.BADF);
    expect(fns.fd_prestat_dir_name(1, 200, 1)).toBe(Errno.BADF);
  });

  it('has no preopen without a filesystem', () => {
    const { fns } = setup({});
    expect(fns.fd_prestat_get(3, OUT)).toBe(Errno.BADF);
  });

  it('faults on a name buffer past the end, and writes nothing for a zero-length one', () => {
    const { fns } = setup();
    expect(fns.fd_prestat_dir_name(3, PAGE, 1)).toBe(Errno.FAULT);
    expect(fns.fd_prestat_dir_name(3, i32(0xffff_ffff), 1)).toBe(Errno.FAULT);
    expect(fns.fd_prestat_get(3, PAGE - 4)).toBe(Errno.FAULT);
    expect(fns.fd_prestat_dir_name(3, PAGE, 0)).toBe(Errno.SUCCESS);
  });
});

describe('fd_close', () => {
  it('closes once, keeps the preopen, and never reuses a number', () => {
    const { fns, openFile } = setup();
    const fd = openFile('/a.txt');
    expect(fns.fd_close(fd)).toBe(Errno.SUCCESS);
    expect(fns.fd_close(fd)).toBe(Errno.BADF);
    expect(fns.fd_close(3)).toBe(Errno.NOTSUP);
    expect(fns.fd_close(2)).toBe(Errno.SUCCESS);
    expect(openFile('/a.txt')).toBe(fd + 1);
  });
});

describe('fd_filestat_*', () => {
  it('stats a file, a directory and the console', () => {
    const { fns, openFile, u64, view, snapshot } = setup();
    expect(fns.fd_filestat_get(openFile('/a.txt'), OUT)).toBe(Errno.SUCCESS);
    expect(u64(OUT + FILESTAT.INO)).toBe(BigInt(inodeOf('/a.txt')));
    expect(view().getUint8(OUT + FILESTAT.FILETYPE)).toBe(FileType.REGULAR_FILE);
    expect([u64(OUT + FILESTAT.NLINK), u64(OUT + FILESTAT.SIZE), u64(OUT + FILESTAT.MTIM)]).toEqual([
      1n,
      5n,
      0n,
    ]);
    expect(fns.fd_filestat_get(3, OUT)).toBe(Errno.SUCCESS);
    expect(view().getUint8(OUT + FILESTAT.FILETYPE)).toBe(FileType.DIRECTORY);
    view().setBigUint64(OUT + FILESTAT.SIZE, 99n, true);
    expect(fns.fd_filestat_get(1, OUT)).toBe(Errno.SUCCESS);
    const expected = new Uint8Array(FILESTAT.BYTES);
    expected[FILESTAT.FILETYPE] = FileType.CHARACTER_DEVICE;
    expect(snapshot().subarray(OUT, OUT + FILESTAT.BYTES)).toEqual(expected);
    expect(fns.fd_filestat_get(1, PAGE - 63)).toBe(Errno.FAULT);
    expect(fns.fd_filestat_get(99, OUT)).toBe(Errno.BADF);
  });

  it('answers ENOENT for a descriptor whose file was unlinked', () => {
    const { fns, openFile, fs } = setup();
    const fd = openFile('/b.txt');
    fs!.unlink('/b.txt');
    expect(fns.fd_filestat_get(fd, OUT)).toBe(Errno.NOENT);
    expect(fns.fd_filestat_set_size(fd, 0n)).toBe(Errno.NOENT);
  });

  it('resizes a writable file within the byte cap', () => {
    const { fns, openFile, fs } = setup({ files: { f: 'abc' }, fsLimits: { maxBytes: 100 } });
    const fd = openFile('/f');
    expect(fns.fd_filestat_set_size(fd, 6n)).toBe(Errno.SUCCESS);
    expect([...fs!.readFrom('/f', 0)!]).toEqual([97, 98, 99, 0, 0, 0]);
    expect(fns.fd_filestat_set_size(fd, 101n)).toBe(Errno.NOSPC);
    expect(fns.fd_filestat_set_size(fd, -1n)).toBe(Errno.INVAL); // 2^64 - 1
    expect(fns.fd_filestat_set_size(fd, 1n)).toBe(Errno.SUCCESS);
    expect(fs!.usedBytes).toBe(1);
    expect(fns.fd_filestat_set_size(openFile('/f', false, false), 0n)).toBe(Errno.BADF);
    expect(fns.fd_filestat_set_size(1, 0n)).toBe(Errno.BADF);
    expect(fns.fd_filestat_set_size(99, 0n)).toBe(Errno.BADF);
  });
});

describe('fd_readdir', () => {
  const BUF = 1000;

  function records(bytes: Uint8Array, used: number) {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const out: Array<{ next: bigint; name: string; type: number }> = [];
    for (let at = BUF; at + DIRENT.BYTES <= BUF + used; ) {
      const len = view.getUint32(at + DIRENT.NAMLEN, true);
      out.push({
        next: view.getBigUint64(at + DIRENT.NEXT, true),
        name: new TextDecoder().decode(bytes.subarray(at + DIRENT.BYTES, at + DIRENT.BYTES + len)),
        type: view.getUint8(at + DIRENT.TYPE),
      });
      at += DIRENT.BYTES + len;
    }
    return out;
  }

  it('lists a directory in name order with a resumable cookie per entry', () => {
    const { fns, bytes, u32 } = setup();
    expect(fns.fd_readdir(3, BUF, 4096, 0n, OUT)).toBe(Errno.SUCCESS);
    expect(u32(OUT)).toBe(3 * DIRENT.BYTES + 5 + 5 + 3);
    expect(records(bytes(), u32(OUT))).toEqual([
      { next: 1n, name: 'a.txt', type: FileType.REGULAR_FILE },
      { next: 2n, name: 'b.txt', type: FileType.REGULAR_FILE },
      { next: 3n, name: 'sub', type: FileType.DIRECTORY },
    ]);
    expect(fns.fd_readdir(3, BUF, 4096, 2n, OUT)).toBe(Errno.SUCCESS);
    expect(records(bytes(), u32(OUT)).map((r) => r.name)).toEqual(['sub']);
  });

  it('cuts the last record at the buffer end, so the caller knows to ask again', () => {
    const { fns, u32, bytes } = setup();
    expect(fns.fd_readdir(3, BUF, 30, 0n, OUT)).toBe(Errno.SUCCESS);
    expect(u32(OUT)).toBe(30);
    expect(bytes()[BUF + 30]).toBe(0);
  });

  it('answers an empty read for cookie -1 and for cookies past the end', () => {
    const { fns, u32 } = setup();
    for (const cookie of [-1n, 3n, 1n << 40n, (1n << 64n) - 2n]) {
      expect(fns.fd_readdir(3, BUF, 4096, cookie, OUT), String(cookie)).toBe(Errno.SUCCESS);
      expect(u32(OUT)).toBe(0);
    }
    expect(fns.fd_readdir(3, BUF, 0, 0n, OUT)).toBe(Errno.SUCCESS);
    expect(u32(OUT)).toBe(0);
  });

  it('faults on a record or count pointer past the end, and checks only what a listing fills', () => {
    const { fns, u32 } = setup();
    expect(fns.fd_readdir(3, PAGE - 10, 11, 0n, OUT)).toBe(Errno.FAULT);
    expect(fns.fd_readdir(3, BUF, 100, 0n, PAGE - 3)).toBe(Errno.FAULT);
    expect(fns.fd_readdir(3, PAGE + 100, 4096, -1n, OUT)).toBe(Errno.SUCCESS); // nothing to place
    // a length of 2^32 - 1 (an i32 of -1) is a large buffer, not a negative one
    expect(fns.fd_readdir(3, BUF, i32(0xffff_ffff), 0n, OUT)).toBe(Errno.SUCCESS);
    expect(u32(OUT)).toBe(3 * DIRENT.BYTES + 5 + 5 + 3);
  });

  it('answers ENOTDIR and EBADF', () => {
    const { fns, openFile } = setup();
    expect(fns.fd_readdir(openFile('/a.txt'), BUF, 100, 0n, OUT)).toBe(Errno.NOTDIR);
    expect(fns.fd_readdir(1, BUF, 100, 0n, OUT)).toBe(Errno.NOTDIR);
    expect(fns.fd_readdir(99, BUF, 100, 0n, OUT)).toBe(Errno.BADF);
  });
});

describe('the rest', () => {
  it('accepts sync, advise and times on any open descriptor; refuses allocate and renumber', () => {
    const { fns } = setup();
    for (const fn of [fns.fd_sync, fns.fd_datasync, fns.fd_advise, fns.fd_filestat_set_times]) {
      expect(fn(1)).toBe(Errno.SUCCESS);
      expect(fn(99)).toBe(Errno.BADF);
    }
    expect(fns.fd_allocate()).toBe(Errno.NOTSUP);
    expect(fns.fd_renumber()).toBe(Errno.NOTSUP);
  });
});
