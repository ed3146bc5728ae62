#!/usr/bin/env node
// Proves each publishable package works outside the monorepo: `pnpm pack` every package, install
// each tarball into an empty project with plain npm (its sibling dependencies from their own
// tarballs, as they would come from the registry), then load every export from ESM and CommonJS.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const work = join(tmpdir(), `memory-mcp-pack-check-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'tarballs'), { recursive: true });

const packages = ['packages', 'apps']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name)))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private);

const tarballs = new Map();
for (const { dir, manifest } of packages) {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', join(work, 'tarballs')], {
    cwd: dir,
    encoding: 'utf8',
  });
  const file = out.trim().split('\n').pop().trim();
  tarballs.set(manifest.name, file);
}

/** The package and, transitively, the siblings it depends on. */
function closure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const pkg = packages.find((p) => p.manifest.name === name);
  for (const dep of Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.peerDependencies })) {
    if (tarballs.has(dep)) closure(dep, seen);
  }
  return seen;
}

let failures = 0;
for (const { manifest } of packages) {
  const name = manifest.name;
  const project = join(work, name.replace(/\W+/g, '_'));
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'pack-check', private: true, version: '0.0.0' }),
  );
  const packed = JSON.parse(
    execFileSync('tar', ['-xOzf', tarballs.get(name), 'package/package.json'], { encoding: 'utf8' }),
  );
  const leftovers = JSON.stringify(packed).match(/workspace:[^"]*/g);
  if (leftovers) {
    console.error(`✗ ${name}: packed manifest still has ${leftovers.join(', ')}`);
    failures++;
    continue;
  }
  const optionalPeers = new Set(Object.keys(packed.peerDependenciesMeta ?? {}));
  const npmInstall = (specs) =>
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
      cwd: project,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  npmInstall([...closure(name)].map((n) => tarballs.get(n)));
  // An entry that needs an optional peer (vitest for /testing) gets it installed, as a user would.
  const load = (args) => {
    for (;;) {
      try {
        return execFileSync(process.execPath, args, { cwd: project, stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (error) {
        const missing = /Cannot find (?:package|module) '([^']+)'/.exec(error.stderr?.toString() ?? '')?.[1];
        const peer = missing && [...optionalPeers].find((p) => missing === p || missing.startsWith(`${p}/`));
        if (!peer) throw error;
        optionalPeers.delete(peer);
        npmInstall([`${peer}@${packed.peerDependencies[peer]}`]);
      }
    }
  };
  for (const [bin, target] of Object.entries(packed.bin ?? {})) {
    // Command-line packages must run from the installed tarballs: `memory-mcp doctor` starts every
    // backend (so worker and runner files must resolve in an installed layout); `memory-mcp-javy`
    // compiles a script with the engine files that ship in its tarball.
    const exe = join(project, 'node_modules', '.bin', bin);
    try {
      let summary;
      if (bin === 'memory-mcp-javy') {
        writeFileSync(join(project, 'hello.js'), "console.log('hi'); return 42;");
        execFileSync(exe, ['build', 'hello.js', '-o', 'hello.wasm'], {
          cwd: project,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        const bytes = readFileSync(join(project, 'hello.wasm'));
        if (!WebAssembly.validate(bytes)) throw new Error('not a valid module');
        summary = `built a ${bytes.length}-byte module`;
      } else {
        const out = execFileSync(exe, ['doctor'], {
          cwd: project,
          encoding: 'utf8',
          env: { ...process.env, MEMORY_MCP_DATA_DIR: join(project, 'data') },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        summary = out.trim().split('\n').at(-1);
      }
      console.log(`✓ ${bin} (${target}): ${summary}`);
    } catch (error) {
      failures++;
      console.error(
        `✗ ${bin}: ${(error.stdout ?? '').toString()}${(error.stderr ?? '').toString()}${error.message}`,
      );
    }
  }
  const subpaths = Object.keys(packed.exports ?? { '.': {} }).filter((k) => !k.endsWith('.json'));
  for (const subpath of subpaths) {
    const specifier = subpath === '.' ? name : `${name}/${subpath.slice(2)}`;
    const entry = packed.exports?.[subpath];
    const esmOnly =
      entry &&
      typeof entry === 'object' &&
      !('require' in entry) &&
      !('node' in entry) &&
      'default' in entry &&
      !('import' in entry);
    if (esmOnly) console.log(`- ${specifier} (cjs): skipped, the manifest declares this entry ESM-only`);
    for (const [kind, args] of [
      [
        'esm',
        [
          '--input-type=module',
          '-e',
          `const m = await import('${specifier}'); if (!Object.keys(m).length) throw new Error('no exports');`,
        ],
      ],
      [
        'cjs',
        [
          '-e',
          `const m = require('${specifier}'); if (!Object.keys(m).length) throw new Error('no exports');`,
        ],
      ],
    ].filter(([kind]) => !(esmOnly && kind === 'cjs'))) {
      try {
        load(args);
        console.log(`✓ ${specifier} (${kind})`);
      } catch (error) {
        failures++;
        console.error(
          `✗ ${specifier} (${kind}): ${error.stderr?.toString().trim().split('\n').slice(-3).join(' | ')}`,
        );
      }
    }
  }
}
rmSync(work, { recursive: true, force: true });
if (failures) {
  console.error(`pack check: ${failures} failure(s)`);
  process.exit(1);
}
console.log(`pack check: ${packages.length} package(s) install and load alone from ESM and CommonJS`);
