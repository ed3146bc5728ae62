import { defineConfig } from 'tsup';

const common = { dts: true, sourcemap: true, target: 'node20' } as const;

export default defineConfig([
  { ...common, entry: { index: 'src/index.ts' }, format: ['esm', 'cjs'], clean: true },
  // The conformance suite runs inside vitest, which is ESM-only, so this entry is ESM-only too.
  { ...common, entry: { 'testing/index': 'src/testing/index.ts' }, format: ['esm'], external: ['vitest'] },
]);
