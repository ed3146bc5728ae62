#!/usr/bin/env node
// `pnpm bench`: runs the `bench` script of every workspace package that has one, then writes
// bench/results/results.json and bench/results/results.md at the root and prints the table.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt } from './bench-lib.mjs';

const root = new URL('..', import.meta.url).pathname;
const only = process.argv.slice(2);
const packages = ['packages', 'apps']
  .flatMap((dir) =>
    existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((name) => join(root, dir, name)) : [],
  )
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.scripts?.bench)
  .filter(({ manifest }) => only.length === 0 || only.some((o) => manifest.name.includes(o)));

const scratch = mkdtempSync(join(tmpdir(), 'memory-mcp-bench-'));
const rows = [];
for (const { dir, manifest } of packages) {
  const out = join(scratch, `${manifest.name.replace(/\W+/g, '_')}.jsonl`);
  writeFileSync(out, '');
  console.error(`\n# ${manifest.name}: ${manifest.scripts.bench}`);
  execFileSync('pnpm', ['run', '--silent', 'bench'], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, BENCH_OUT: out },
  });
  for (const line of readFileSync(out, 'utf8').split('\n')) if (line.trim()) rows.push(JSON.parse(line));
}

const machine = `${process.platform}-${process.arch}, node ${process.version}, ${(await import('node:os')).cpus().length} cores`;
const header =
  '| package | benchmark | median | p95 | runs | ratio | target | note |\n|---|---|---|---|---|---|---|---|';
const table = rows
  .map(
    (r) =>
      `| ${r.package} | ${r.benchmark} | ${fmt(r.median)} ${r.unit} | ${r.p95 === undefined ? '' : `${fmt(r.p95)} ${r.unit}`} | ${r.runs ?? ''} | ${r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`} | ${r.target ?? ''} | ${r.note ?? ''} |`,
  )
  .join('\n');
const markdown = `# Benchmarks\n\n${new Date().toISOString()} on ${machine}. Made by \`pnpm bench\`.\n\n${header}\n${table}\n`;
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/results.json'),
  `${JSON.stringify({ machine, date: new Date().toISOString(), rows }, null, 2)}\n`,
);
writeFileSync(join(root, 'bench/results/results.md'), markdown);
console.log(`\n${markdown}`);
