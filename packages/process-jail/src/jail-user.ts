/** The host identity a jailed process runs as. */
export interface JailUser {
  uid: number;
  gid: number;
}

/**
 * `nobody` (65534), which owns nothing on a normal host. Only root can switch to it; anyone else
 * jails as themselves, which is already not root.
 */
export const NOBODY: Readonly<JailUser> = Object.freeze({ uid: 65534, gid: 65534 });

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The user to run as: the caller's choice, else `nobody` when root, else the current user. */
export function resolveJailUser(user?: JailUser): JailUser | undefined {
  if (user) return user;
  if (isRoot()) return NOBODY;
  return undefined;
}
