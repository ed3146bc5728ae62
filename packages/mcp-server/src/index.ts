export { createMemoryMcpServer, type MemoryMcpServerOptions } from './create-memory-mcp-server.js';
export * from './schemas.js';
export {
  type Episode,
  type EpisodeOutcome,
  type ExecutionFilter,
  ftsQuery,
  type MemorySort,
  MemoryStore,
  type MemoryStoreOptions,
  type Patterns,
  type Step,
  type StoredExecution,
} from './store/memory-store.js';
export { MIGRATIONS } from './store/migrations.js';
export { summarizeResult } from './summarize-result.js';
export { ToolMetrics } from './tool-metrics.js';
