#!/usr/bin/env node
// Measures ECMAScript conformance of a backend against a local test262 checkout (issue #14).
//
//   node scripts/test262.mjs --root /tmp/test262 [--sample N] [--seed S] [--backend wasm|node]
//        [--concurrency K] [--isolation namespaces|permission-model] [--json out.json]
//
// test262 itself is never part of this repository: clone or export it anywhere and pass --root.
// The backends come from the built dist/ folders of this monorepo (run `pnpm build` first).
//
// What runs, and how:
// - Tests under test/language and test/built-ins. Not test/intl402 (ECMA-402), test/staging (not yet
//   reviewed) or test/annexB (web-browser legacy).
// - Only ES2024 and earlier: a test with any feature in POST_ES2024 or HOST_FEATURES is skipped, and
//   so are `flags: [module]` tests (code runs here as a script, never as a module), tests driving
//   other agents through `$262.agent`, and `CanBlockIsFalse` tests (we act like a shell whose main
//   agent may block, as d8 and node do). Every skip is counted by reason in the report.
// - Each test runs once, in its default mode: strict when `onlyStrict`, verbatim when `raw`, else
//   non-strict (the `noStrict`-or-both tests are not run a second time in strict mode).
// - Source = harness/assert.js + harness/sta.js + each `includes` file + the test, as test262's
//   INTERPRETING.md asks; `"use strict";` goes first for onlyStrict tests. Async tests get our own
//   `$DONE` instead of doneprintHandle.js.
// - The backends run the body of an async function, so the source travels as `input.src` and goes
//   through an indirect eval, which gives global-code semantics apart from two known differences:
//   top-level `var`/function bindings are deletable, and strict code keeps its `var`s to itself.
// - Negative tests pass iff evaluation throws the expected error type. Parse-phase tests start with
//   `$DONOTEVALUATE()`, so a SyntaxError from them can only come from parsing.
// - A test passes iff the backend answers `ok` with the string 'pass'. Timeouts and out-of-fuel
//   runs are failures, listed apart in the JSON report.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

// Features from ES2025 on, or still proposals, as tagged in test262's features.txt (checked at
// tc39/test262 be13516f, August 2026). ES2025: Float16Array, iterator-helpers, set-methods,
// promise-try, RegExp.escape, regexp-modifiers, regexp-duplicate-named-groups, json-modules and
// import-attributes. ES2026 and later: the rest of the standard section's newcomers (Math.sumPrecise,
// Error.isError, uint8array-base64, upsert, Array.fromAsync, explicit-resource-management,
// json-parse-with-source, Atomics.pause, iterator-sequencing/-chunking/-includes, joint-iteration,
// Temporal, canonical-tz). Everything in the "proposed" section is stage 3. Intl.* is matched by prefix.
const POST_ES2024 = new Set([
  'Float16Array',
  'iterator-helpers',
  'set-methods',
  'promise-try',
  'RegExp.escape',
  'regexp-modifiers',
  'regexp-duplicate-named-groups',
  'json-modules',
  'import-attributes',
  'Math.sumPrecise',
  'Error.isError',
  'uint8array-base64',
  'upsert',
  'Array.fromAsync',
  'explicit-resource-management',
  'json-parse-with-source',
  'Atomics.pause',
  'iterator-sequencing',
  'iterator-chunking',
  'iterator-includes',
  'joint-iteration',
  'Temporal',
  'canonical-tz',
  // stage 3 proposals
  'legacy-regexp',
  'ShadowRealm',
  'decorators',
  'source-phase-imports',
  'source-phase-imports-module-source',
  'import-defer',
  'export-defer',
  'import-text',
  'immutable-arraybuffer',
  'import-bytes',
  'nonextensible-applies-to-private',
  'await-dictionary',
  'error-stack-accessor',
  'Iterator.prototype.join',
]);

