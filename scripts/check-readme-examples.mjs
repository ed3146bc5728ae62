#!/usr/bin/env node
// Runs every ```ts / ```js block of every package README, so the examples stay true. A block
// whose info string says `no-run` (for example ```ts no-run) is only a fragment and is skipped by
// design; everything else must exit 0 within two minutes. Each block is compiled with esbuild
// and run from a scratch folder inside its package that links every workspace package, so it
// imports packages by name exactly as a user who installed them would.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const { transformSync } = require('esbuild');

const readmes = execFileSync('git', ['ls-files', 'README.md', '*/README.md', '*/*/README.md'], { cwd: root })
  .toString()
  .split('\n')
  .filter(Boolean);

// Every workspace package, so an example may import any of them, as a user who installed them would.
const workspace = execFileSync(
  'git',
  ['ls-files', 'packages/*/package.json', 'apps/*/package.json', 'examples/*/package.json'],
  { cwd: root },
)
  .toString()
  .split('\n')
  .filter(Boolean)
  .map((file) => ({
    name: JSON.parse(readFileSync(join(root, file), 'utf8')).name,
    dir: join(root, dirname(file)),
  }));

/** A scratch folder in the README's package whose node_modules links every workspace package. */
function scratch(dir) {
  const folder = join(dir, '.readme-example');
  rmSync(folder, { recursive: true, force: true });
  for (const { name, dir: target } of workspace) {
    const link = join(folder, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    if (!existsSync(link)) symlinkSync(target, link, 'dir');
  }
  return folder;
}

const only = process.argv[2];
let ran = 0;
const failures = [];
for (const readme of readmes) {
  if (only && !readme.includes(only)) continue;
  const text = readFileSync(join(root, readme), 'utf8');
  const blocks = [...text.matchAll(/^```(ts|js|typescript|javascript)((?:[ \t][^\n]*)?)\n([\s\S]*?)^```/gm)];
  blocks.forEach((match, index) => {
    const [, lang, info, source] = match;
    if (info.includes('no-run')) return;
    const dir = scratch(join(root, dirname(readme)));
    const file = join(dir, `example-${index}.mjs`);
    const label = `${readme} block ${index + 1}`;
    try {
      const loader = lang.startsWith('t') ? 'ts' : 'js';
      writeFileSync(file, transformSync(source, { loader, format: 'esm', target: 'node22' }).code);
      execFileSync(process.execPath, [file], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 120_000,
      });
      ran++;
      console.log(`ok   ${label}`);
    } catch (error) {
      failures.push(label);
      console.log(
        `FAIL ${label}\n${String(error.stderr ?? error.message)
          .trim()
          .slice(0, 2000)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
console.log(
  `${ran} README example(s) ran, ${failures.length} failed (${relative(process.cwd(), root) || '.'})`,
);
process.exit(failures.length > 0 ? 1 : 0);
