import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: false,
    sourcemap: true,
    target: 'node20',
    shims: true,
  },
  // The runner is what each child process starts: one self-contained CommonJS file, so the
  // permission model only has to grant read access to this one file.
  {
    entry: { runner: 'src/runner/runner.ts' },
    format: ['cjs'],
    outExtension: () => ({ js: '.cjs' }),
    sourcemap: false,
    target: 'node20',
    shims: true,
    noExternal: [/.*/],
  },
]);
