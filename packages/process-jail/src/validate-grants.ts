import { realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { InvalidRequestError } from '@memory-mcp/sandbox-core';

/** One host path made visible inside the jail, at the same path. */
export interface Grant {
  path: string;
  writable: boolean;
}

/** Inside-the-jail paths the jail itself owns; a grant there would hide or replace them. */
export const RESERVED_JAIL_PATHS = ['/proc', '/dev', '/sandbox'] as const;

const WILDCARD = /[*?[\]]/;

/**
 * Checks every grant and returns them parents-first, so a nested grant is mounted over its parent
 * and not hidden by it. Throws `InvalidRequestError` naming the field (`readPaths[2]`) for anything
 * that is not an existing, absolute, canonical path: a glob, a `..`, a symlink or a typo must never
 * widen what the jail sees.
 */
export function validateGrants(
  readPaths: readonly string[] = [],
  writePaths: readonly string[] = [],
): Grant[] {
  const grants = [
    ...readPaths.map((path, i) => checkGrant(path, `readPaths[${i}]`, false)),
    ...writePaths.map((path, i) => checkGrant(path, `writePaths[${i}]`, true)),
  ];
  // Depth first, then writes after reads of the same path, so the write wins.
  return grants.sort(
    (a, b) =>
      depth(a.path) - depth(b.path) ||
      a.path.localeCompare(b.path) ||
      Number(a.writable) - Number(b.writable),
  );
}

/** Checks one host path (a grant or a runner file); throws `InvalidRequestError` naming `field`. */
export function checkGrant(path: unknown, field: string, writable: boolean): Grant {
  const fail = (why: string): never => {
    throw new InvalidRequestError(field, `${JSON.stringify(path)} ${why}`);
  };
  if (typeof path !== 'string' || path.length === 0) return fail('must be a non-empty string');
  if (path.includes('\0')) fail('must not contain NUL');
  if (!path.startsWith('/')) fail('must be an absolute path');
  if (WILDCARD.test(path)) fail('must not contain wildcards (* ? [ ])');
  if (path.split('/').some((segment) => segment === '..' || segment === '.'))
    fail('must not contain . or .. segments');
  if (posix.normalize(path) !== path || (path.length > 1 && path.endsWith('/'))) fail('must be normalized');
  if (path === '/') fail('must not be the root directory');
  for (const reserved of RESERVED_JAIL_PATHS) {
    if (path === reserved || path.startsWith(`${reserved}/`))
      fail(`must not be under ${reserved}, which the jail owns`);
  }
  try {
    statSync(path);
  } catch {
    fail('does not exist');
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return fail('cannot be resolved');
  }
  if (real !== path) fail(`must be canonical (it resolves to ${JSON.stringify(real)} through a symlink)`);
  return { path, writable };
}

function depth(path: string): number {
  return path.split('/').length;
}
