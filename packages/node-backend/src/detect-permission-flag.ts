import { spawnSync } from 'node:child_process';

const cache = new Map<string, PermissionFlag | undefined>();

const PERMISSION_FLAGS = ['--permission', '--experimental-permission'] as const;
export type PermissionFlag = (typeof PERMISSION_FLAGS)[number];

/**
 * The permission flag this Node accepts, found by trying each one: `--permission` exists from
 * 22.13 and 23.5, `--experimental-permission` before (20.x, 22.0 to 22.12). A version table would
 * get the 22.0–22.12 range wrong, where Node exits with code 9 on the flag it does not know.
 */
export function detectPermissionFlag(execPath: string = process.execPath): PermissionFlag | undefined {
  if (cache.has(execPath)) return cache.get(execPath);
  let found: PermissionFlag | undefined;
  for (const flag of PERMISSION_FLAGS) {
    const probe = spawnSync(
      execPath,
      ['--no-warnings', flag, '-e', 'process.exit(process.permission ? 0 : 3)'],
      {
        stdio: 'ignore',
        timeout: 10_000,
        env: {},
      },
    );
    if (probe.status === 0) {
      found = flag;
      break;
    }
  }
  cache.set(execPath, found);
  return found;
}