// In ES2024 or earlier but needing what a single script on one agent cannot have: proper tail calls
// (only JavaScriptCore ships them), other realms ($262.createRealm), the [[IsHTMLDDA]] object, a
// forced GC, and Atomics.waitAsync (ES2024, but its tests wait on other agents or host timers).
const HOST_FEATURES = new Set([
  'tail-call-optimization',
  'cross-realm',
  'IsHTMLDDA',
  'host-gc-required',
  'Atomics.waitAsync',
]);

// Runs inside the sandbox as the body of an async function; answers 'pass' or 'fail: why'.
const DRIVER = `
const { src, isAsync, negative } = input;
const Expected = negative ? globalThis[negative.type] : undefined;
const transfer = typeof ArrayBuffer.prototype.transfer === 'function' ? ArrayBuffer.prototype.transfer : undefined;
const clone = typeof structuredClone === 'function' ? structuredClone : undefined;
const describe = (e) => {
  try {
    if (e !== null && typeof e === 'object' && 'message' in e) {
      return String((e.constructor && e.constructor.name) || e.name) + ': ' + String(e.message);
    }
    return 'threw ' + String(e);
  } catch {
    return 'threw something that cannot be described';
  }
};
globalThis.$262 = {
  global: globalThis,
  evalScript: (text) => (0, eval)(text),
  detachArrayBuffer(buffer) {
    if (transfer) transfer.call(buffer);
    else if (clone) clone(buffer, { transfer: [buffer] });
    else throw new TypeError('no way to detach an ArrayBuffer here');
    return null;
  },
};
// INTERPRETING.md asks hosts for a global print(); its output is not needed here.
if (typeof print !== 'function') globalThis.print = (value) => void String(value);
let finish;
const completion = new Promise((resolve) => { finish = resolve; });
globalThis.$DONE = (error) => finish(error ? 'fail: ' + describe(error) : 'pass');
try {
  (0, eval)(src);
} catch (error) {
  if (!negative) return 'fail: ' + describe(error);
  const Type = Expected || globalThis[negative.type];
  if (typeof Type === 'function' && error instanceof Type) return 'pass';
  return 'fail: expected ' + negative.type + ' (' + negative.phase + '), got ' + describe(error);
}
if (negative) return 'fail: expected ' + negative.type + ' (' + negative.phase + '), nothing was thrown';
return isAsync ? completion : 'pass';
`;

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const LIMITS = { timeoutMs: 10_000, fuel: 1e12 };

const { values: opts } = parseArgs({
  options: {
    root: { type: 'string' },
    sample: { type: 'string' },
    seed: { type: 'string', default: '262' },
    backend: { type: 'string', default: 'wasm' },
    concurrency: { type: 'string', default: '2' },
    isolation: { type: 'string' },
    json: { type: 'string' },
  },
});
if (!opts.root) {
  console.error(
    'usage: node scripts/test262.mjs --root <test262 checkout> [--sample N] [--seed S] ' +
      '[--backend wasm|node] [--concurrency K] [--isolation namespaces|permission-model] [--json out.json]',
  );
  process.exit(2);
}
const root = path.resolve(opts.root);
const concurrency = Math.max(1, Number(opts.concurrency));

// --- Selection ---------------------------------------------------------------------------------

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.name.endsWith('.js') && !entry.name.includes('_FIXTURE')) yield full;
  }
}

