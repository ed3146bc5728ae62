#!/usr/bin/env node
// Placeholder for the memory-mcp app until it lands (see the mcp-server issue): builds a
// UnifiedSandbox from the environment with the backends that exist, runs one WAT module through
// it, and prints the result and the sandbox's health.
import { loadConfig, UnifiedSandbox } from '@memory-mcp/sandbox-core';
import { WasmBackend } from '@memory-mcp/wasm-backend';

const config = loadConfig();
const wasm = new WasmBackend({ maxConcurrency: config.maxConcurrency });
const sandbox = UnifiedSandbox.fromConfig({ ...config, backend: 'wasm' }, { wasm });
const result = await sandbox.execute({
  language: 'wat',
  entry: 'add',
  input: [40, 2],
  code: '(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))',
});
console.log(
  JSON.stringify(
    {
      app: 'placeholder: the memory-mcp MCP app has not landed yet; this runs one module and prints health',
      config,
      sample: { status: result.status, value: result.value, backend: result.backend, route: result.route },
      health: await sandbox.health(),
    },
    null,
    2,
  ),
);
await sandbox.close();
