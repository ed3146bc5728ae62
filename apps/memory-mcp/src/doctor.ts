import { loadEngine } from '@memory-mcp/javy-compiler';
import { MemoryStore } from '@memory-mcp/mcp-server';
import { detectPermissionFlag, NodeBackend } from '@memory-mcp/node-backend';
import { WasmBackend } from '@memory-mcp/wasm-backend';
import type { AppConfig } from './app-config.js';
import { describeWalls } from './describe-walls.js';
import { javyCompilerModule } from './javy-compiler-module.js';
import { nodeVersionSupported, SUPPORTED_NODE } from './node-version.js';

interface Check {
  name: string;
  ok: boolean;
  required: boolean;
  detail: string;
}

/** Prints what works here and exits non-zero when something required is missing. */
export async function doctor(config: AppConfig, version: string): Promise<number> {
  const checks: Check[] = [];
  // Outside the declared range but able to run the node backend (22.0-22.12 have the permission
  // model under its older flag): a warning, not a failure.
  const supported = nodeVersionSupported(process.versions.node);
  const flag = await detectPermissionFlag();
  checks.push({
    name: 'node',
    ok: supported,
    required: !flag,
    detail: supported
      ? `${process.version} (${SUPPORTED_NODE})`
      : `${process.version} is outside the supported range (${SUPPORTED_NODE})${flag ? `; it works here (permission flag ${flag})` : '; it has no permission model'}`,
  });
  const isolation = config.sandbox.isolation;
  const walls = await describeWalls(isolation);
  checks.push({ name: 'walls', ok: walls.ok, required: true, detail: walls.line });
  checks.push({ name: 'memory-mcp', ok: true, required: false, detail: version });

  const wasmWanted = config.sandbox.backend !== 'node';
  const nodeWanted = config.sandbox.backend !== 'wasm';
  try {
    const wasm = new WasmBackend({
      maxConcurrency: 1,
      warmWorkers: 1,
      executors: 1,
      isolation,
      executorCompiler: {
        module: javyCompilerModule(),
        options: { mode: 'dynamic' },
      },
    });
    const result = await wasm.execute({
      language: 'wat',
      code: '(module (func (export "f") (result i32) i32.const 7))',
      entry: 'f',
    });
    const js = await wasm.execute({ language: 'javascript', code: 'return 6 * 7' });
    const caps = wasm.capabilities();
    await wasm.close();
    const engine = loadEngine();
    checks.push({
      name: 'js on wasm',
      ok: js.value === 42,
      required: wasmWanted,
      detail: `QuickJS engine ${engine.version}, snapshot ${engine.hash.slice(0, 12)}… (${js.status})`,
    });
    checks.push({
      name: 'wasm backend',
      ok: result.value === 7,
      required: wasmWanted,
      detail: `isolation ${caps.isolation}, fuel ${caps.fuel ? `yes (${wasm.fuelPerSecond}/s default)` : 'no'}, network ${caps.networkIsolation}`,
    });
  } catch (error) {
    checks.push({ name: 'wasm backend', ok: false, required: wasmWanted, detail: (error as Error).message });
  }
  try {
    const node = new NodeBackend({ poolSize: 0, maxConcurrency: 1, isolation });
    const result = await node.execute({ language: 'javascript', code: 'return 6 * 7' });
    const caps = node.capabilities();
    await node.close();
    checks.push({
      name: 'node backend',
      ok: result.value === 42 && flag !== undefined,
      required: nodeWanted,
      detail: `jailed runner (${caps.walls?.length ?? 0} walls), permission model ${flag ?? 'MISSING'}, network ${caps.networkIsolation}`,
    });
  } catch (error) {
    checks.push({ name: 'node backend', ok: false, required: nodeWanted, detail: (error as Error).message });
  }
  try {
    const store = await MemoryStore.open({
      url: config.databaseUrl,
      ...(config.databaseToken ? { authToken: config.databaseToken } : {}),
    });
    const state = await store.state();
    await store.close();
    checks.push({
      name: 'database',
      ok: state.state === 'ok',
      required: true,
      detail: `${config.databasePath ?? config.databaseUrl.replace(/\?.*$/, '')} (${state.state}, ${state.latencyMs.toFixed(2)} ms${state.error ? `: ${state.error}` : ''})`,
    });
  } catch (error) {
    checks.push({ name: 'database', ok: false, required: true, detail: (error as Error).message });
  }
  checks.push({
    name: 'mode',
    ok: true,
    required: false,
    detail: `${config.sandbox.backend} (${config.backendSource === 'default' ? 'default; set MCP_SANDBOX_BACKEND or --backend to change' : config.backendSource})`,
  });

  for (const c of checks) {
    const mark = c.ok ? 'ok ' : c.required ? 'FAIL' : 'warn';
    process.stdout.write(`${mark.padEnd(4)} ${c.name.padEnd(13)} ${c.detail}\n`);
  }
  const failed = checks.filter((c) => c.required && !c.ok);
  process.stdout.write(
    failed.length ? `\n${failed.length} required check(s) failed\n` : '\nall required checks passed\n',
  );
  return failed.length ? 1 : 0;
}
