import { NodeBackend } from '@memory-mcp/node-backend';
import { type Backend, limitsFromConfig } from '@memory-mcp/sandbox-core';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import type { AppConfig } from './app-config.js';
import { javyCompilerModule } from './javy-compiler-module.js';

/** The backends the app runs, started (their processes spawning) but not necessarily ready. */
export interface StartedBackends {
  backends: Record<string, Backend>;
  wasm: WasmBackend | undefined;
  /** Closes what started: for a start-up that fails after this. */
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

/**
 * Starts the backends. The app calls this first of all, before it loads the MCP SDK and opens the
 * store, so the jailed executors boot (and warm their JavaScript engine) while the rest of the app
 * loads: the first call then rarely waits for them.
 */
export function startBackends(config: AppConfig, extras: RuntimeExtras = {}): StartedBackends {
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
  // The node pool's processes boot after the wasm executors have (a first pure-JS call waits on
  // those): on a small machine, booting all at once slowed every one of them.
  if (settings.backend !== 'wasm') {
    backends.node = new NodeBackend({
      limits,
      isolation,
      ...(wasm ? { warmAfter: wasm.whenStarted() } : {}),
    });
  }
  Object.assign(backends, extras.backends);
  return {
    backends,
    wasm,
    async close() {
      await Promise.allSettled(Object.values(backends).map((backend) => backend.close()));
    },
  };
}
