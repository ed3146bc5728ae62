import { describe, expect, it } from 'vitest';
import { Errno } from './errno.js';
import { DEFAULT_FS_LIMITS, MemoryFs, normalizePath, parentOf } from './memory-fs.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => new TextDecoder().decode(data);

describe('MemoryFs', () => {
  it('is seeded with files and the directories above them, charged but not marked written', () => {
    const fs = new MemoryFs({ 'a/b/c.txt': 'abc', '/top': Uint8Array.of(1, 2), '../escape': 'x' });
    expect([fs.isFile('/a/b/c.txt'), fs.isDir('/a/b'), fs.isDir('/a'), fs.isFile('/top')]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(fs.isFile('/escape')).toBe(false);
    expect([fs.usedBytes, fs.entryCount]).toEqual([5, 5]);
    expect(fs.writtenFiles()).toEqual({ files: {}, truncated: false });
    expect(fs.limits).toEqual(DEFAULT_FS_LIMITS);
  });

  it('charges sparse gaps: a write far past the end pays for the zeros before it', () => {
    const fs = new MemoryFs({ f: '' }, { maxBytes: 100 });
    expect(fs.write('/f', 1e12, bytes('x'))).toBe(Errno.NOSPC);
    expect(fs.write('/f', 2 ** 60, bytes('x'))).toBe(Errno.NOSPC); // past 2^53: not even a size
    expect(fs.write('/f', 99, bytes('xy'))).toBe(Errno.NOSPC);
    expect(fs.usedBytes).toBe(0);
    expect(fs.write('/f', 99, bytes('x'))).toBe(Errno.SUCCESS);
    expect(fs.usedBytes).toBe(100);
    expect([...fs.readFrom('/f', 97)!]).toEqual([0, 0, 120]);
    expect(fs.write('/missing', 0, bytes('x'))).toBe(Errno.NOENT);
  });

  it('overwrites in place without charging twice', () => {
    const fs = new MemoryFs({ f: 'hello' }, { maxBytes: 6 });
    expect(fs.write('/f', 0, bytes('HELLO'))).toBe(Errno.SUCCESS);
    expect(fs.write('/f', 3, bytes('LO!'))).toBe(Errno.SUCCESS);
    expect([text(fs.readFrom('/f', 0)), fs.usedBytes]).toEqual(['HELLO!', 6]);
    expect(text(fs.readFrom('/f', 10))).toBe('');
  });

  it('resizes within the cap and refuses sizes that are not sizes', () => {
    const fs = new MemoryFs({ f: 'abc' }, { maxBytes: 10 });
    expect(fs.resize('/f', 11)).toBe(Errno.NOSPC);
    expect(fs.resize('/f', -1)).toBe(Errno.INVAL);
    expect(fs.resize('/f', 2 ** 64)).toBe(Errno.INVAL);
    expect(fs.resize('/f', 1.5)).toBe(Errno.INVAL);
    expect(fs.resize('/nope', 1)).toBe(Errno.NOENT);
    expect(fs.resize('/f', 10)).toBe(Errno.SUCCESS);
    expect(fs.resize('/f', 1)).toBe(Errno.SUCCESS);
    expect(fs.resize('/f', 4)).toBe(Errno.SUCCESS);
    expect([...fs.readFrom('/f', 0)!]).toEqual([97, 0, 0, 0]); // regrown with zeros, not old bytes
    expect(fs.usedBytes).toBe(4);
  });

  it('gives a truncated file its buffer back, so filling and truncating file after file stays bounded', () => {
    const maxBytes = 1 << 20;
    const fs = new MemoryFs({}, { maxBytes });
    const chunk = new Uint8Array(maxBytes);
    for (let i = 0; i < 20; i++) {
      expect(fs.createFile(`/f${i}`)).toBe(Errno.SUCCESS);
      expect(fs.write(`/f${i}`, 0, chunk)).toBe(Errno.SUCCESS);
      expect(fs.resize(`/f${i}`, 0)).toBe(Errno.SUCCESS);
    }
    expect(fs.usedBytes).toBe(0);
    expect(fs.allocatedBytes).toBeLessThanOrEqual(20 * 64);
  });

  it('keeps buffers within about twice the bytes charged as files grow', () => {
    const fs = new MemoryFs({}, { maxBytes: 1 << 20 });
    fs.createFile('/a');
    fs.createFile('/b');
    for (let i = 0; i < 3000; i++) {
      fs.write('/a', i * 100, new Uint8Array(100));
      fs.write('/b', i, Uint8Array.of(1));
    }
    expect(fs.usedBytes).toBe(300_000 + 3000);
    expect(fs.allocatedBytes).toBeLessThanOrEqual(2 * fs.usedBytes + 2 * 64);
  });

  it('caps files and directories together, the root counted', () => {
    const fs = new MemoryFs({ a: '' }, { maxEntries: 3 }); // '/', /a and one more
    expect(fs.createDir('/d')).toBe(Errno.SUCCESS);
    expect(fs.createFile('/d/f')).toBe(Errno.NOSPC);
    expect(fs.createDir('/e')).toBe(Errno.NOSPC);
    expect(fs.unlink('/a')).toBe(Errno.SUCCESS);
    expect(fs.createFile('/d/f')).toBe(Errno.SUCCESS);
  });

  it('measures the path cap in UTF-8 bytes', () => {
    const fs = new MemoryFs({}, { maxPathBytes: 5 });
    expect(fs.checkPath('/abcd')).toBe(Errno.SUCCESS);
    expect(fs.checkPath('/abcde')).toBe(Errno.NAMETOOLONG);
    expect(fs.checkPath('/éé')).toBe(Errno.SUCCESS);
    expect(fs.checkPath('/ééé')).toBe(Errno.NAMETOOLONG);
  });

  it('lists a directory sorted, with the kind of each entry', () => {
    const fs = new MemoryFs({ 'd/z': '', 'd/a': '', 'd/sub/x': '', other: '' });
    expect(fs.listDir('/d')).toEqual([
      { name: 'a', isDir: false },
      { name: 'sub', isDir: true },
      { name: 'z', isDir: false },
    ]);
    expect(fs.listDir('/').map((e) => e.name)).toEqual(['d', 'other']);
  });

  it('removes only empty directories other than the root', () => {
    const fs = new MemoryFs({ 'd/f': '' });
    expect(fs.removeDir('/d')).toBe(Errno.NOTEMPTY);
    expect(fs.removeDir('/d/f')).toBe(Errno.NOTDIR);
    expect(fs.removeDir('/')).toBe(Errno.PERM);
    expect(fs.removeDir('/x')).toBe(Errno.NOENT);
    fs.unlink('/d/f');
    expect(fs.removeDir('/d')).toBe(Errno.SUCCESS);
    expect(fs.isDir('/d')).toBe(false);
  });

  it('moves the written mark with a rename and drops it with an unlink', () => {
    const fs = new MemoryFs({ keep: 'k' });
    fs.createFile('/a');
    fs.write('/a', 0, bytes('aa'));
    expect(fs.rename('/a', '/keep')).toBe(Errno.SUCCESS);
    expect(fs.usedBytes).toBe(2);
    expect(fs.writtenFiles().files).toEqual({ '/keep': bytes('aa') });
    expect(fs.unlink('/keep')).toBe(Errno.SUCCESS);
    expect([fs.writtenFiles().files, fs.usedBytes]).toEqual([{}, 0]);
  });

  it('returns written files in path order up to maxReturnedBytes (path and data), skipping what does not fit', () => {
    // '/a' costs 2 + 3 bytes, '/b' 2 + 3 (does not fit after it), '/c' 2 + 1
    const fs = new MemoryFs({}, { maxReturnedBytes: 8 });
    for (const [path, content] of [
      ['/c', 'c'],
      ['/a', 'aaa'],
      ['/b', 'bbb'],
    ] as const) {
      fs.createFile(path);
      fs.write(path, 0, bytes(content));
    }
    const written = fs.writtenFiles();
    expect(Object.keys(written.files)).toEqual(['/a', '/c']);
    expect(written.truncated).toBe(true);
  });

  it('reads a seeded path that is both a file and a directory as a directory', () => {
    const fs = new MemoryFs({ a: 'xy', 'a/b': '' });
    expect(fs.stat('/a')).toEqual({ isDir: true, size: 2 });
    expect(fs.stat('/nope')).toBeUndefined();
  });
});

describe('normalizePath', () => {
  it('resolves against the base and refuses to climb above the root', () => {
    expect(normalizePath('/d', 'x/./y//z')).toBe('/d/x/y/z');
    expect(normalizePath('/d', '../x')).toBe('/x');
    expect(normalizePath('/d', '/abs/../p')).toBe('/p');
    expect(normalizePath('/', '.')).toBe('/');
    expect(normalizePath('/', '..')).toBeUndefined();
    expect(normalizePath('/d', '../../x')).toBeUndefined();
    expect(normalizePath('/', '')).toBeUndefined();
    expect(normalizePath('/', 'a\0')).toBeUndefined();
  });

  it('parentOf stops at the root', () => {
    expect([parentOf('/a/b'), parentOf('/a'), parentOf('/')]).toEqual(['/a', '/', '/']);
  });
});
