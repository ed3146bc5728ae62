import { describe, expect, it } from 'vitest';
import { Errno } from './errno.js';
import { MAX_OPEN_FDS } from './fd-table.js';
import { pathApiFunctions } from './path-api.js';
import { i32, PAGE, type TestContextOptions, testContext } from './test-context.js';
import { FILESTAT, FileType, OFLAGS, RIGHT_FD_READ, RIGHT_FD_WRITE } from './wasi-layouts.js';

const OUT = 8;
const NAME = 1000;
const OTHER = 3000;
const RW = RIGHT_FD_READ | RIGHT_FD_WRITE;

function setup(options: TestContextOptions = { files: { 'etc/hosts': 'x', 'dir/f': 'data' } }) {
  const t = testContext(options);
  const fns = pathApiFunctions(t.ctx);
  /** path_open of `path` relative to `dirFd`; returns [errno, fd]. */
  const open = (path: string, oflags = 0, rights = RW, fdflags = 0, dirFd = 3) => {
    const errno = fns.path_open(dirFd, 0, NAME, t.put(NAME, path), oflags, rights, 0n, fdflags, OUT);
    return [errno, errno === Errno.SUCCESS ? t.u32(OUT) : -1] as const;
  };
  const call = (fn: (dirFd: number, ptr: number, len: number) => number, path: string, dirFd = 3) =>
    fn(dirFd, NAME, t.put(NAME, path));
  return { ...t, fns, open, call };
}

