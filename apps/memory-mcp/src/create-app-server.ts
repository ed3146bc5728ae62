import { createMemoryMcpServer } from '@memory-mcp/mcp-server';
import type { Runtime } from './build-runtime.js';

/** The MCP server over one runtime: what stdio, HTTP sessions and tests all serve. */
export function createAppServer(
  runtime: Runtime,
  info: { name: string; version: string },
  options: { requireInitialize?: boolean } = {},
) {
  return createMemoryMcpServer({
    ...options,
    sandbox: runtime.sandbox,
    store: runtime.store,
    toolMetrics: runtime.toolMetrics,
    callTracker: runtime.callTracker,
    ...(runtime.compiler ? { compiler: runtime.compiler } : {}),
    ...info,
  });
}
