/**
 * One wall between the jailed program and the host, reported in `JailHandle.walls` so a backend
 * can put "which walls were up" into its result as data.
 */
export type JailWall =
  | 'user-namespace'
  | 'mount-namespace'
  | 'pid-namespace'
  | 'network-namespace'
  | 'ipc-namespace'
  | 'uts-namespace'
  | 'cgroup-namespace'
  | 'no-nested-user-namespaces'
  | 'minimal-root'
  | 'no-capabilities'
  | 'unprivileged-uid'
  | 'clean-env'
  | 'rlimit-data'
  | 'rlimit-fsize'
  | 'rlimit-nofile'
  | 'rlimit-nproc'
  | 'rlimit-stack'
  | 'rlimit-core'
  /** seccomp: `socket(AF_UNIX)` fails, so no filesystem socket is reachable (`denyUnixSockets`). */
  | 'seccomp-no-unix-sockets';

/** The level of isolation a jail runs at. */
export type IsolationLevel = 'namespaces' | 'permission-model';