describe('path_open', () => {
  it('creates, opens and truncates files, numbering descriptors from 4', () => {
    const { open, fs, ctx } = setup();
    expect(open('new.txt', OFLAGS.CREAT)).toEqual([Errno.SUCCESS, 4]);
    expect(fs!.isFile('/new.txt')).toBe(true);
    expect(open('dir/f')).toEqual([Errno.SUCCESS, 5]);
    expect(ctx.fds.get(5)).toEqual({
      kind: 'file',
      path: '/dir/f',
      pos: 0,
      append: false,
      read: true,
      write: true,
    });
    expect(open('dir/f', OFLAGS.TRUNC, RIGHT_FD_WRITE, 1)[0]).toBe(Errno.SUCCESS);
    expect(ctx.fds.get(6)).toMatchObject({ append: true, read: false, write: true });
    expect(fs!.fileSize('/dir/f')).toBe(0);
    open('dir/g', OFLAGS.CREAT, 0n);
    expect(ctx.fds.get(7)).toMatchObject({ read: true, write: false });
  });

  it('answers EMFILE once MAX_OPEN_FDS descriptors are open, and again after one is closed', () => {
    const { open, ctx } = setup();
    const opened: number[] = [];
    for (;;) {
      const [errno, fd] = open('dir/f');
      if (errno !== Errno.SUCCESS) {
        expect(errno).toBe(Errno.MFILE);
        break;
      }
      opened.push(fd);
    }
    // stdio and the preopen hold 4 of them
    expect(opened.length).toBe(MAX_OPEN_FDS - 4);
    expect(ctx.fds.close(opened[0]!)).toBe(Errno.SUCCESS);
    expect(open('dir/f')[0]).toBe(Errno.SUCCESS);
    expect(open('dir/f')[0]).toBe(Errno.MFILE);
  });

  it('answers EEXIST, ENOENT, ENOTDIR and EISDIR like POSIX open', () => {
    const { open, ctx } = setup();
    expect(open('dir/f', OFLAGS.CREAT | OFLAGS.EXCL)[0]).toBe(Errno.EXIST);
    expect(open('missing')[0]).toBe(Errno.NOENT);
    expect(open('nodir/x', OFLAGS.CREAT)[0]).toBe(Errno.NOENT);
    expect(open('dir/f', OFLAGS.DIRECTORY)[0]).toBe(Errno.NOTDIR);
    expect(open('gone', OFLAGS.DIRECTORY)[0]).toBe(Errno.NOENT);
    expect(open('dir', 0, RW)[0]).toBe(Errno.ISDIR);
    const [errno, fd] = open('dir', 0, RIGHT_FD_READ);
    expect(errno).toBe(Errno.SUCCESS);
    expect(ctx.fds.get(fd)).toEqual({ kind: 'dir', path: '/dir', preopen: false });
    expect(open('f', 0, RW, 0, fd)).toEqual([Errno.SUCCESS, fd + 1]);
    expect(open('x', 0, RW, 0, fd + 1)[0]).toBe(Errno.NOTDIR);
    expect(open('x', 0, RW, 0, 99)[0]).toBe(Errno.BADF);
  });

  it('never leaves the filesystem: a climb above / is ENOTCAPABLE, an absolute path stays inside', () => {
    const { open } = setup();
    expect(open('../etc/hosts')[0]).toBe(Errno.NOTCAPABLE);
    expect(open('dir/../../etc/hosts')[0]).toBe(Errno.NOTCAPABLE);
    expect(open('..')[0]).toBe(Errno.NOTCAPABLE);
    expect(open('')[0]).toBe(Errno.NOTCAPABLE);
    expect(open('a\0b', OFLAGS.CREAT)[0]).toBe(Errno.NOTCAPABLE);
    expect(open('dir/../etc/hosts')[0]).toBe(Errno.SUCCESS);
    expect(open('/etc/passwd')[0]).toBe(Errno.NOENT); // the in-memory /etc, not the host's
    expect(open('/etc/hosts')[0]).toBe(Errno.SUCCESS);
  });

  it('refuses an overlong path by its length, before reading it', () => {
    const { fns, open } = setup({ files: {}, fsLimits: { maxPathBytes: 16 } });
    // an out-of-bounds pointer is not even looked at
    expect(fns.path_open(3, 0, PAGE + 5, 17, OFLAGS.CREAT, RW, 0n, 0, OUT)).toBe(Errno.NAMETOOLONG);
    expect(fns.path_open(3, 0, 0, i32(0xffff_ffff), OFLAGS.CREAT, RW, 0n, 0, OUT)).toBe(Errno.NAMETOOLONG);
    expect(open('a'.repeat(17), OFLAGS.CREAT)[0]).toBe(Errno.NAMETOOLONG);
    expect(open('é'.repeat(8), OFLAGS.CREAT)[0]).toBe(Errno.NAMETOOLONG); // 16 bytes + the leading '/'
    expect(open('a'.repeat(15), OFLAGS.CREAT)[0]).toBe(Errno.SUCCESS);
  });

  it('faults on a path pointer out of bounds instead of reading a clamped path', () => {
    const { fns, fs, put } = setup();
    put(PAGE - 2, 'ab');
    expect(fns.path_open(3, 0, PAGE - 2, 4, OFLAGS.CREAT, RW, 0n, 0, OUT)).toBe(Errno.FAULT);
    expect(fns.path_open(3, 0, i32(0xffff_fffe), 4, OFLAGS.CREAT, RW, 0n, 0, OUT)).toBe(Errno.FAULT);
    expect(fs!.isFile('/ab')).toBe(false);
  });

  it('checks the result pointer after the errnos of the open, before truncating or taking a descriptor', () => {
    const { fns, fs, ctx, put } = setup();
    const open = (path: string, oflags: number, rights: bigint, out: number) =>
      fns.path_open(3, 0, NAME, put(NAME, path), oflags, rights, 0n, 0, out);
    expect(open('no/dir', OFLAGS.CREAT, RW, PAGE - 3)).toBe(Errno.NOENT);
    expect(open('dir/f', OFLAGS.TRUNC, RW, -4)).toBe(Errno.FAULT);
    expect(open('dir', 0, RIGHT_FD_READ, PAGE)).toBe(Errno.FAULT);
    expect(fs!.fileSize('/dir/f')).toBe(4);
    expect(ctx.fds.get(4)).toBeUndefined();
    // as before the split, a file created by the open stays (empty) when the pointer then faults
    expect(open('new', OFLAGS.CREAT, RW, PAGE)).toBe(Errno.FAULT);
    expect(fs!.fileSize('/new')).toBe(0);
  });

  it('stops creating files at the entry cap', () => {
    const { open, fs } = setup({ files: {}, fsLimits: { maxEntries: 3 } });
    expect(open('a', OFLAGS.CREAT)[0]).toBe(Errno.SUCCESS);
    expect(open('b', OFLAGS.CREAT)[0]).toBe(Errno.SUCCESS);
    expect(open('c', OFLAGS.CREAT)[0]).toBe(Errno.NOSPC); // '/', a and b
    expect(fs!.entryCount).toBe(3);
  });
});

