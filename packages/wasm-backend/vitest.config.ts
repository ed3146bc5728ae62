import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Test files spawn worker pools and some assert wall-clock bounds (fuel must stop a loop well
    // before its deadline): one file at a time, so a 2-core machine is not shared between them.
    fileParallelism: false,
  },
});
