import { defineConfig } from 'vitest/config';

// The MCP Inspector e2e test, run by CI with the Inspector installed beside a Node >= 22.19.
export default defineConfig({
  test: { include: ['test-tools/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 },
});
