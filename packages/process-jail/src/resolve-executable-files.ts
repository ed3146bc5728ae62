import { execFile } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import { JailUnavailableError } from './errors/jail-unavailable-error.js';
import { findExecutable } from './find-executable.js';

/** A host file bound read-only into the jail: `source` is the real file, `target` where the loader looks. */
export interface BoundFile {
  source: string;
  target: string;
}

const cache = new Map<string, Promise<BoundFile[]>>();

/**
 * An executable and everything the dynamic loader maps for it (its ELF interpreter and shared
 * libraries), as `ldd` resolves them on the host. Each library is bound at the path the loader
 * found it at, so it finds it at the same place inside; the real file behind any symlink is the
 * source. Cached per file identity (path, inode, mtime): `ldd` costs a process and ~10 ms.
 */
export function resolveExecutableFiles(executable: string, field = 'command'): Promise<BoundFile[]> {
  if (!executable.startsWith('/')) {
    return Promise.reject(
      new InvalidRequestError(field, `${JSON.stringify(executable)} must be an absolute path`),
    );
  }
  let key: string;
  try {
    const stat = statSync(executable);
    if (!stat.isFile()) throw new Error('not a file');
    key = `${executable}\0${stat.ino}\0${stat.mtimeMs}`;
  } catch {
    return Promise.reject(
      new InvalidRequestError(field, `${JSON.stringify(executable)} is not an existing file`),
    );
  }
  let files = cache.get(key);
  if (!files) {
    files = listLoadedFiles(executable);
    // A failure is not cached: the operator may install the missing library and retry.
    files.catch(() => cache.delete(key));
    cache.set(key, files);
  }
  return files;
}

/** Parses `ldd` output; exported for tests. */
export function parseLdd(output: string): { paths: string[]; missing: string[] } {
  const paths: string[] = [];
  const missing: string[] = [];
  for (const line of output.split('\n')) {
    const arrow = /^\s*(\S+)\s+=>\s+(.+?)\s*(?:\(0x[0-9a-f]+\))?\s*$/.exec(line);
    if (arrow) {
      const [, name, where] = arrow;
      if (where === 'not found') missing.push(name!);
      else if (where!.startsWith('/')) paths.push(where!);
      continue;
    }
    // The interpreter line: `/lib64/ld-linux-x86-64.so.2 (0x...)`; the vDSO has no path and is skipped.
    const direct = /^\s*(\/\S+)\s+\(0x[0-9a-f]+\)\s*$/.exec(line);
    if (direct) paths.push(direct[1]!);
  }
  return { paths, missing };
}

async function listLoadedFiles(executable: string): Promise<BoundFile[]> {
  const ldd = findExecutable('ldd');
  if (!ldd) throw new JailUnavailableError({ reason: 'ldd not found', fix: 'apt-get install libc-bin' });
  const output = await new Promise<string>((resolve) => {
    execFile(ldd, [executable], { env: { LC_ALL: 'C' }, timeout: 20_000 }, (error, stdout) => {
      // A static binary or a script makes ldd exit 1 ("not a dynamic executable"): it needs no libraries.
      resolve(error ? '' : stdout);
    });
  });
  const { paths, missing } = parseLdd(output);
  if (missing.length > 0) {
    throw new JailUnavailableError({
      reason: `${executable} needs ${missing.join(', ')}, which the loader cannot find`,
      fix: `install the package that provides ${missing[0]}`,
    });
  }
  const seen = new Set<string>();
  const files: BoundFile[] = [];
  for (const target of [executable, ...paths]) {
    if (seen.has(target)) continue;
    seen.add(target);
    files.push({ source: realpathSync(target), target });
  }
  return files;
}
