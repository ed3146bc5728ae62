/**
 * The fixed head of a saved engine state layer (part of a session's snapshot), readable without
 * decompressing anything. The host reads only this; the body is decoded inside an executor's
 * worker, where hostile bytes belong.
 *
 *   0   4  magic "MMS1"
 *   4  32  identity of the engine that wrote it
 *  36  32  SHA-256 of everything after the head (checked before the body is trusted)
 *  68   1  kind: 0 base (chunks relative to the engine's start image), 1 delta (relative to a base)
 *  69  32  the base's digest (a delta), or zeros (a base)
 */
export const STATE_MAGIC = [0x4d, 0x4d, 0x53, 0x31] as const; // "MMS1"
export const ENGINE_ID_BYTES = 32;
export const DIGEST_BYTES = 32;
export const STATE_HEAD_BYTES = STATE_MAGIC.length + ENGINE_ID_BYTES + DIGEST_BYTES + 1 + DIGEST_BYTES;

export enum LayerKind {
  Base = 0,
  Delta = 1,
}

export interface StateHead {
  /** 64 hex digits. */
  engine: string;
  /** 64 hex digits. */
  digest: string;
  kind: LayerKind;
  /** A delta's base digest (64 hex digits). */
  baseDigest?: string;
}

/** Reads a layer's head; undefined when `bytes` is not a state layer. Never throws. */
export function readStateHead(bytes: unknown): StateHead | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < STATE_HEAD_BYTES) return undefined;
  for (let i = 0; i < STATE_MAGIC.length; i++) if (bytes[i] !== STATE_MAGIC[i]) return undefined;
  const hex = (at: number, n: number) => Buffer.from(bytes.buffer, bytes.byteOffset + at, n).toString('hex');
  const kindAt = STATE_MAGIC.length + ENGINE_ID_BYTES + DIGEST_BYTES;
  const kind = bytes[kindAt];
  if (kind !== LayerKind.Base && kind !== LayerKind.Delta) return undefined;
  // a base names no base: its field is zeros, so every byte of a head has one valid value
  if (kind === LayerKind.Base && bytes.subarray(kindAt + 1, kindAt + 1 + DIGEST_BYTES).some((b) => b !== 0)) {
    return undefined;
  }
  return {
    engine: hex(STATE_MAGIC.length, ENGINE_ID_BYTES),
    digest: hex(STATE_MAGIC.length + ENGINE_ID_BYTES, DIGEST_BYTES),
    kind,
    ...(kind === LayerKind.Delta ? { baseDigest: hex(kindAt + 1, DIGEST_BYTES) } : {}),
  };
}

/**
 * Checks that `base` and `delta` form one state (a base, and optionally a delta on that very base,
 * from the same engine); returns the engine, or undefined. Only heads are read.
 */
export function stateEngineOf(base: unknown, delta?: unknown): string | undefined {
  const b = readStateHead(base);
  if (!b || b.kind !== LayerKind.Base) return undefined;
  if (delta === undefined) return b.engine;
  const d = readStateHead(delta);
  if (!d || d.kind !== LayerKind.Delta || d.engine !== b.engine || d.baseDigest !== b.digest)
    return undefined;
  return b.engine;
}