describe('directories, unlink and rename', () => {
  it('creates and removes directories', () => {
    const { fns, call } = setup();
    expect(call(fns.path_create_directory, 'new')).toBe(Errno.SUCCESS);
    expect(call(fns.path_create_directory, 'new')).toBe(Errno.EXIST);
    expect(call(fns.path_create_directory, 'no/such')).toBe(Errno.NOENT);
    expect(call(fns.path_remove_directory, 'dir')).toBe(Errno.NOTEMPTY);
    expect(call(fns.path_remove_directory, 'dir/f')).toBe(Errno.NOTDIR);
    expect(call(fns.path_remove_directory, '.')).toBe(Errno.PERM);
    expect(call(fns.path_remove_directory, 'new')).toBe(Errno.SUCCESS);
    expect(call(fns.path_remove_directory, 'new')).toBe(Errno.NOENT);
  });

  it('unlinks files only, and gives their bytes back', () => {
    const { fns, call, fs } = setup();
    expect(call(fns.path_unlink_file, 'dir')).toBe(Errno.ISDIR);
    expect(call(fns.path_unlink_file, 'dir/f')).toBe(Errno.SUCCESS);
    expect(call(fns.path_unlink_file, 'dir/f')).toBe(Errno.NOENT);
    expect(fs!.usedBytes).toBe(1);
  });

  it('renames a file over another, charging only the survivor', () => {
    const { fns, put, fs } = setup();
    const rename = (from: string, to: string) =>
      fns.path_rename(3, NAME, put(NAME, from), 3, OTHER, put(OTHER, to));
    expect(rename('dir/f', 'etc/hosts')).toBe(Errno.SUCCESS);
    expect([fs!.isFile('/dir/f'), fs!.fileSize('/etc/hosts'), fs!.usedBytes]).toEqual([false, 4, 4]);
    expect(rename('dir', 'moved')).toBe(Errno.NOTSUP);
    expect(rename('etc/hosts', 'dir')).toBe(Errno.ISDIR);
    expect(rename('etc/hosts', 'no/x')).toBe(Errno.NOENT);
    expect(rename('gone', 'x')).toBe(Errno.NOENT);
    expect(rename('../x', 'y')).toBe(Errno.NOTCAPABLE);
    expect(rename('etc/hosts', '../y')).toBe(Errno.NOTCAPABLE);
  });
});

describe('path_filestat_*', () => {
  it('stats files and directories by path', () => {
    const { fns, put, u64, view } = setup();
    expect(fns.path_filestat_get(3, 0, NAME, put(NAME, 'dir/f'), OUT)).toBe(Errno.SUCCESS);
    expect([u64(OUT + FILESTAT.SIZE), view().getUint8(OUT + FILESTAT.FILETYPE)]).toEqual([
      4n,
      FileType.REGULAR_FILE,
    ]);
    expect(fns.path_filestat_get(3, 0, NAME, put(NAME, 'dir'), OUT)).toBe(Errno.SUCCESS);
    expect(view().getUint8(OUT + FILESTAT.FILETYPE)).toBe(FileType.DIRECTORY);
    expect(fns.path_filestat_get(3, 0, NAME, put(NAME, 'nope'), OUT)).toBe(Errno.NOENT);
    expect(fns.path_filestat_get(3, 0, NAME, put(NAME, 'dir'), PAGE - 8)).toBe(Errno.FAULT);
  });

  it('accepts times for a path that exists', () => {
    const { fns, put } = setup();
    expect(fns.path_filestat_set_times(3, 0, NAME, put(NAME, 'dir'))).toBe(Errno.SUCCESS);
    expect(fns.path_filestat_set_times(3, 0, NAME, put(NAME, 'nope'))).toBe(Errno.NOENT);
  });
});

describe('without a filesystem, and links', () => {
  it('answers ENOTCAPABLE to every path call', () => {
    const { fns, open, call } = setup({});
    expect(open('x', OFLAGS.CREAT)[0]).toBe(Errno.NOTCAPABLE);
    for (const fn of [fns.path_create_directory, fns.path_remove_directory, fns.path_unlink_file]) {
      expect(call(fn, 'x')).toBe(Errno.NOTCAPABLE);
    }
    expect(fns.path_rename(3, NAME, 1, 3, NAME, 1)).toBe(Errno.NOTCAPABLE);
    expect(fns.path_filestat_get(3, 0, NAME, 1, OUT)).toBe(Errno.NOTCAPABLE);
    expect([fns.path_link(), fns.path_symlink(), fns.path_readlink()]).toEqual([76, 76, 76]);
  });

  it('has no links in the filesystem', () => {
    const { fns } = setup();
    expect([fns.path_link(), fns.path_symlink(), fns.path_readlink()]).toEqual([
      Errno.NOTSUP,
      Errno.NOTSUP,
      Errno.INVAL,
    ]);
  });
});
