#!/usr/bin/env node
// Builds the memory-mcp JavaScript engine: QuickJS-ng, as the prebuilt wasm32-wasi reactor that the
// `quickjs-wasi` registry package ships (pinned by SHA-256 below; no registry package ships
// QuickJS-ng's C sources), merged with our glue (engine/glue.c, compiled with Debian's clang and
// lld) into one WASI command, then pre-initialized with Wizer: runtime and context created and the
// web-platform prelude (engine/prelude/*.js) evaluated at build time; and metered for fuel by the
// wasm backend's instrumenter. Writes engine/engine.wasm, engine/engine.snapshot.wasm,
// engine/engine.metered.{wasm,json} and engine/provenance.json.
//   --check   rebuild into a temporary directory and fail if the bytes differ from the committed ones
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ByteReader,
  ByteWriter,
  readModuleInfo,
  rebuildModule,
  sectionPayload,
} from '@memory-mcp/wasm-binary';

const require = createRequire(import.meta.url);
const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)));
const engineDir = join(pkgDir, 'engine');
const check = process.argv.includes('--check');

/** The engine we build on, and the only bytes of it we accept. */
const QUICKJS_WASI = {
  package: 'quickjs-wasi',
  version: '3.7.0',
  file: 'quickjs.wasm',
  sha256: 'c0bd8f296e18cf074969f6401b9ecb72609a1323818ec2b9bf7a8f8d740d1363',
  license: 'MIT (quickjs-wasi, Vercel); QuickJS-ng: MIT',
};
/** Pages added after the reactor's initial memory for the glue's data and stack. */
const GLUE_PAGES = 2;
/** What the finished engine exports; everything else (the reactor's C API) is internal. */
const KEEP_EXPORTS = new Set([
  'memory',
  'wizer.initialize',
  'memory_mcp_alloc',
  'memory_mcp_output_ptr',
  'memory_mcp_output_len',
  'memory_mcp_eval_bytecode',
  'memory_mcp_compile',
]);

const fail = (message) => {
  console.error(`build-engine: ${message}`);
  process.exit(1);
};
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

const qwDir = dirname(require.resolve('quickjs-wasi/package.json'));
const qwVersion = JSON.parse(readFileSync(join(qwDir, 'package.json'), 'utf8')).version;
const reactor = readFileSync(join(qwDir, QUICKJS_WASI.file));
if (qwVersion !== QUICKJS_WASI.version)
  fail(`quickjs-wasi ${qwVersion} installed, ${QUICKJS_WASI.version} pinned`);
if (sha256(reactor) !== QUICKJS_WASI.sha256) {
  fail(`quickjs.wasm has SHA-256 ${sha256(reactor)}, pinned ${QUICKJS_WASI.sha256}`);
}

const clang = spawnSync('clang', ['--version'], { encoding: 'utf8' });
if (clang.error || clang.status !== 0) fail('clang not found: apt-get install -y clang lld');
const compilerVersion = clang.stdout.split('\n')[0].trim();
const binaryenDir = dirname(require.resolve('binaryen/package.json'));
const binaryenVersion = JSON.parse(readFileSync(join(binaryenDir, 'package.json'), 'utf8')).version;
const binaryen = (tool) => join(binaryenDir, 'bin', tool);
const FEATURES = [
  '--enable-bulk-memory',
  '--enable-nontrapping-float-to-int',
  '--enable-sign-ext',
  '--enable-mutable-globals',
];

const out = check ? mkdtempSync(join(tmpdir(), 'memory-mcp-engine-')) : engineDir;
const work = mkdtempSync(join(tmpdir(), 'memory-mcp-engine-obj-'));
mkdirSync(out, { recursive: true });
const started = performance.now();

/** Replaces `pattern` in `text`, insisting on exactly `count` matches. */
function edit(text, pattern, replacement, count, what) {
  let seen = 0;
  const result = text.replace(pattern, (...args) => {
    seen++;
    return typeof replacement === 'function' ? replacement(...args) : replacement;
  });
  if (seen !== count) fail(`${what}: expected ${count} match(es), found ${seen}`);
  return result;
}

