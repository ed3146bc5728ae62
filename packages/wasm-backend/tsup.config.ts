import { defineConfig } from 'tsup';

export default defineConfig({
  // The worker is its own entry: the pool starts it by URL next to the bundle that uses it.
  // The executor is its own entry too: the backend starts it as a separate Node process.
  entry: {
    index: 'src/index.ts',
    'wasm-worker': 'src/pool/wasm-worker.ts',
    'wasm-executor': 'src/executor/executor-main.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  shims: true,
});