/** A YAML list from the frontmatter, inline (`key: [a, b]`) or as a block (`key:\n  - a`). */
function list(meta, key) {
  const inline = meta.match(new RegExp(`^${key}:[ \\t]*\\[([^\\]]*)\\]`, 'm'));
  const block = meta.match(new RegExp(`^${key}:[ \\t]*\\n((?:[ \\t]+-.*(?:\\n|$))+)`, 'm'));
  const items = inline
    ? inline[1].split(',')
    : block
      ? block[1].split('\n').map((l) => l.replace(/^\s*-/, ''))
      : [];
  return items
    .map((s) =>
      s
        .replace(/#.*/, '')
        .trim()
        .replace(/^['"]|['"]$/g, ''),
    )
    .filter(Boolean);
}

function parseTest(file) {
  const text = readFileSync(file, 'utf8');
  const meta = text.match(/\/\*---([\s\S]*?)---\*\//)?.[1] ?? '';
  const negativeBlock = meta.match(/^negative:[ \t]*\n((?:[ \t]+.*(?:\n|$))+)/m)?.[1];
  const rel = path.relative(path.join(root, 'test'), file).split(path.sep).join('/');
  const parts = rel.split('/');
  return {
    path: rel,
    dir: parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0],
    text,
    includes: list(meta, 'includes'),
    flags: list(meta, 'flags'),
    features: list(meta, 'features'),
    negative: negativeBlock && {
      phase: negativeBlock.match(/phase:\s*(\S+)/)?.[1],
      type: negativeBlock.match(/type:\s*(\S+)/)?.[1],
    },
  };
}

/** Why a test is left out, or undefined when it runs. */
function skipReason(test) {
  for (const f of test.features) {
    if (POST_ES2024.has(f) || f.startsWith('Intl')) return `feature after ES2024: ${f}`;
    if (HOST_FEATURES.has(f)) return `host feature: ${f}`;
  }
  if (test.flags.includes('module')) return 'flags: [module]';
  if (test.flags.includes('CanBlockIsFalse')) return 'flags: [CanBlockIsFalse]';
  if (test.text.includes('$262.agent')) return 'needs $262.agent';
  return undefined;
}

/** mulberry32: a small seeded generator, so a sample is the same on every machine. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** N tests spread over the two-level directories in proportion to their size (largest remainder). */
function stratifiedSample(tests, n, seed) {
  if (n >= tests.length) return tests;
  const rand = random(seed);
  const groups = new Map();
  for (const t of tests) (groups.get(t.dir) ?? groups.set(t.dir, []).get(t.dir)).push(t);
  const shares = [...groups].map(([dir, items]) => {
    const exact = (items.length * n) / tests.length;
    return { dir, items, take: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = n - shares.reduce((sum, s) => sum + s.take, 0);
  for (const s of [...shares].sort((a, b) => b.rest - a.rest || (a.dir < b.dir ? -1 : 1))) {
    if (left-- <= 0) break;
    s.take++;
  }
  const picked = [];
  for (const { items, take } of shares) {
    const pool = [...items];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    picked.push(...pool.slice(0, take));
  }
  return picked.sort((a, b) => (a.path < b.path ? -1 : 1));
}

// --- Source -----------------------------------------------------------------------------------

const harnessCache = new Map();
function harness(name) {
  if (!harnessCache.has(name)) harnessCache.set(name, readFileSync(path.join(root, 'harness', name), 'utf8'));
  return harnessCache.get(name);
}

function source(test) {
  if (test.flags.includes('raw')) return test.text;
  const names = [
    'assert.js',
    'sta.js',
    ...test.includes.filter((n) => !['assert.js', 'sta.js', 'doneprintHandle.js'].includes(n)),
  ];
  const strict = test.flags.includes('onlyStrict') ? '"use strict";\n' : '';
  return `${strict}${names.map(harness).join('\n')}\n${test.text}`;
}

// --- Backends ---------------------------------------------------------------------------------

async function openBackend(kind) {
  const isolation = opts.isolation ? { isolation: opts.isolation } : {};
  const dist = (pkg) => pathToFileURL(path.join(REPO, 'packages', pkg, 'dist/index.js')).href;
  if (kind === 'wasm') {
    const { WasmBackend } = await import(dist('wasm-backend'));
    return new WasmBackend({
      executorCompiler: { module: dist('javy-compiler'), options: { mode: 'dynamic' } },
      maxConcurrency: concurrency,
      ...isolation,
    });
  }
  if (kind === 'node') {
    const { NodeBackend } = await import(dist('node-backend'));
    return new NodeBackend({ maxConcurrency: concurrency, poolSize: concurrency, ...isolation });
  }
  throw new Error(`unknown backend ${kind} (wasm or node)`);
}

async function runTest(backend, test) {
  const input = { src: source(test), isAsync: test.flags.includes('async'), negative: test.negative };
  try {
    const result = await backend.execute({ language: 'javascript', code: DRIVER, input, limits: LIMITS });
    if (result.status === 'ok' && result.value === 'pass') return { pass: true };
    const message =
      result.status === 'ok'
        ? String(result.value ?? 'fail: the test ended without calling $DONE')
        : `${result.status}: ${result.error?.kind ?? ''}: ${result.error?.message ?? ''}`;
    return { pass: false, status: result.status, message: message.split('\n')[0].slice(0, 300) };
  } catch (error) {
    return { pass: false, status: 'host-error', message: String(error?.message ?? error).split('\n')[0] };
  }
}

// --- Main -------------------------------------------------------------------------------------

const skipped = new Map();
const selected = [];
for (const top of ['language', 'built-ins']) {
  for (const file of walk(path.join(root, 'test', top))) {
    const test = parseTest(file);
    const reason = skipReason(test);
    if (reason) skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
    else {
      test.text = undefined; // re-read when run, to keep memory flat
      selected.push(test);
    }
  }
}
const seed = Number(opts.seed);
const tests = opts.sample ? stratifiedSample(selected, Number(opts.sample), seed) : selected;
console.error(
  `${selected.length} tests selected, ${[...skipped.values()].reduce((a, b) => a + b, 0)} skipped; running ${tests.length} on ${opts.backend}`,
);

const backend = await openBackend(opts.backend);
const results = new Array(tests.length);
const started = performance.now();
let next = 0;
let finished = 0;
async function lane() {
  while (next < tests.length) {
    const i = next++;
    const test = tests[i];
    test.text = readFileSync(path.join(root, 'test', test.path), 'utf8');
    results[i] = { ...(await runTest(backend, test)), path: test.path, dir: test.dir };
    test.text = undefined;
    if (++finished % 500 === 0 || finished === tests.length) {
      const s = (performance.now() - started) / 1000;
      console.error(
        `  ${finished}/${tests.length} in ${s.toFixed(0)} s, ${results.filter((r) => r?.pass).length} passed`,
      );
    }
  }
}
// A few more requests in flight than the backend runs at once keeps it busy between answers.
await Promise.all(Array.from({ length: concurrency + 2 }, lane));
await backend.close();

const byDir = new Map();
for (const r of results) {
  const d = byDir.get(r.dir) ?? { pass: 0, total: 0 };
  d.total++;
  if (r.pass) d.pass++;
  byDir.set(r.dir, d);
}
const pct = (pass, total) => (total ? ((100 * pass) / total).toFixed(1) : '-');
const passed = results.filter((r) => r.pass).length;
const rows = [...byDir].sort(([a], [b]) => (a < b ? -1 : 1));
console.log(`| directory | passed | total | % |\n|---|---:|---:|---:|`);
for (const [dir, d] of rows) console.log(`| ${dir} | ${d.pass} | ${d.total} | ${pct(d.pass, d.total)} |`);
console.log(`| **total** | **${passed}** | **${results.length}** | **${pct(passed, results.length)}** |`);
console.log(
  `\nSkipped (not run): ${[...skipped]
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r}: ${n}`)
    .join('; ')}`,
);
console.log(
  `Wall time: ${((performance.now() - started) / 1000).toFixed(0)} s at concurrency ${concurrency}.`,
);

if (opts.json) {
  const failed = results.filter((r) => !r.pass);
  const limited = (r) => r.status === 'timeout' || r.status === 'out_of_fuel';
  writeFileSync(
    opts.json,
    `${JSON.stringify(
      {
        backend: opts.backend,
        sample: opts.sample ? Number(opts.sample) : null,
        seed,
        selected: selected.length,
        ran: results.length,
        passed,
        skipped: Object.fromEntries(skipped),
        byDirectory: Object.fromEntries(rows),
        failures: failed.filter((r) => !limited(r)).map(({ path: p, message }) => ({ path: p, message })),
        limits: failed.filter(limited).map(({ path: p, status, message }) => ({ path: p, status, message })),
      },
      null,
      2,
    )}\n`,
  );
}
