import { CallTracker, MemoryStore, ToolMetrics } from '@memory-mcp/mcp-server';
import { NodeBackend } from '@memory-mcp/node-backend';
import { type Backend, type Compiler, limitsFromConfig, UnifiedSandbox } from '@memory-mcp/sandbox-core';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import type { AppConfig } from './app-config.js';
import { javyCompilerModule } from './javy-compiler-module.js';

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

/** What a deployment adds to the app: the wiring point for contributed backends. */
export interface RuntimeExtras {
  /**
   * Contributed backends by kind, beside the built-in ones (later keys win). Their languages show up
   * in the MCP tool schema, and `MCP_SANDBOX_BACKEND=<kind>` pins requests to one of them.
   */
  backends?: Readonly<Record<string, Backend>>;
}

/** Opens the store first (a bad database fails fast), then builds the backends and the sandbox. */
export async function buildRuntime(config: AppConfig, extras: RuntimeExtras = {}): Promise<Runtime> {
  const store = await MemoryStore.open({
    url: config.databaseUrl,
    ...(config.databaseToken ? { authToken: config.databaseToken } : {}),
  });
  const { sandbox: settings } = config;
  const limits = limitsFromConfig(settings);
  const isolation = settings.isolation;
  const backends: Record<string, Backend> = {};
  let wasm: WasmBackend | undefined;
  if (settings.backend !== 'node') {
    wasm = backends.wasm = new WasmBackend({
      maxConcurrency: settings.maxConcurrency,
      limits,
      fuelPerSecond: settings.fuelPerSecond,
      isolation,
      // Each jailed executor loads the compiler itself, so untrusted JavaScript is parsed and
      // compiled off this process, under the request's deadline. Dynamic modules: each script is a
      // few hundred bytes linking the shared, pre-initialized engine.
      executorCompiler: {
        module: javyCompilerModule(),
        options: { mode: 'dynamic' },
      },
    });
  }
  if (settings.backend !== 'wasm') backends.node = new NodeBackend({ limits, isolation });
  Object.assign(backends, extras.backends);
  const sandbox = UnifiedSandbox.fromConfig(settings, backends);
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
