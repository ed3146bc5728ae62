import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

// Where Debian and most distributions put system tools, searched even when the server's PATH is
// minimal (a service manager often starts it with almost none).
const SYSTEM_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];

/** Absolute path of an executable found in the system directories or PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  const pathDirs = (process.env.PATH ?? '').split(':').filter((dir) => dir.startsWith('/'));
  for (const dir of [...SYSTEM_DIRS, ...pathDirs]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}
