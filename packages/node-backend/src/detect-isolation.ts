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

/** Detects, once per process, which isolation mechanisms this OS and Node version offer. */
export function detectIsolation(): IsolationSupport {
  if (cached) return cached;
  const major = Number(process.versions.node.split('.')[0]);
  const support: IsolationSupport = { networkIsolation: 'guard' };
  if (major >= 22) support.permissionFlag = '--permission';
  else if (major === 20 || major === 21) support.permissionFlag = '--experimental-permission';

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
