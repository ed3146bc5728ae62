/**
 * The fixed head of a saved engine state layer (part of a session's snapshot), readable without
 * decompressing anything. The host reads only this; the body is decoded inside an executor's
 * worker, where hostile bytes belong.
 *
 *   0   4  magic "MMS1"
 *   4  32  identity of the engine that wrote it
 *  36  32  SHA-256 of the whole layer but these 32 bytes (head and body: the engine, the kind and
 *          the base a delta builds on are bound to the body; checked before anything is trusted)
 *  68   1  kind: 0 base (chunks relative to the engine's start image), 1 delta (relative to a base)
 *  69  32  the base's digest (a delta), or zeros (a base)
 */
import { createHash } from 'node:crypto';

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

const DIGEST_AT = STATE_MAGIC.length + ENGINE_ID_BYTES;

/** The SHA-256 a layer's head must carry: of every byte of the layer but the digest field. */
export function layerDigest(bytes: Uint8Array): string {
  return createHash('sha256')
    .update(bytes.subarray(0, DIGEST_AT))
    .update(bytes.subarray(DIGEST_AT + DIGEST_BYTES))
    .digest('hex');
}

/** Layers this thread has hashed, by object (with the length then, so a detached buffer misses). */
const verified = new WeakMap<Uint8Array, { digest: string; length: number }>();

/**
 * A layer's digest when the layer is one (a valid head) and its bytes hash to the digest its head
 * carries; undefined otherwise. The only way a digest may name bytes anywhere (a cache, a parked
 * instance, a base an executor holds): a digest read from a head and not checked names nothing.
 * Hashes once per byte array (a layer is never written after it is made). Never throws.
 */
export function verifiedDigest(bytes: unknown): string | undefined {
  if (!(bytes instanceof Uint8Array)) return undefined;
  const known = verified.get(bytes);
  if (known && known.length === bytes.length) return known.digest;
  const head = readStateHead(bytes);
  if (!head || layerDigest(bytes) !== head.digest) return undefined;
  verified.set(bytes, { digest: head.digest, length: bytes.length });
  return head.digest;
}

/**
 * The error a run from a damaged state ends with (before anything trusts its digests), or
 * undefined when `restore` is absent or whole.
 */
export function stateRefusal(
  restore: { base: unknown; delta?: unknown } | undefined,
): { kind: 'session_state_invalid'; message: string } | undefined {
  const damage = restore ? stateDamage(restore.base, restore.delta) : undefined;
  return damage
    ? {
        kind: 'session_state_invalid',
        message: `the session's saved state is damaged or was altered: ${damage}`,
      }
    : undefined;
}

/**
 * Checks a state before anything trusts a digest in it: each layer hashes to its head's digest,
 * and the delta builds on that very base from the same engine. A message saying what is wrong,
 * or undefined when the state is whole. Never throws.
 */
export function stateDamage(base: unknown, delta?: unknown): string | undefined {
  if (verifiedDigest(base) === undefined)
    return 'its base layer is not a state layer or does not match its digest';
  if (delta !== undefined && verifiedDigest(delta) === undefined)
    return 'its delta layer is not a state layer or does not match its digest';
  if (stateEngineOf(base, delta) === undefined) return 'its layers do not belong together';
  return undefined;
}
