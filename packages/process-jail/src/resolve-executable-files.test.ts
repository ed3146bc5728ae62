import { describe, expect, it } from 'vitest';
import { parseLdd, resolveExecutableFiles } from './resolve-executable-files.js';

describe('resolveExecutableFiles', () => {
  it('parses ldd output: libraries, the interpreter, no vDSO, missing libraries', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd1b5f2000)',
      '\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f52b967e000)',
      '\tlibfoo.so.1 => not found',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f52b9696000)',
    ].join('\n');
    expect(parseLdd(output)).toEqual({
      paths: ['/lib/x86_64-linux-gnu/libdl.so.2', '/lib64/ld-linux-x86-64.so.2'],
      missing: ['libfoo.so.1'],
    });
  });

  it.skipIf(process.platform !== 'linux')(
    'finds node, its loader and libc, and caches the answer',
    async () => {
      const files = await resolveExecutableFiles(process.execPath);
      expect(files[0]!.target).toBe(process.execPath);
      expect(files.some((f) => /\/ld-linux[^/]*\.so/.test(f.target) || /ld-musl/.test(f.target))).toBe(true);
      expect(files.some((f) => /libc\.so/.test(f.target) || /ld-musl/.test(f.target))).toBe(true);
      expect(await resolveExecutableFiles(process.execPath)).toBe(files);
    },
  );

  it('rejects relative or missing executables with InvalidRequestError', async () => {
    await expect(resolveExecutableFiles('node')).rejects.toMatchObject({ field: 'command' });
    await expect(resolveExecutableFiles('/nonexistent/node')).rejects.toMatchObject({ field: 'command' });
  });
});
