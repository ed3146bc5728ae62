import type { BoundFile } from './resolve-executable-files.js';
import type { Grant } from './validate-grants.js';

/** Where the jailed program's work directory is, inside the jail. */
export const JAIL_WORK_DIR = '/sandbox';

export interface BwrapPlan {
  /** Executables, their libraries and the caller's runner files, bound read-only. */
  files: readonly BoundFile[];
  grants: readonly Grant[];
  allowNetwork: boolean;
  env: Readonly<Record<string, string>>;
  /** Host directory bound writable at the work directory; without it the work directory is read-only and empty. */
  workDirHostPath?: string;
  tmpBytes: number;
  /** An fd of bwrap's from which it reads a seccomp program to install (`--seccomp`). */
  seccompFd?: number;
  /** The argv run inside: usually `prlimit <limits> -- command args`. */
  argv: readonly string[];
}

/**
 * The bubblewrap command line for one jail. Order matters: bwrap applies operations left to
 * right, so the jail's own /proc, /dev and /tmp come first (a grant under /tmp lands inside the
 * private tmpfs), then the runtime files, then grants parents-first, and `--remount-ro /` last,
 * which freezes the directories bwrap created on the root tmpfs for mount points.
 */
export function buildBwrapArgs(plan: BwrapPlan): string[] {
  const args = [
    '--unshare-all',
    // Named explicitly because --disable-userns insists on it even after --unshare-all.
    '--unshare-user',
    '--disable-userns',
    ...(plan.allowNetwork ? ['--share-net'] : []),
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--hostname',
    'sandbox',
    // The environment is set inside only: env given to bwrap itself (LD_PRELOAD, say) would act on
    // the host side of the wall.
    '--clearenv',
    ...Object.entries(plan.env).flatMap(([name, value]) => ['--setenv', name, value]),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(plan.tmpBytes),
    '--tmpfs',
    '/tmp',
  ];
  for (const file of plan.files) args.push('--ro-bind', file.source, file.target);
  if (plan.workDirHostPath) args.push('--bind', plan.workDirHostPath, JAIL_WORK_DIR);
  else args.push('--dir', JAIL_WORK_DIR);
  for (const grant of plan.grants) args.push(grant.writable ? '--bind' : '--ro-bind', grant.path, grant.path);
  if (plan.seccompFd !== undefined) args.push('--seccomp', String(plan.seccompFd));
  args.push('--remount-ro', '/', '--chdir', JAIL_WORK_DIR, '--', ...plan.argv);
  return args;
}
