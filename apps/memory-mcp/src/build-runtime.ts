import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MemoryStore, ToolMetrics } from '@memory-mcp/mcp-server';
import { NodeBackend } from '@memory-mcp/node-backend';
import { type Backend, type BackendKind, UnifiedSandbox } from '@memory-mcp/sandbox-core';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import type { AppConfig } from './app-config.js';

export interface Runtime {
  sandbox: UnifiedSandbox;
  store: MemoryStore;
  toolMetrics: ToolMetrics;
  close(): Promise<void>;
}

/** Builds the backends the mode needs, the sandbox in front of them, and the store. */
export async function buildRuntime(config: AppConfig): Promise<Runtime> {
  const { sandbox: settings } = config;
  const limits = {
    timeoutMs: settings.timeoutMs,
    memoryBytes: settings.memoryMb * 1024 * 1024,
    maxOutputBytes: settings.maxOutputBytes,
  };
  const backends: Partial<Record<BackendKind, Backend>> = {};
  if (settings.backend !== 'node') {
    backends.wasm = new WasmBackend({
      maxConcurrency: settings.maxConcurrency,
      limits,
      fuelPerSecond: settings.fuelPerSecond,
    });
  }
  if (settings.backend !== 'wasm') backends.node = new NodeBackend({ limits });
  if (config.databasePath) mkdirSync(dirname(config.databasePath), { recursive: true });
  const store = await MemoryStore.open({
    url: config.databaseUrl,
    ...(config.databaseToken ? { authToken: config.databaseToken } : {}),
  });
  const sandbox = UnifiedSandbox.fromConfig(settings, backends);
  return {
    sandbox,
    store,
    toolMetrics: new ToolMetrics(),
    async close() {
      await sandbox.close();
      store.close();
    },
  };
}
