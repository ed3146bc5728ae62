import { spawn } from 'node:child_process';

const cache = new Map<string, Promise<PermissionFlag | undefined>>();

const PERMISSION_FLAGS = ['--permission', '--experimental-permission'] as const;
export type PermissionFlag = (typeof PERMISSION_FLAGS)[number];

/** Runs `execPath args`, ignoring its output: its exit code, or null when it did not exit in time. */
function exitCode(execPath: string, args: string[], timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(execPath, args, { stdio: 'ignore', env: {}, timeout: timeoutMs });
    child.once('error', () => resolve(null));
    child.once('exit', (code) => resolve(code));
  });
}

/**
 * The permission flag this Node accepts, found by trying each one: `--permission` exists from
 * 22.13 and 23.5, `--experimental-permission` before (20.x, 22.0 to 22.12). A version table would
 * get the 22.0–22.12 range wrong, where Node exits with code 9 on the flag it does not know. Both
 * probes run side by side, without blocking the event loop; the answer is cached per binary.
 */
export function detectPermissionFlag(
  execPath: string = process.execPath,
): Promise<PermissionFlag | undefined> {
  let found = cache.get(execPath);
  if (!found) {
    found = Promise.all(
      PERMISSION_FLAGS.map((flag) =>
        exitCode(execPath, ['--no-warnings', flag, '-e', 'process.exit(process.permission ? 0 : 3)'], 10_000),
      ),
    ).then((codes) => PERMISSION_FLAGS[codes.indexOf(0)]);
    cache.set(execPath, found);
  }
  return found;
}
