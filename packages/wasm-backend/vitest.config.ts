import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Test files spawn worker pools; two at a time fits the 2-core machines CI runs on.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
