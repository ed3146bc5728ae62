import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors/config-error.js';
import { DEFAULT_CONFIG, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('uses defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        MCP_SANDBOX_BACKEND: 'wasm',
        MCP_WASM_RATIO: '0.25',
        MCP_MAX_CONCURRENCY: '8',
        MCP_TIMEOUT_MS: '1500',
        MCP_MEMORY_MB: '64',
        MCP_FUEL_PER_SECOND: '5000000',
        MCP_MAX_OUTPUT_BYTES: '2048',
        MCP_ISOLATION: 'permission-model',
      }),
    ).toEqual({
      backend: 'wasm',
      wasmRatio: 0.25,
      maxConcurrency: 8,
      timeoutMs: 1500,
      memoryMb: 64,
      fuelPerSecond: 5_000_000,
      maxOutputBytes: 2048,
      isolation: 'permission-model',
    });
  });

  it('reads numbers as Number() does: exponents, surrounding spaces, ratio bounds included', () => {
    expect(
      loadConfig({ MCP_TIMEOUT_MS: '1e3', MCP_WASM_RATIO: ' 1 ', MCP_MAX_CONCURRENCY: '1024' }),
    ).toMatchObject({ timeoutMs: 1000, wasmRatio: 1, maxConcurrency: 1024 });
    expect(loadConfig({ MCP_WASM_RATIO: '0' }).wasmRatio).toBe(0);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['MCP_SANDBOX_BACKEND', 'Docker!', /hybrid, or a configured backend kind/],
    ['MCP_WASM_RATIO', '1.5', /\[0, 1\]/],
    ['MCP_WASM_RATIO', 'half', /\[0, 1\]/],
    ['MCP_MAX_CONCURRENCY', '0', /integer/],
    ['MCP_MAX_CONCURRENCY', '2.5', /integer/],
    ['MCP_TIMEOUT_MS', '-5', /milliseconds/],
    ['MCP_MEMORY_MB', 'lots', /MiB/],
    ['MCP_FUEL_PER_SECOND', 'NaN', /integer/],
    ['MCP_FUEL_PER_SECOND', 'Infinity', /integer/],
    ['MCP_TIMEOUT_MS', '1e400', /milliseconds/],
    ['MCP_WASM_RATIO', '-0.1', /\[0, 1\]/],
    ['MCP_MAX_CONCURRENCY', '1025', /integer/],
    ['MCP_SANDBOX_BACKEND', 'Wasm', /hybrid, or a configured backend kind/],
    ['MCP_MAX_OUTPUT_BYTES', '0', /bytes/],
    ['MCP_ISOLATION', 'none', /namespaces \| permission-model/],
  ];
  for (const [variable, value, accepted] of bad) {
    it(`throws ConfigError naming ${variable} for ${JSON.stringify(value)}`, () => {
      let caught: unknown;
      try {
        loadConfig({ [variable]: value });
      } catch (error) {
        caught = error;
      }
      expect(ConfigError.isInstance(caught)).toBe(true);
      const error = caught as ConfigError;
      expect(error.variable).toBe(variable);
      expect(error.value).toBe(value);
      expect(error.message).toContain(variable);
      expect(error.accepted).toMatch(accepted);
    });
  }
});
