import { FUEL_INSTRUMENTER_VERSION } from '../fuel/fuel-instrumenter.js';

/**
 * The identity of a prepared core module: its bytes, the memory cap rewritten into it, the fuel
 * instrumenter that metered it and the imports left to linked modules. Workers and the engine's
 * cache use the same key.
 */
export function moduleCacheKey(
  bytesHash: string,
  capPages: number,
  linkNames: readonly string[] = [],
): string {
  return `${bytesHash}:${capPages}:fuel-v${FUEL_INSTRUMENTER_VERSION}:${linkNames.join(',')}`;
}

/**
 * What a saved engine state is tied to: the module's bytes and the instrumenter that metered them,
 * without the memory cap (a cap changes the memory's maximum, never its contents).
 */
export function engineIdentity(key: string): string {
  const parts = key.split(':');
  parts.splice(1, 1);
  return parts.join(':');
}
