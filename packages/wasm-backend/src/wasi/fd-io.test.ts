import { describe, expect, it } from 'vitest';
import { Errno, OutputLimitExceeded } from './errno.js';
import { fdIoFunctions } from './fd-io.js';
import type { FdEntry } from './fd-table.js';
import { HostStreams, type HostStreamsOptions } from './host-streams.js';
import { i32, PAGE, type TestContextOptions, testContext } from './test-context.js';

const IOVS = 100;
const OUT = 8;

function setup(streams: Partial<HostStreamsOptions> = {}, context: TestContextOptions = {}) {
  const t = testContext(context);
  const host = new HostStreams({
    stdin: new TextEncoder().encode('line one\nline two\n'),
    maxOutputBytes: 1024,
    allowConsole: true,
    ...streams,
  });
  const fns = fdIoFunctions(t.ctx, host);
  /** Writes `texts` as one iovec each to `fd`. */
  const write = (fd: number, ...texts: string[]) => {
    let at = 1000;
    const list = texts.map((text): [number, number] => {
      const len = t.put(at, text);
      at += len + 16;
      return [at - len - 16, len];
    });
    return fns.fd_write(fd, IOVS, t.iovecs(IOVS, list), OUT);
  };
  const openFile = (path: string, flags: Partial<Extract<FdEntry, { kind: 'file' }>> = {}) => {
    if (!t.fs?.isFile(path)) t.fs?.createFile(path);
    return t.ctx.fds.open({ kind: 'file', path, pos: 0, append: false, read: true, write: true, ...flags })!;
  };
  return { ...t, host, fns, write, openFile };
}

