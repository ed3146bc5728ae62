import { CallTracker, MemoryStore, ToolMetrics } from '@memory-mcp/mcp-server';
import { type Compiler, UnifiedSandbox } from '@memory-mcp/sandbox-core';
import type { AppConfig } from './app-config.js';
import { type RuntimeExtras, type StartedBackends, startBackends } from './start-backends.js';

export type { RuntimeExtras } from './start-backends.js';

export interface Runtime {
  sandbox: UnifiedSandbox;
  store: MemoryStore;
  toolMetrics: ToolMetrics;
  /** Every tool call in flight, across sessions: what a shutdown drains. */
  callTracker: CallTracker;
  /**
   * Offered to MCP clients as compile_to_wasm (portable static modules) when the wasm backend runs:
   * it compiles in the jailed executors, never in this process.
   */
  compiler: Compiler | undefined;
  close(): Promise<void>;
}

/**
 * Opens the store (a bad database fails with its own error) and builds the sandbox over the
 * backends, started here unless the caller started them earlier (`started`).
 */
export async function buildRuntime(
  config: AppConfig,
  extras: RuntimeExtras = {},
  started: StartedBackends = startBackends(config, extras),
): Promise<Runtime> {
  let store: MemoryStore;
  try {
    store = await MemoryStore.open({
      url: config.databaseUrl,
      ...(config.databaseToken ? { authToken: config.databaseToken } : {}),
    });
  } catch (error) {
    await started.close();
    throw error;
  }
  const { sandbox: settings } = config;
  const { backends, wasm } = started;
  // sessions live in the store: a restarted server, or another instance on the database, resumes them
  const sandbox = UnifiedSandbox.fromConfig(settings, backends, {
    sessions: {
      store: store.sessions,
      ...config.jsSessions,
      ttlMs: Math.min(config.jsSessions.ttlMs, config.jsSessions.maxTtlMs),
    },
  });
  return {
    sandbox,
    store,
    toolMetrics: new ToolMetrics(),
    callTracker: new CallTracker(),
    compiler: wasm?.compiler({ defaults: { mode: 'static' } }),
    async close() {
      await sandbox.close();
      await store.close();
    },
  };
}
