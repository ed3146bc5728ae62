import type { Limits } from '../limits.js';
import type { SandboxConfig } from '../load-config.js';

export const MIB = 1024 * 1024;

/** Fuel granted per second of deadline when no explicit fuel is given; see the wasm backend's README. */
export const DEFAULT_FUEL_PER_SECOND = 250_000_000;

/** The default limits a `SandboxConfig` describes (MiB turned into bytes), for the sandbox and backends. */
export function limitsFromConfig(
  config: Pick<SandboxConfig, 'timeoutMs' | 'memoryMb' | 'maxOutputBytes'>,
): Limits {
  return {
    timeoutMs: config.timeoutMs,
    memoryBytes: config.memoryMb * MIB,
    maxOutputBytes: config.maxOutputBytes,
  };
}

/** The fuel for one run: the explicit budget, else the deadline times the fuel rate. */
export function fuelBudget(
  limits: Pick<Limits, 'fuel' | 'timeoutMs'>,
  fuelPerSecond = DEFAULT_FUEL_PER_SECOND,
): number {
  return limits.fuel ?? Math.max(1, Math.round((limits.timeoutMs / 1000) * fuelPerSecond));
}
