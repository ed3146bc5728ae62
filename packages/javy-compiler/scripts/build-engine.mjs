#!/usr/bin/env node
// Builds the QuickJS engine for wasm32-wasi from the QuickJS sources shipped in the `qjsc` registry
// package, plus our glue, with Debian's clang, lld and wasi-libc; then pre-initializes it with
// Wizer (runtime and context created at build time). Writes engine/engine.wasm,
// engine/engine.snapshot.wasm and engine/provenance.json.
//   --check   rebuild into a temporary directory and fail if the bytes differ from the committed ones
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)));
const engineDir = join(pkgDir, 'engine');
const check = process.argv.includes('--check');

const qjscDir = dirname(require.resolve('qjsc/package.json'));
const qjscVersion = JSON.parse(readFileSync(join(qjscDir, 'package.json'), 'utf8')).version;
const sourceDir = join(qjscDir, 'deps', 'quickjs_2021_03_27');
const quickjsVersion = readFileSync(join(sourceDir, 'VERSION'), 'utf8').trim();

const clang = spawnSync('clang', ['--version'], { encoding: 'utf8' });
if (clang.error || clang.status !== 0) {
  console.error('clang not found: apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32');
  process.exit(1);
}
const compilerVersion = clang.stdout.split('\n')[0].trim();

const out = check ? mkdtempSync(join(tmpdir(), 'memory-mcp-engine-')) : engineDir;
const work = mkdtempSync(join(tmpdir(), 'memory-mcp-engine-obj-'));
mkdirSync(out, { recursive: true });

const common = [
  '--target=wasm32-wasi',
  '--sysroot=/usr',
  '-O2',
  // EMSCRIPTEN selects QuickJS's portable paths: no computed goto, no OS threads for Atomics...
  '-DEMSCRIPTEN',
  // ...but keep QuickJS's own stack check (against the C stack in linear memory), so runaway
  // recursion is a catchable RangeError in JS, as in V8, rather than a trap.
  '-DCONFIG_STACK_CHECK',
  `-DCONFIG_VERSION="${quickjsVersion}"`,
  '-DCONFIG_BIGNUM',
  '-D_GNU_SOURCE',
  `-I${sourceDir}`,
  // reproducible: no absolute paths in the output
  `-ffile-prefix-map=${sourceDir}=quickjs`,
  `-ffile-prefix-map=${engineDir}=engine`,
  `-ffile-prefix-map=${work}=obj`,
];
// WASI has no FE_DOWNWARD/FE_UPWARD: see engine/directed-rounding.c.
const rounding = [
  '-Dsnprintf=memory_mcp_snprintf',
  '-Dfesetround=memory_mcp_fesetround',
  '-DFE_DOWNWARD=0x400',
  '-DFE_UPWARD=0x800',
];
const units = [
  // glue.c includes quickjs.c: one translation unit (see the comment there)
  [join(engineDir, 'glue.c'), rounding],
  [join(sourceDir, 'libregexp.c'), []],
  [join(sourceDir, 'libunicode.c'), []],
  [join(sourceDir, 'cutils.c'), []],
  [join(sourceDir, 'libbf.c'), []],
  [join(engineDir, 'directed-rounding.c'), []],
];

const started = performance.now();
const objects = await Promise.all(
  units.map(
    ([file, extra], i) =>
      new Promise((resolve, reject) => {
        const object = join(work, `${i}.o`);
        const child = require('node:child_process').spawn(
          'clang',
          [...common, ...extra, '-c', file, '-o', object],
          { stdio: 'inherit' },
        );
        child.on('exit', (code) =>
          code === 0 ? resolve(object) : reject(new Error(`clang failed on ${file}`)),
        );
      }),
  ),
);
// --stack-first: the C stack sits below the data, so an overflow traps instead of silently
// overwriting the engine's heap.
const linkFlags = ['-Wl,-z,stack-size=1048576', '-Wl,--stack-first', '-Wl,--strip-all'];
const enginePath = join(out, 'engine.wasm');
execFileSync('clang', [...common, ...objects, '-o', enginePath, ...linkFlags], { stdio: 'inherit' });

const wizer = (await import('@bytecodealliance/wizer')).default;
const wizerVersion = JSON.parse(
  readFileSync(require.resolve('@bytecodealliance/wizer/package.json'), 'utf8'),
).version;
const snapshotPath = join(out, 'engine.snapshot.wasm');
const wizerArgs = ['--allow-wasi', '--init-func', 'wizer.initialize', '-o', snapshotPath, enginePath];
execFileSync(wizer, wizerArgs, { input: Buffer.alloc(0), stdio: ['pipe', 'inherit', 'inherit'] });
rmSync(work, { recursive: true, force: true });

const fileInfo = (path) => {
  const bytes = readFileSync(path);
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
};
const provenance = {
  engine: 'memory-mcp QuickJS engine',
  source: { package: 'qjsc', version: qjscVersion, path: 'deps/quickjs_2021_03_27', quickjs: quickjsVersion },
  compiler: compilerVersion,
  flags: {
    common: common.map((f) =>
      f.replace(sourceDir, '<quickjs>').replace(engineDir, '<engine>').replace(work, '<obj>'),
    ),
    quickjs: rounding,
    link: linkFlags,
  },
  wizer: {
    package: '@bytecodealliance/wizer',
    version: wizerVersion,
    args: ['--allow-wasi', '--init-func', 'wizer.initialize'],
  },
  files: { 'engine.wasm': fileInfo(enginePath), 'engine.snapshot.wasm': fileInfo(snapshotPath) },
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
    console.error(
      'engine rebuild differs from the committed engine: the build is not reproducible or the sources changed',
    );
    process.exit(1);
  }
  console.log(`engine rebuild is byte-identical (${seconds} s)`);
} else {
  writeFileSync(join(engineDir, 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
  console.log(
    `built engine.wasm (${provenance.files['engine.wasm'].size} bytes) and engine.snapshot.wasm (${provenance.files['engine.snapshot.wasm'].size} bytes) in ${seconds} s`,
  );
}
