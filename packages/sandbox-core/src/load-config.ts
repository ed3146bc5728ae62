import { z } from 'zod';
import { DEFAULT_FUEL_PER_SECOND } from './backend-kit/limits-from-config.js';
import { ConfigError } from './errors/config-error.js';
import { KIND_PATTERN } from './execution-request.js';
import type { SandboxMode } from './route-request.js';

/** The sandbox's configuration, derived once from the environment. */
export interface SandboxConfig {
  /**
   * `MCP_SANDBOX_BACKEND`: `hybrid`, or the kind of a configured backend (`node`, `wasm`, or a
   * contributed one) that runs every request it can. Default hybrid. Whether the kind is configured
   * is checked when the sandbox is built (`UnifiedSandbox.fromConfig`).
   */
  backend: SandboxMode;
  /** `MCP_WASM_RATIO`: share of ratio-routed hybrid requests sent to wasm, 0..1. Default 0.5. */
  wasmRatio: number;
  /** `MCP_MAX_CONCURRENCY`: executions at once. Default 20. */
  maxConcurrency: number;
  /** `MCP_TIMEOUT_MS`: default wall-clock deadline. Default 5000. */
  timeoutMs: number;
  /** `MCP_MEMORY_MB`: default memory cap in MiB. Default 128. */
  memoryMb: number;
  /**
   * `MCP_FUEL_PER_SECOND`: fuel granted per second of `timeoutMs`. Default 250,000,000, calibrated
   * on the reference machine so fuel stops a runaway loop before the deadline (see the wasm-backend
   * README); the seed design's 1,000,000 buys a few milliseconds of computation per second.
   */
  fuelPerSecond: number;
  /** `MCP_MAX_OUTPUT_BYTES`: stdout+stderr cap. Default 1 MiB. */
  maxOutputBytes: number;
  /**
   * `MCP_ISOLATION`: the walls untrusted code runs behind. `namespaces` (default) needs kernel
   * namespaces (bubblewrap); where they are missing, backends refuse untrusted code rather than
   * silently run it with less. `permission-model` is the named weaker level an operator may opt
   * into on such machines (Node's permission model and rlimits, no namespaces).
   */
  isolation: 'namespaces' | 'permission-model';
}

export const DEFAULT_CONFIG: Readonly<SandboxConfig> = Object.freeze({
  backend: 'hybrid',
  wasmRatio: 0.5,
  maxConcurrency: 20,
  timeoutMs: 5_000,
  memoryMb: 128,
  fuelPerSecond: DEFAULT_FUEL_PER_SECOND,
  maxOutputBytes: 1024 * 1024,
  isolation: 'namespaces',
});

interface VariableSpec<K extends keyof SandboxConfig> {
  key: K;
  schema: z.ZodType<SandboxConfig[K]>;
  accepted: string;
}

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const SPECS: { [V: string]: VariableSpec<keyof SandboxConfig> } = {
  MCP_SANDBOX_BACKEND: {
    key: 'backend',
    schema: z.string().regex(KIND_PATTERN),
    accepted: 'hybrid, or a configured backend kind (node, wasm, ...)',
  },
  MCP_WASM_RATIO: {
    key: 'wasmRatio',
    schema: z.coerce.number().min(0).max(1),
    accepted: 'a number in [0, 1]',
  },
  MCP_MAX_CONCURRENCY: { key: 'maxConcurrency', schema: intIn(1, 1024), accepted: 'an integer in [1, 1024]' },
  MCP_TIMEOUT_MS: {
    key: 'timeoutMs',
    schema: intIn(1, 3_600_000),
    accepted: 'an integer of milliseconds in [1, 3600000]',
  },
  MCP_MEMORY_MB: { key: 'memoryMb', schema: intIn(1, 4096), accepted: 'an integer of MiB in [1, 4096]' },
  MCP_FUEL_PER_SECOND: { key: 'fuelPerSecond', schema: intIn(1, 1e12), accepted: 'an integer in [1, 1e12]' },
  MCP_MAX_OUTPUT_BYTES: {
    key: 'maxOutputBytes',
    schema: intIn(1, 1024 * 1024 * 1024),
    accepted: 'an integer of bytes in [1, 1073741824]',
  },
  MCP_ISOLATION: {
    key: 'isolation',
    schema: z.enum(['namespaces', 'permission-model']),
    accepted: 'namespaces | permission-model',
  },
};

/** Environment variables this package reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(SPECS);

/**
 * Reads and validates the sandbox configuration. Unset or empty variables take defaults; a bad value
 * throws `ConfigError` naming the variable and what it accepts.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): SandboxConfig {
  const config: SandboxConfig = { ...DEFAULT_CONFIG };
  for (const [variable, spec] of Object.entries(SPECS)) {
    const raw = env[variable];
    if (raw === undefined || raw.trim() === '') continue;
    const parsed = spec.schema.safeParse(raw.trim());
    if (!parsed.success) throw new ConfigError(variable, raw, spec.accepted);
    (config as unknown as Record<string, unknown>)[spec.key] = parsed.data;
  }
  return config;
}
