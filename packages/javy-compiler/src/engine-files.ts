import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface EngineFiles {
  /** The engine as compiled (used to compile JS to bytecode on the host). */
  engine: Uint8Array;
  /** The engine pre-initialized with Wizer: runtime and context already created. */
  snapshot: Uint8Array;
  /** The snapshot metered for fuel at build time, and the instrumenter version that did it. */
  metered: {
    version: string;
    bytes: Uint8Array;
    hasStart: boolean;
    maxStaticCharge: number;
    resettable: boolean;
  };
  /** SHA-256 of the snapshot: part of every cache key. */
  hash: string;
  version: string;
}

let cached: EngineFiles | undefined;

/** Loads the committed engine files that ship in the package's `engine/` folder. */
export function loadEngine(): EngineFiles {
  if (cached) return cached;
  // src/ and dist/ both sit one level below the package root
  const file = (name: string) =>
    new Uint8Array(readFileSync(fileURLToPath(new URL(`../engine/${name}`, import.meta.url))));
  const snapshot = file('engine.snapshot.wasm');
  const provenance = JSON.parse(new TextDecoder().decode(file('provenance.json'))) as {
    source: { quickjs: string; version: string };
  };
  const metering = JSON.parse(new TextDecoder().decode(file('engine.metered.json'))) as {
    version: string;
    hasStart: boolean;
    maxStaticCharge: number;
    resettable?: boolean;
  };
  cached = {
    metered: { ...metering, resettable: metering.resettable === true, bytes: file('engine.metered.wasm') },
    engine: file('engine.wasm'),
    snapshot,
    hash: createHash('sha256').update(snapshot).digest('hex'),
    version: `${provenance.source.quickjs}-${provenance.source.version}`,
  };
  return cached;
}
