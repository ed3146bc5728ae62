import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import { afterAll, describe, expect, it } from 'vitest';
import { validateGrants } from './validate-grants.js';

const base = mkdtempSync(join(tmpdir(), 'process-jail-grants-'));
mkdirSync(join(base, 'a', 'b'), { recursive: true });
symlinkSync(join(base, 'a'), join(base, 'link'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function fieldOf(read: string[], write: string[] = []): string | undefined {
  try {
    validateGrants(read, write);
    return undefined;
  } catch (error) {
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    return (error as InvalidRequestError).field;
  }
}

describe('validateGrants', () => {
  it('accepts canonical existing paths and orders parents first, writes over reads', () => {
    const grants = validateGrants([join(base, 'a', 'b'), join(base, 'a')], [join(base, 'a')]);
    expect(grants).toEqual([
      { path: join(base, 'a'), writable: false },
      { path: join(base, 'a'), writable: true },
      { path: join(base, 'a', 'b'), writable: false },
    ]);
  });

  it.each([
    ['relative', 'tmp/x'],
    ['empty', ''],
    ['star', `${base}/*`],
    ['question mark', `${base}/a?`],
    ['bracket', `${base}/[ab]`],
    ['dot-dot', `${base}/a/../a`],
    ['dot', `${base}/./a`],
    ['double slash', `${base}//a`],
    ['trailing slash', `${base}/a/`],
    ['root', '/'],
    ['proc', '/proc/self'],
    ['dev', '/dev'],
    ['missing', `${base}/nope`],
    ['symlink', `${base}/link`],
    ['NUL', `${base}/a\0`],
  ])('rejects %s, naming the field', (_, path) => {
    expect(fieldOf([path])).toBe('readPaths[0]');
    expect(fieldOf([join(base, 'a')], [join(base, 'a'), path])).toBe('writePaths[1]');
  });

  it('rejects values that are not strings', () => {
    expect(fieldOf([42 as unknown as string])).toBe('readPaths[0]');
  });
});