describe('fd_write', () => {
  it('collects stdout and stderr apart and reports the bytes written', () => {
    const { host, write, u32 } = setup();
    expect(write(1, 'hello ', 'world')).toBe(Errno.SUCCESS);
    expect(u32(OUT)).toBe(11);
    expect(write(2, 'oops')).toBe(Errno.SUCCESS);
    expect([host.stdoutText(), host.stderrText()]).toEqual(['hello world', 'oops']);
  });

  it('answers EBADF for a console the code may not use, stdin, a directory and unknown descriptors', () => {
    const denied = setup({ allowConsole: false }, { files: {} });
    for (const fd of [0, 1, 2, 3, 99, -1]) expect(denied.write(fd, 'x'), `fd ${fd}`).toBe(Errno.BADF);
    expect(denied.host.stdoutText()).toBe('');
    const readOnly = denied.openFile('/r', { write: false });
    expect(denied.write(readOnly, 'x')).toBe(Errno.BADF);
  });

  it('charges each zero-length iovec the output floor, so a flood of them ends the run', () => {
    const { fns, host, iovecs } = setup({ maxOutputBytes: 64 });
    const empties = iovecs(
      IOVS,
      Array.from({ length: 9 }, (): [number, number] => [0, 0]),
    );
    // 9 iovecs × the 8-byte floor = 72 > 64, though not one byte is printed
    expect(() => fns.fd_write(1, IOVS, empties, OUT)).toThrow(OutputLimitExceeded);
    expect(host.truncated).toBe(true);
  });

  it('charges a write with no iovec at all the floor, so a loop of them ends the run', () => {
    const { fns, host } = setup({ maxOutputBytes: 64 });
    for (let i = 0; i < 8; i++) expect(fns.fd_write(1, IOVS, 0, OUT)).toBe(Errno.SUCCESS);
    // the ninth empty call passes 64 bytes of floor charges
    expect(() => fns.fd_write(1, IOVS, 0, OUT)).toThrow(OutputLimitExceeded);
    expect(host.stdoutText()).toBe('');
  });

  it('cuts output at the cap and throws, keeping what fit', () => {
    const { write, host } = setup({ maxOutputBytes: 10 });
    expect(() => write(1, 'abcdefghijkl')).toThrow(OutputLimitExceeded);
    expect(host.stdoutText()).toBe('abcdefghij');
    expect(() => write(1, 'x')).toThrow(OutputLimitExceeded);
  });

  it('sends the result channel apart, under its own cap, without ending the run', () => {
    const { write, host, u32 } = setup({ resultFd: 7, maxResultBytes: 12 });
    expect(host.resultText()).toBeUndefined();
    expect(write(7, '{"value":', '12345}')).toBe(Errno.SUCCESS);
    expect(u32(OUT)).toBe(15);
    expect(host.resultText()).toBe('{"value":123');
    expect(host.resultTruncated).toBe(true);
    expect(host.stdoutText()).toBe('');
    expect(host.truncated).toBe(false);
  });

  it('charges zero-length writes to the result channel the floor too', () => {
    const { fns, host, iovecs } = setup({ resultFd: 7, maxResultBytes: 20 });
    const empties = iovecs(IOVS, [
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(fns.fd_write(7, IOVS, empties, OUT)).toBe(Errno.SUCCESS);
    expect(host.resultTruncated).toBe(true);
    expect(host.resultText()).toBe('');
  });

  it('faults, printing nothing, when any iovec is out of bounds or the count is huge', () => {
    const { fns, host, put, iovecs, snapshot, bytes, fs, openFile } = setup({ resultFd: 7 }, { files: {} });
    put(1000, 'visible');
    const partlyBad = iovecs(IOVS, [
      [1000, 7],
      [PAGE - 3, 4],
    ]);
    const before = snapshot();
    const file = openFile('/f');
    for (const fd of [1, 7, file])
      expect(fns.fd_write(fd, IOVS, partlyBad, OUT), `fd ${fd}`).toBe(Errno.FAULT);
    expect(fns.fd_write(1, i32(0xffff_fff8), 1, OUT)).toBe(Errno.FAULT);
    expect(fns.fd_write(1, 0, i32(0xffff_ffff), OUT)).toBe(Errno.FAULT); // a huge count
    expect(fns.fd_write(1, 0, 0x2000_0000, OUT)).toBe(Errno.FAULT); // 4 GiB of iovecs
    expect(bytes()).toEqual(before);
    expect([host.stdoutText(), host.resultText(), fs!.fileSize('/f')]).toEqual(['', undefined, 0]);
  });

  it('faults on a count pointer out of bounds only after the write, as a trap did before', () => {
    const { fns, host, put, iovecs, fs, openFile } = setup({}, { files: {}, fsLimits: { maxBytes: 0 } });
    const list = iovecs(IOVS, [[1000, put(1000, 'out')]]);
    expect(fns.fd_write(1, IOVS, list, PAGE - 2)).toBe(Errno.FAULT);
    expect(host.stdoutText()).toBe('out');
    // a write the filesystem refuses answers its own errno: the count is never written
    expect(fns.fd_write(openFile('/full'), IOVS, list, PAGE - 2)).toBe(Errno.NOSPC);
    expect(fs!.fileSize('/full')).toBe(0);
  });
});

describe('fd_read', () => {
  it('reads stdin in order across calls and iovecs', () => {
    const { fns, iovecs, text, u32 } = setup();
    const two = iovecs(IOVS, [
      [1000, 4],
      [2000, 3],
    ]);
    expect(fns.fd_read(0, IOVS, two, OUT)).toBe(Errno.SUCCESS);
    expect(u32(OUT)).toBe(7);
    expect(text(1000, 4) + text(2000, 3)).toBe('line on');
    const rest = iovecs(IOVS, [[3000, 100]]);
    expect(fns.fd_read(0, IOVS, rest, OUT)).toBe(Errno.SUCCESS);
    expect(text(3000, u32(OUT))).toBe('e\nline two\n');
    expect(fns.fd_read(0, IOVS, rest, OUT)).toBe(Errno.SUCCESS);
    expect(u32(OUT)).toBe(0); // end of input
  });

  it('reads a file from its position and answers for what cannot be read', () => {
    const { fns, openFile, iovecs, text, u32, fs, ctx } = setup({}, { files: { 'a.txt': 'abcdef' } });
    const fd = openFile('/a.txt');
    const list = iovecs(IOVS, [[1000, 4]]);
    expect(fns.fd_read(fd, IOVS, list, OUT)).toBe(Errno.SUCCESS);
    expect(text(1000, u32(OUT))).toBe('abcd');
    expect(fns.fd_read(fd, IOVS, list, OUT)).toBe(Errno.SUCCESS);
    expect(text(1000, u32(OUT))).toBe('ef');
    expect(fns.fd_read(openFile('/a.txt', { read: false }), IOVS, list, OUT)).toBe(Errno.BADF);
    expect(fns.fd_read(3, IOVS, list, OUT)).toBe(Errno.ISDIR);
    expect(fns.fd_read(1, IOVS, list, OUT)).toBe(Errno.BADF);
    expect(fns.fd_read(42, IOVS, list, OUT)).toBe(Errno.BADF);
    fs!.unlink('/a.txt');
    expect(fns.fd_read(fd, IOVS, list, OUT)).toBe(Errno.NOENT);
    expect(ctx.fds.get(fd)).toMatchObject({ pos: 6 });
  });

  it('looks only at the iovecs it fills: at the end of input the rest may be anything', () => {
    const { fns, iovecs, u32 } = setup({ stdin: new Uint8Array(0) });
    iovecs(IOVS, [[PAGE + 100, 4]]);
    expect(fns.fd_read(0, IOVS, i32(0xffff_ffff), OUT)).toBe(Errno.SUCCESS);
    expect(u32(OUT)).toBe(0);
  });

  it('faults without consuming input when a buffer or the count pointer is out of bounds', () => {
    const { fns, iovecs, text, u32 } = setup();
    const bad = iovecs(IOVS, [
      [1000, 4],
      [PAGE - 1, 2],
    ]);
    expect(fns.fd_read(0, IOVS, bad, OUT)).toBe(Errno.FAULT);
    expect(fns.fd_read(0, IOVS, 1, PAGE)).toBe(Errno.FAULT);
    expect(fns.fd_read(0, IOVS, i32(0x8000_0000), OUT)).toBe(Errno.FAULT);
    const good = iovecs(IOVS, [[1000, 4]]);
    expect(fns.fd_read(0, IOVS, good, OUT)).toBe(Errno.SUCCESS);
    expect(text(1000, u32(OUT))).toBe('line');
  });
});

describe('fd_seek, fd_tell and file writes', () => {
  const limits = { maxBytes: 1000 };

  it('writes at the position, appends at the end, and reads back through the filesystem', () => {
    const { write, openFile, fs, u32 } = setup({}, { files: { f: 'hello' }, fsLimits: limits });
    const fd = openFile('/f');
    expect(write(fd, 'J')).toBe(Errno.SUCCESS);
    const appender = openFile('/f', { append: true });
    expect(write(appender, '!', '?')).toBe(Errno.SUCCESS);
    expect(u32(OUT)).toBe(2);
    expect(new TextDecoder().decode(fs!.readFrom('/f', 0))).toBe('Jello!?');
  });

  it('seeks from the start, the current position and the end; refuses a negative result', () => {
    const { fns, openFile, u64 } = setup({}, { files: { f: '0123456789' } });
    const fd = openFile('/f');
    expect(fns.fd_seek(fd, 4n, 0, OUT)).toBe(Errno.SUCCESS);
    expect(u64(OUT)).toBe(4n);
    expect(fns.fd_seek(fd, -1n, 1, OUT)).toBe(Errno.SUCCESS);
    expect(u64(OUT)).toBe(3n);
    expect(fns.fd_seek(fd, -2n, 2, OUT)).toBe(Errno.SUCCESS);
    expect(u64(OUT)).toBe(8n);
    expect(fns.fd_tell(fd, 16)).toBe(Errno.SUCCESS);
    expect(u64(16)).toBe(8n);
    expect(fns.fd_seek(fd, -11n, 2, OUT)).toBe(Errno.INVAL);
    expect(fns.fd_seek(fd, -(1n << 63n), 0, OUT)).toBe(Errno.INVAL);
    expect(fns.fd_seek(fd, 0n, 3, OUT)).toBe(Errno.INVAL); // no such whence
    expect(fns.fd_seek(1, 0n, 0, OUT)).toBe(Errno.SPIPE);
    expect(fns.fd_seek(3, 0n, 0, OUT)).toBe(Errno.ISDIR);
    expect(fns.fd_seek(77, 0n, 0, OUT)).toBe(Errno.BADF);
    expect(fns.fd_tell(0, OUT)).toBe(Errno.SPIPE);
    expect(fns.fd_tell(77, OUT)).toBe(Errno.BADF);
  });

  it('lets a seek go far past the end for free, but charges the gap when a write makes it real', () => {
    const { fns, write, openFile, fs, u64 } = setup({}, { files: {}, fsLimits: limits });
    const fd = openFile('/sparse');
    expect(fns.fd_seek(fd, 1n << 40n, 0, OUT)).toBe(Errno.SUCCESS);
    expect(u64(OUT)).toBe(1n << 40n);
    expect(write(fd, 'x')).toBe(Errno.NOSPC);
    expect(fs!.usedBytes).toBe(0);
    expect(fns.fd_seek(fd, 999n, 0, OUT)).toBe(Errno.SUCCESS);
    expect(write(fd, 'xy')).toBe(Errno.NOSPC); // 999 + 2 > 1000
    expect(write(fd, 'x')).toBe(Errno.SUCCESS);
    expect([fs!.usedBytes, fs!.fileSize('/sparse')]).toEqual([1000, 1000]);
    expect(fs!.allocatedBytes).toBeLessThanOrEqual(2000);
  });

  it('charges even a zero-length write past the end for the gap it creates', () => {
    const { fns, openFile, iovecs, fs } = setup({}, { files: {}, fsLimits: limits });
    const fd = openFile('/gap');
    fns.fd_seek(fd, 5000n, 0, OUT);
    expect(fns.fd_write(fd, IOVS, iovecs(IOVS, [[0, 0]]), OUT)).toBe(Errno.NOSPC);
    expect(fs!.usedBytes).toBe(0);
  });

  it('reports a partial write when the filesystem fills up midway', () => {
    const { write, openFile, u32, fs } = setup({}, { files: {}, fsLimits: { maxBytes: 8 } });
    const fd = openFile('/f');
    expect(write(fd, 'abcde', 'fghij')).toBe(Errno.SUCCESS);
    expect(u32(OUT)).toBe(5);
    expect(write(fd, 'fghij')).toBe(Errno.NOSPC);
    expect(fs!.usedBytes).toBe(5);
  });

  it('faults on a seek result pointer out of bounds without moving the position', () => {
    const { fns, openFile, ctx } = setup({}, { files: { f: 'abc' } });
    const fd = openFile('/f');
    expect(fns.fd_seek(fd, 2n, 0, PAGE - 4)).toBe(Errno.FAULT);
    expect(fns.fd_tell(fd, -8)).toBe(Errno.FAULT);
    expect(ctx.fds.get(fd)).toMatchObject({ pos: 0 });
  });

  it('leaves positional I/O unimplemented', () => {
    const { fns } = setup();
    expect(fns.fd_pread()).toBe(Errno.NOSYS);
    expect(fns.fd_pwrite()).toBe(Errno.NOSYS);
  });
});