// 1. The reactor, as text: its embedder imports come from the glue; its constructor export is
//    renamed so the result is a command, not a reactor; its memory grows by the glue's pages.
const reactorWasm = join(work, 'reactor.wasm');
writeFileSync(reactorWasm, reactor);
execFileSync(binaryen('wasm-dis'), [reactorWasm, '-o', join(work, 'reactor.wat')]);
let wat = readFileSync(join(work, 'reactor.wat'), 'utf8');
wat = edit(wat, /\(import "env" "host_/g, '(import "memory_mcp_glue" "host_', 6, 'host imports');
wat = edit(
  wat,
  /\(import "wasi_snapshot_preview1" "(clock_time_get|random_get)"/g,
  (_m, name) => `(import "memory_mcp_glue" "${name}"`,
  2,
  'clock and random imports',
);
wat = edit(wat, /\(export "_initialize"/g, '(export "memory_mcp_qjs_ctors"', 1, 'constructor export');
let reactorPages = 0;
wat = edit(
  wat,
  /^ \(memory \$0 (\d+)\)$/m,
  (_m, pages) => {
    reactorPages = Number(pages);
    return ` (memory $0 ${reactorPages + GLUE_PAGES})`;
  },
  1,
  'memory',
);
writeFileSync(join(work, 'reactor.wat'), wat);
execFileSync(binaryen('wasm-as'), [...FEATURES, join(work, 'reactor.wat'), '-o', join(work, 'quickjs.wasm')]);

// 2. The glue: no libc, its data and stack in the pages added above, the reactor's memory imported.
const glueFlags = [
  '--target=wasm32',
  '-O2',
  '-nostdlib',
  '-fno-builtin',
  `-ffile-prefix-map=${engineDir}=engine`,
];
const glueBase = reactorPages * 65536;
const glueLink = [
  '--no-entry',
  '--import-memory',
  `--global-base=${glueBase}`,
  '-z',
  'stack-size=65536',
  '--allow-undefined',
  '--strip-all',
];
execFileSync('clang', [...glueFlags, '-c', join(engineDir, 'glue.c'), '-o', join(work, 'glue.o')], {
  stdio: 'inherit',
});
execFileSync('wasm-ld', [...glueLink, join(work, 'glue.o'), '-o', join(work, 'glue-raw.wasm')], {
  stdio: 'inherit',
});
execFileSync(binaryen('wasm-dis'), [join(work, 'glue-raw.wasm'), '-o', join(work, 'glue.wat')]);
let glueWat = readFileSync(join(work, 'glue.wat'), 'utf8');
glueWat = edit(glueWat, /\(import "env" "memory"/g, '(import "quickjs" "memory"', 1, 'glue memory import');
const strayImports = [...glueWat.matchAll(/\(import "env" "([^"]+)"/g)].map((m) => m[1]);
if (strayImports.length) fail(`the glue needs symbols nobody provides: ${strayImports.join(', ')}`);
writeFileSync(join(work, 'glue.wat'), glueWat);
execFileSync(binaryen('wasm-as'), [...FEATURES, join(work, 'glue.wat'), '-o', join(work, 'glue.wasm')]);

// 3. One module: the glue's imports resolved against the reactor and the other way round; then
//    only the engine's own exports kept, and what nothing reaches removed.
const merged = join(work, 'merged.wasm');
execFileSync(binaryen('wasm-merge'), [
  ...FEATURES,
  join(work, 'quickjs.wasm'),
  'quickjs',
  join(work, 'glue.wasm'),
  'memory_mcp_glue',
  '-o',
  merged,
]);
execFileSync(binaryen('wasm-dis'), [merged, '-o', join(work, 'merged.wat')]);
let mergedWat = readFileSync(join(work, 'merged.wat'), 'utf8');
mergedWat = mergedWat.replace(/^ \(export "([^"]+)" \([^)]*\)\)\n/gm, (line, name) =>
  KEEP_EXPORTS.has(name) ? line : '',
);
for (const name of KEEP_EXPORTS) {
  if (!mergedWat.includes(`(export "${name}"`)) fail(`the merged engine does not export ${name}`);
}
// Every mutable global exported (the two C stack pointers): with the memory, that is the engine's
// whole mutable state, so a host may reset a used instance instead of instantiating a new one.
const mutableGlobals = [...mergedWat.matchAll(/^ \(global \$(\S+) \(mut /gm)].map((m) => m[1]);
mergedWat = mergedWat.replace(
  /^ \(export "memory" /m,
  `${mutableGlobals.map((g, i) => ` (export "memory_mcp_state_${i}" (global $${g}))\n`).join('')} (export "memory" `,
);
const leftImports = [...mergedWat.matchAll(/\(import "([^"]+)" "([^"]+)"/g)].filter(
  (m) => m[1] !== 'wasi_snapshot_preview1',
);
if (leftImports.length) fail(`unresolved imports: ${leftImports.map((m) => `${m[1]}.${m[2]}`).join(', ')}`);
writeFileSync(join(work, 'merged.wat'), mergedWat);
const enginePath = join(out, 'engine.wasm');
execFileSync(binaryen('wasm-as'), [
  ...FEATURES,
  join(work, 'merged.wat'),
  '-o',
  join(work, 'engine-unopt.wasm'),
]);
// -O3 with more inlining: QuickJS's interpreter calls many small helpers, and every call also costs
// the fuel counter a write-back and a reload (measured: the metered CPU loop 14-25% faster).
const optFlags = [
  '-O3',
  '--flexible-inline-max-function-size',
  '80',
  '--always-inline-max-function-size',
  '40',
  '--strip-debug',
  '--strip-producers',
];
execFileSync(binaryen('wasm-opt'), [
  ...FEATURES,
  ...optFlags,
  join(work, 'engine-unopt.wasm'),
  '-o',
  enginePath,
]);

// 4. The prelude, then Wizer.
const preludeDir = join(engineDir, 'prelude');
const preludeFiles = readdirSync(preludeDir)
  .filter((f) => f.endsWith('.js'))
  .sort();
const prelude = `(function (host) {\n'use strict';\n${preludeFiles
  .map((f) => `// ---- ${f}\n${readFileSync(join(preludeDir, f), 'utf8')}`)
  .join('\n')}\n})`;
const wizer = (await import('@bytecodealliance/wizer')).default;
const wizerVersion = JSON.parse(
  readFileSync(require.resolve('@bytecodealliance/wizer/package.json'), 'utf8'),
).version;
const snapshotPath = join(out, 'engine.snapshot.wasm');
const wizerArgs = ['--allow-wasi', '--init-func', 'wizer.initialize'];
execFileSync(wizer, [...wizerArgs, '-o', snapshotPath, enginePath], {
  input: Buffer.from(prelude),
  stdio: ['pipe', 'inherit', 'inherit'],
});
rmSync(work, { recursive: true, force: true });
writeFileSync(snapshotPath, coalesceDataSegments(readFileSync(snapshotPath)));

// 5. The snapshot metered for fuel by the wasm backend's own instrumenter, so executors do not
//    meter a megabyte of engine each time they start (CompiledModule.metered).
const { meterModule, FUEL_METERING_VERSION } = await import('@memory-mcp/wasm-backend');
const metered = await meterModule(new Uint8Array(readFileSync(snapshotPath)));
// What makes the metered engine resettable: no instruction can change a table, and every mutable
// global is exported (checked on the final bytes).
const meteredWasm = join(tmpdir(), `memory-mcp-metered-${process.pid}.wasm`);
writeFileSync(meteredWasm, metered.bytes);
const meteredWat = execFileSync(binaryen('wasm-dis'), [meteredWasm], { maxBuffer: 1 << 30 }).toString();
rmSync(meteredWasm);
const tableOps = meteredWat.match(/\btable\.(set|grow|fill|copy|init)\b|\belem\.drop\b/g) ?? [];
const globalNames = [...meteredWat.matchAll(/^ \(global \$(\S+) \(mut /gm)].map((m) => m[1]);
const exportedGlobals = new Set(
  [...meteredWat.matchAll(/^ \(export "[^"]+" \(global \$(\S+)\)\)/gm)].map((m) => m[1]),
);
const hidden = globalNames.filter((g) => !exportedGlobals.has(g));
if (tableOps.length > 0 || hidden.length > 0) {
  fail(
    `the engine is not resettable: ${tableOps.length} table mutations, unexported mutable globals ${hidden.join(', ')}`,
  );
}
const meteredPath = join(out, 'engine.metered.wasm');
writeFileSync(meteredPath, metered.bytes);
const meteringPath = join(out, 'engine.metered.json');
const metering = {
  version: FUEL_METERING_VERSION,
  hasStart: metered.hasStart,
  maxStaticCharge: metered.maxStaticCharge,
  resettable: true,
};
writeFileSync(meteringPath, `${JSON.stringify(metering, null, 2)}\n`);

/**
 * Wizer writes the initialized memory as thousands of small active segments (one per non-zero
 * run), and instantiating pays per segment. Runs closer than GAP bytes are merged, zero-filled.
 */
function coalesceDataSegments(bytes) {
  const GAP = 4096;
  const info = readModuleInfo(bytes);
  const payload = sectionPayload(bytes, info.sections, 11);
  const reader = new ByteReader(payload);
  const count = reader.u32();
  const runs = [];
  for (let i = 0; i < count; i++) {
    const flags = reader.u32();
    if (flags !== 0 || reader.u8() !== 0x41) fail('unexpected data segment from Wizer');
    const offset = reader.s33();
    if (reader.u8() !== 0x0b) fail('unexpected data segment offset from Wizer');
    const data = reader.bytesOf(reader.u32());
    runs.push({ offset, data });
  }
  runs.sort((a, b) => a.offset - b.offset);
  const merged = [];
  for (const run of runs) {
    const last = merged[merged.length - 1];
    if (last && run.offset - (last.offset + last.length) <= GAP) {
      last.parts.push(run);
      last.length = run.offset + run.data.length - last.offset;
    } else merged.push({ offset: run.offset, length: run.data.length, parts: [run] });
  }
  const section = new ByteWriter().u32(merged.length);
  for (const segment of merged) {
    const data = new Uint8Array(segment.length);
    for (const part of segment.parts) data.set(part.data, part.offset - segment.offset);
    section.u32(0).u8(0x41).s32(segment.offset).u8(0x0b).u32(data.length).bytes(data);
  }
  const changes = new Map([[11, section.finish()]]);
  if (info.sections.some((sec) => sec.id === 12))
    changes.set(12, new ByteWriter().u32(merged.length).finish());
  console.log(`data segments: ${count} from Wizer, ${merged.length} after merging runs ${GAP} bytes apart`);
  return rebuildModule(bytes, info.sections, changes);
}

const fileInfo = (path) => {
  const bytes = readFileSync(path);
  return { size: bytes.length, sha256: sha256(bytes) };
};
const provenance = {
  engine: 'memory-mcp JavaScript engine (QuickJS-ng)',
  source: {
    package: QUICKJS_WASI.package,
    version: qwVersion,
    file: QUICKJS_WASI.file,
    sha256: sha256(reactor),
    license: QUICKJS_WASI.license,
    upstream:
      'https://github.com/quickjs-ng/quickjs compiled to wasm32-wasip1 by https://github.com/vercel-labs/quickjs-wasi',
    quickjs: 'quickjs-ng',
  },
  glue: {
    compiler: compilerVersion,
    flags: glueFlags.map((f) => f.replace(engineDir, '<engine>')),
    link: glueLink,
  },
  binaryen: { package: 'binaryen', version: binaryenVersion, features: FEATURES, optimize: optFlags },
  prelude: { files: preludeFiles, sha256: sha256(Buffer.from(prelude)) },
  wizer: { package: '@bytecodealliance/wizer', version: wizerVersion, args: wizerArgs },
  metering,
  files: {
    'engine.wasm': fileInfo(enginePath),
    'engine.snapshot.wasm': fileInfo(snapshotPath),
    'engine.metered.wasm': fileInfo(meteredPath),
    'engine.metered.json': fileInfo(meteringPath),
  },
};
const seconds = ((performance.now() - started) / 1000).toFixed(1);

if (check) {
  const committed = JSON.parse(readFileSync(join(engineDir, 'provenance.json'), 'utf8'));
  let same = true;
  for (const name of Object.keys(provenance.files)) {
    const committedHash = committed.files[name]?.sha256;
    const onDisk = fileInfo(join(engineDir, name)).sha256;
    const rebuilt = provenance.files[name].sha256;
    const ok = committedHash === rebuilt && onDisk === rebuilt;
    same &&= ok;
    console.log(
      `${ok ? '✓' : '✗'} ${name}: rebuilt ${rebuilt.slice(0, 16)}…, committed ${String(committedHash).slice(0, 16)}…, on disk ${onDisk.slice(0, 16)}…`,
    );
  }
  rmSync(out, { recursive: true, force: true });
  if (!same) {
    fail(
      'engine rebuild differs from the committed engine: the build is not reproducible or the sources changed',
    );
  }
  console.log(`engine rebuild is byte-identical (${seconds} s)`);
} else {
  writeFileSync(join(engineDir, 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
  console.log(
    `built engine.wasm (${provenance.files['engine.wasm'].size} bytes) and engine.snapshot.wasm (${provenance.files['engine.snapshot.wasm'].size} bytes) in ${seconds} s`,
  );
}
