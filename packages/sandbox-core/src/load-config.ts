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
  /** The value, or undefined when `raw` (trimmed, non-empty) is not acceptable. */
  parse: (raw: string) => SandboxConfig[K] | undefined;
  accepted: string;
}

/**
 * Plain parsers rather than a schema library: every process that imports this package (the app,
 * each wasm executor and each of its worker threads) would otherwise load one just to read eight
 * variables. A number is what `Number()` makes of the text, and must be finite.
 */
const numberIn =
  (min: number, max: number, integer: boolean) =>
  (raw: string): number | undefined => {
    const n = Number(raw);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) return undefined;
    return n;
  };
const intIn = (min: number, max: number) => numberIn(min, max, true);
const oneOf =
  <T extends string>(...values: T[]) =>
  (raw: string): T | undefined =>
    (values as string[]).includes(raw) ? (raw as T) : undefined;

const SPECS: { [V: string]: VariableSpec<keyof SandboxConfig> } = {
  MCP_SANDBOX_BACKEND: {
    key: 'backend',
    parse: (raw) => (KIND_PATTERN.test(raw) ? raw : undefined),
    accepted: 'hybrid, or a configured backend kind (node, wasm, ...)',
  },
  MCP_WASM_RATIO: {
    key: 'wasmRatio',
    parse: numberIn(0, 1, false),
    accepted: 'a number in [0, 1]',
  },
  MCP_MAX_CONCURRENCY: { key: 'maxConcurrency', parse: intIn(1, 1024), accepted: 'an integer in [1, 1024]' },
  MCP_TIMEOUT_MS: {
    key: 'timeoutMs',
    parse: intIn(1, 3_600_000),
    accepted: 'an integer of milliseconds in [1, 3600000]',
  },
  MCP_MEMORY_MB: { key: 'memoryMb', parse: intIn(1, 4096), accepted: 'an integer of MiB in [1, 4096]' },
  MCP_FUEL_PER_SECOND: { key: 'fuelPerSecond', parse: intIn(1, 1e12), accepted: 'an integer in [1, 1e12]' },
  MCP_MAX_OUTPUT_BYTES: {
    key: 'maxOutputBytes',
    parse: intIn(1, 1024 * 1024 * 1024),
    accepted: 'an integer of bytes in [1, 1073741824]',
  },
  MCP_ISOLATION: {
    key: 'isolation',
    parse: oneOf('namespaces', 'permission-model'),
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
    const parsed = spec.parse(raw.trim());
    if (parsed === undefined) throw new ConfigError(variable, raw, spec.accepted);
    (config as unknown as Record<string, unknown>)[spec.key] = parsed;
  }
  return config;
}
