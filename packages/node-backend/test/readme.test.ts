import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

it('the README example runs and prints what its comment says', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const example = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const dir = mkdtempSync(join(tmpdir(), 'node-backend-readme-'));
  try {
    const file = join(dir, 'example.mjs');
    // The built package, as a user would import it (tests run after the build).
    const entry = pathToFileURL(join(root, 'dist', 'index.js')).href;
    writeFileSync(file, example.replace("'@memory-mcp/node-backend'", JSON.stringify(entry)));
    const output = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 });
    expect(output.trim()).toBe('ok 42');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
