import { spawnSync } from 'node:child_process';
import type { NetworkIsolation } from '@memory-mcp/sandbox-core';

export interface IsolationSupport {
  /** The flag that turns Node's permission model on, or undefined when this Node has none. */
  permissionFlag?: '--permission' | '--experimental-permission';
  /** What keeps the code off the network when the policy denies it. */
  networkIsolation: Extract<NetworkIsolation, 'namespace' | 'guard'>;
  /** `unshare` arguments that put the child in its own user, network and PID namespaces. */
  namespaceArgs?: string[];
  /** Why there is no namespace, when there is none. */
  namespaceProblem?: string;
}

const NAMESPACE_ARGS = ['--user', '--map-root-user', '--net', '--pid', '--fork', '--kill-child'];

let cached: IsolationSupport | undefined;

const PERMISSION_FLAGS = ['--permission', '--experimental-permission'] as const;

/**
 * The permission flag this Node accepts, found by trying each one: `--permission` exists from
 * 22.13 and 23.5, `--experimental-permission` before (20.x, 22.0 to 22.12). A version table would
 * get the 22.0–22.12 range wrong, where Node exits with code 9 on the flag it does not know.
 */
export function detectPermissionFlag(
  execPath: string = process.execPath,
): (typeof PERMISSION_FLAGS)[number] | undefined {
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
    if (probe.status === 0) return flag;
  }
  return undefined;
}

/** Detects, once per process, which isolation mechanisms this OS and Node version offer. */
export function detectIsolation(): IsolationSupport {
  if (cached) return cached;
  const support: IsolationSupport = { networkIsolation: 'guard' };
  const flag = detectPermissionFlag();
  if (flag) support.permissionFlag = flag;

  if (process.platform !== 'linux') {
    support.namespaceProblem = `no network namespaces on ${process.platform}`;
  } else {
    const probe = spawnSync(
      'unshare',
      [
        ...NAMESPACE_ARGS,
        '--',
        process.execPath,
        '-e',
        'process.exit(require("os").networkInterfaces().eth0 ? 3 : 0)',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 10_000,
        env: {},
      },
    );
    if (probe.error) support.namespaceProblem = `unshare unavailable: ${probe.error.message}`;
    else if (probe.status !== 0) {
      support.namespaceProblem = `unshare failed (status ${probe.status}): ${probe.stderr.toString().trim().slice(0, 200)}`;
    } else {
      support.networkIsolation = 'namespace';
      support.namespaceArgs = NAMESPACE_ARGS;
    }
  }
  cached = support;
  return support;
}
