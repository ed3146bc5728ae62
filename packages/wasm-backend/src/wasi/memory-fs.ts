/** A tiny in-memory filesystem for one execution: no host path is ever touched. */
export class MemoryFs {
  readonly files = new Map<string, { data: Uint8Array; size: number }>();
  readonly dirs = new Set<string>(['/']);
  /** Paths written (created, truncated or modified) during the run. */
  readonly written = new Set<string>();

  constructor(seed: Record<string, string | Uint8Array> = {}) {
    for (const [rawPath, content] of Object.entries(seed)) {
      const path = normalizePath('/', rawPath);
      if (!path) continue;
      const data = typeof content === 'string' ? new TextEncoder().encode(content) : content.slice();
      this.files.set(path, { data, size: data.length });
      for (let dir = parentOf(path); dir !== '/'; dir = parentOf(dir)) this.dirs.add(dir);
    }
  }

  /** Files the code wrote, with their final content. */
  writtenFiles(): Record<string, Uint8Array> {
    const out: Record<string, Uint8Array> = {};
    for (const path of this.written) {
      const file = this.files.get(path);
      if (file) out[path] = file.data.slice(0, file.size);
    }
    return out;
  }

  listDir(dir: string): Array<{ name: string; isDir: boolean }> {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    const names = new Map<string, boolean>();
    for (const path of this.files.keys()) {
      if (path.startsWith(prefix) && !path.slice(prefix.length).includes('/'))
        names.set(path.slice(prefix.length), false);
    }
    for (const path of this.dirs) {
      if (path !== dir && path.startsWith(prefix) && !path.slice(prefix.length).includes('/')) {
        names.set(path.slice(prefix.length), true);
      }
    }
    return [...names].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, isDir]) => ({ name, isDir }));
  }
}

/**
 * Resolves `path` against directory `base` into a normalized absolute path. Returns undefined for
 * an empty path, one with a NUL byte, or one whose `..` would climb above `/` (outside the preopen).
 */
export function normalizePath(base: string, path: string): string | undefined {
  if (path.length === 0 || path.includes('\0')) return undefined;
  const parts: string[] = [];
  for (const segment of `${path.startsWith('/') ? '' : base}/${path}`.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(segment);
  }
  return `/${parts.join('/')}`;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
