// Saves and restores the whole state of a resettable engine instance (its linear memory and its
// exported mutable globals): a session's snapshot. Runs in a worker thread inside an executor.
//
// A state is a base layer (memory relative to the engine's start image) and optionally a delta
// layer (memory relative to that base). A call that changes a few pages writes a small delta and
// leaves the base alone; a delta that grows past half its base is folded into a new base.
// Each chunk (one wasm page) is stored as the XOR with what it is relative to, deflated: pages a
// call barely touched are nearly all zeros and cost microseconds.
//
// The bytes may come from a database anyone could have edited, so decoding is bounded at every
// step, each layer's digest is checked before its body is read, and any inconsistency is a
// `StateError`, never a wrong read. What a tampered state could still do is give the engine odd
// memory, and the engine is sandboxed.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  DIGEST_BYTES,
  ENGINE_ID_BYTES,
  LayerKind,
  layerDigest,
  readStateHead,
  STATE_HEAD_BYTES,
  STATE_MAGIC,
  verifiedDigest,
} from './state-header.js';

/** Memory is saved in chunks of one wasm page. */
export const CHUNK_BYTES = 64 * 1024;
enum Codec {
  Raw = 0,
  Deflate = 1,
  /** Runs of 32-bit words: (u16 words to skip, u16 words that follow, the words), repeated. */
  Sparse = 2,
}
const WORDS = CHUNK_BYTES / 4;
/** A diff with at most this many non-zero words is stored sparse: no deflate call, microseconds. */
const SPARSE_WORDS = WORDS / 8;
const ENTRY_BYTES = 9;
const ZERO = new Uint8Array(CHUNK_BYTES);
/**
 * A state whose memory is at most this big keeps each page it holds as plain bytes too (saves then
 * compare pages without decoding anything). A bigger one keeps only what is stored, and decodes a
 * page when it is needed: what a session holds outside its engine's memory stays about the size of
 * its compressed state, however large its memory (a copy of every page would double it, past what
 * an executor may allocate).
 */
export const RAW_PAGES_UP_TO_BYTES = 32 * 1024 * 1024;
/**
 * Scratch pages, reused so that saving or restoring a big state makes no page-sized garbage (that
 * garbage outgrows the collector and the executor's memory limit): one for a base's decoded page,
 * one for a delta's, one for a diff being encoded. Single-threaded, and each use ends before the
 * next use of the same one.
 */
const BASE_PAGE = new Uint8Array(CHUNK_BYTES);
const DELTA_PAGE = new Uint8Array(CHUNK_BYTES);
const DIFF = new Uint8Array(CHUNK_BYTES);

/** Why a state could not be restored or saved: `kind` is the result's error kind. */
export class StateError extends Error {
  constructor(
    readonly kind:
      | 'session_state_invalid'
      | 'session_engine_mismatch'
      | 'session_state_limit'
      | 'memory_limit',
    message: string,
  ) {
    super(message);
  }
}

/** The instance a state is saved from or restored into. */
export interface StateTarget {
  memory: WebAssembly.Memory;
  /** The engine's state globals by export name (mutable, fuel counters excluded). */
  globals: ReadonlyMap<string, WebAssembly.Global>;
  /** The engine's memory as instantiated. */
  image: Uint8Array;
  /** The engine's identity (32 bytes): a state from any other engine is refused. */
  engineId: Uint8Array;
}

interface Chunk {
  codec: Codec;
  /** As stored (the XOR with the reference, maybe deflated). */
  data: Uint8Array;
  /** The page as it is in memory, kept for states of up to `RAW_PAGES_UP_TO_BYTES`. */
  raw?: Uint8Array;
}

/** One layer as decoded. */
export interface DecodedLayer {
  digest: string;
  memoryBytes: number;
  chunks: Map<number, Chunk>;
  globals: Map<string, number | bigint>;
  /** Bytes of chunk data as stored. */
  dataBytes: number;
  /** Bytes held (for the cache's budget). */
  size: number;
}

/** The state a run started from: what its save compares against. */
export interface RestoredState {
  base: DecodedLayer;
  delta?: DecodedLayer;
}

/** A state as the worker receives it. */
export interface StateParts {
  base: Uint8Array;
  delta?: Uint8Array;
}

/** Decoded layers by digest, within a byte budget: resuming a session this worker saw skips inflating. */
export class StateCache {
  readonly #entries = new Map<string, DecodedLayer>();
  #bytes = 0;
  constructor(readonly maxBytes: number) {}

  get(digest: string): DecodedLayer | undefined {
    const found = this.#entries.get(digest);
    if (found) {
      this.#entries.delete(digest);
      this.#entries.set(digest, found);
    }
    return found;
  }

  set(layer: DecodedLayer): void {
    if (layer.size > this.maxBytes / 2 || this.#entries.has(layer.digest)) return;
    this.#entries.set(layer.digest, layer);
    this.#bytes += layer.size;
    for (const [digest, old] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(digest);
      this.#bytes -= old.size;
    }
  }
}

/**
 * Puts a saved state into `target`, a fresh or reset instance, growing its memory within
 * `capBytes`. Throws `StateError`; after a throw the instance must be reset before reuse.
 */
export function restoreState(
  parts: StateParts,
  target: StateTarget,
  capBytes: number,
  cache: StateCache,
  /** Frees what it can (a garbage collection) before a failed growth is tried once more. */
  reclaim?: () => void,
): RestoredState {
  const base = layer(parts.base, LayerKind.Base, undefined, target, capBytes, cache);
  const delta = parts.delta ? layer(parts.delta, LayerKind.Delta, base, target, capBytes, cache) : undefined;
  const top = delta ?? base;
  const { memory } = target;
  const have = memory.buffer.byteLength;
  if (have !== target.image.length) throw invalid('the engine instance is not in its start state');
  if (top.memoryBytes > have) {
    const grow = () => memory.grow((top.memoryBytes - have) / CHUNK_BYTES);
    try {
      try {
        grow();
      } catch (first) {
        // memories of instances already dropped are freed only by a collection: one, then again
        if (!reclaim) throw first;
        reclaim();
        grow();
      }
    } catch (error) {
      throw new StateError(
        'memory_limit',
        `the session's state needs ${top.memoryBytes} bytes of memory, which the engine cannot grow to: ${(error as Error).message}`,
      );
    }
  }
  const view = new Uint8Array(memory.buffer);
  for (const index of base.chunks.keys())
    if (!delta?.chunks.has(index))
      view.set(pageOf(base, index, undefined, target.image), index * CHUNK_BYTES);
  if (delta)
    for (const index of delta.chunks.keys())
      view.set(pageOf(delta, index, base, target.image), index * CHUNK_BYTES);
  for (const [name, value] of top.globals) target.globals.get(name)!.value = value;
  return delta ? { base, delta } : { base };
}

/** Checks a layer's head, then takes it from the cache or decodes it. */
function layer(
  bytes: Uint8Array,
  kind: LayerKind,
  base: DecodedLayer | undefined,
  target: StateTarget,
  capBytes: number,
  cache: StateCache,
): DecodedLayer {
  const head = readStateHead(bytes);
  if (!head) throw invalid('a layer does not start with a session-state header');
  const expected = Buffer.from(target.engineId).toString('hex');
  if (head.engine !== expected) {
    throw new StateError(
      'session_engine_mismatch',
      `the session's state was saved by engine ${head.engine.slice(0, 16)}…, and this sandbox runs engine ${expected.slice(0, 16)}…: a state cannot move between engines (start a new session)`,
    );
  }
  if (head.kind !== kind)
    throw invalid(`a ${kind === LayerKind.Base ? 'base' : 'delta'} layer is of the other kind`);
  if (base && head.baseDigest !== base.digest) throw invalid('its delta belongs to another base');
  // the digest is checked before it names anything, the cache included: a head copied from another
  // session's layer onto other bytes must not reach that session's decoded pages
  if (verifiedDigest(bytes) !== head.digest) throw invalid('a layer does not match its digest');
  const cached = cache.get(head.digest);
  if (cached) return cached;
  const decoded = decodeLayer(bytes, head.digest, base, target, capBytes);
  cache.set(decoded);
  return decoded;
}

function decodeLayer(
  bytes: Uint8Array,
  digest: string,
  base: DecodedLayer | undefined,
  target: StateTarget,
  capBytes: number,
): DecodedLayer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = STATE_HEAD_BYTES;
  const need = (n: number) => {
    if (at + n > bytes.length) throw invalid('it ends early');
  };
  need(6);
  const memoryBytes = view.getUint32(at, true);
  const globalCount = view.getUint16(at + 4, true);
  at += 6;
  if (memoryBytes % CHUNK_BYTES !== 0 || memoryBytes < (base?.memoryBytes ?? target.image.length)) {
    throw invalid(
      `its memory size (${memoryBytes} bytes) is not whole pages, or smaller than what it builds on`,
    );
  }
  if (memoryBytes > capBytes) {
    throw new StateError(
      'memory_limit',
      `the session's state needs ${memoryBytes} bytes of memory; this call's cap is ${capBytes}`,
    );
  }
  if (globalCount !== target.globals.size) {
    throw invalid(`it has ${globalCount} globals, the engine ${target.globals.size}`);
  }
  const globals = new Map<string, number | bigint>();
  for (let g = 0; g < globalCount; g++) {
    need(1);
    const nameBytes = bytes[at]!;
    need(1 + nameBytes + 9);
    const name = Buffer.from(bytes.buffer, bytes.byteOffset + at + 1, nameBytes).toString('latin1');
    at += 1 + nameBytes;
    const global = target.globals.get(name);
    if (!global || globals.has(name))
      throw invalid(`global ${JSON.stringify(name)} is not the engine's, or repeats`);
    const isBig = typeof global.value === 'bigint';
    if (bytes[at] !== (isBig ? 1 : 0)) throw invalid(`global ${name} has the wrong type`);
    globals.set(name, isBig ? view.getBigInt64(at + 1, true) : view.getFloat64(at + 1, true));
    at += 9;
  }
  need(4);
  const chunkCount = view.getUint32(at, true);
  at += 4;
  const pages = memoryBytes / CHUNK_BYTES;
  if (chunkCount > pages) throw invalid(`it lists ${chunkCount} chunks for ${pages} pages`);
  need(chunkCount * ENTRY_BYTES);
  let dataAt = at + chunkCount * ENTRY_BYTES;
  const chunks = new Map<number, Chunk>();
  let size = 0;
  let dataBytes = 0;
  let last = -1;
  const keepRaw = memoryBytes <= RAW_PAGES_UP_TO_BYTES;
  for (let c = 0; c < chunkCount; c++, at += ENTRY_BYTES) {
    const index = view.getUint32(at, true);
    const codec = bytes[at + 4]! as Codec;
    const length = view.getUint32(at + 5, true);
    if (index <= last || index >= pages) throw invalid('its chunk list is out of order or out of range');
    last = index;
    if (length > CHUNK_BYTES || dataAt + length > bytes.length) throw invalid('a chunk runs past the end');
    const data = bytes.subarray(dataAt, dataAt + length);
    dataAt += length;
    // every chunk is decoded now, so damage is found before anything is written; a big state's
    // pages are then dropped and decoded again where they are needed
    const diff = decodeDiff(codec, data);
    if (keepRaw) {
      const raw = new Uint8Array(CHUNK_BYTES);
      xor(raw, diff, reference(index, base, target.image));
      chunks.set(index, { codec, data, raw });
      size += CHUNK_BYTES;
    } else {
      chunks.set(index, { codec, data });
    }
    dataBytes += length;
    size += length;
  }
  if (dataAt !== bytes.length) throw invalid('it has bytes after its last chunk');
  return { digest, memoryBytes, chunks, globals, dataBytes, size: size + 512 };
}

/** A stored chunk's XOR with its reference, checked: a page's worth of bytes or a `StateError`. */
function decodeDiff(codec: Codec, data: Uint8Array): Uint8Array {
  if (codec === Codec.Raw) {
    if (data.length !== CHUNK_BYTES) throw invalid('a raw chunk is not one page');
    return data;
  }
  if (codec === Codec.Deflate) {
    let diff: Uint8Array;
    try {
      diff = inflateRawSync(data, { maxOutputLength: CHUNK_BYTES });
    } catch (error) {
      throw invalid(`a chunk does not inflate: ${(error as Error).message}`);
    }
    if (diff.length !== CHUNK_BYTES) throw invalid('a chunk inflates to the wrong size');
    return diff;
  }
  if (codec === Codec.Sparse) return unsparse(data);
  throw invalid(`a chunk has unknown codec ${codec}`);
}

/**
 * Page `index` of a layer that has it: its kept bytes, or decoded now into a scratch page (a big
 * state's), valid until the next page of the same kind of layer is decoded.
 */
function pageOf(
  layer: DecodedLayer,
  index: number,
  base: DecodedLayer | undefined,
  image: Uint8Array,
): Uint8Array {
  const chunk = layer.chunks.get(index)!;
  if (chunk.raw) return chunk.raw;
  const page = base ? DELTA_PAGE : BASE_PAGE;
  xor(page, decodeDiff(chunk.codec, chunk.data), reference(index, base, image));
  return page;
}

/** What a chunk is stored relative to: the base's page, else the start image's, else zeros. */
function reference(index: number, base: DecodedLayer | undefined, image: Uint8Array): Uint8Array {
  if (base?.chunks.has(index)) return pageOf(base, index, undefined, image);
  const start = index * CHUNK_BYTES;
  return start < image.length ? image.subarray(start, start + CHUNK_BYTES) : ZERO;
}

/** A saved state: a new base (and no delta), or a new delta on the base the run started from. */
export type SavedState =
  | { base: Uint8Array; baseLayer: DecodedLayer; delta?: undefined; deltaLayer?: undefined }
  | { base?: undefined; baseLayer?: undefined; delta: Uint8Array; deltaLayer: DecodedLayer };

/**
 * Writes `target`'s state relative to `from` (the state the run started from): a delta on its
 * base when that stays small, else a new base. Pages equal to what they were reuse their stored
 * bytes. Throws `StateError` when the state (base and delta together) would pass `maxBytes`.
 */
export function saveState(
  target: StateTarget,
  from: RestoredState | undefined,
  maxBytes: number,
): SavedState {
  const memory = new Uint8Array(target.memory.buffer);
  const pages = memory.length / CHUNK_BYTES;
  const keepRaw = memory.length <= RAW_PAGES_UP_TO_BYTES;
  if (from) {
    const chunks = new Map<number, Chunk>();
    let dataBytes = 0;
    const room = maxBytes - from.base.dataBytes;
    const foldAt = Math.max(256 * 1024, from.base.dataBytes / 2);
    let fold = false;
    for (let index = 0; index < pages && !fold; index++) {
      const current = page(memory, index);
      const before = from.delta?.chunks.get(index);
      if (before && current.equals(pageOf(from.delta!, index, from.base, target.image))) {
        chunks.set(index, before);
        dataBytes += before.data.length;
        continue;
      }
      const ref = reference(index, from.base, target.image);
      if (current.equals(ref)) continue;
      const chunk = encode(current, ref, keepRaw);
      chunks.set(index, chunk);
      dataBytes += chunk.data.length;
      if (dataBytes > room) throw tooLarge(maxBytes);
      fold = dataBytes > foldAt;
    }
    if (!fold) {
      const delta = writeLayer(target, LayerKind.Delta, from.base.digest, memory.length, chunks, dataBytes);
      return { delta: delta.bytes, deltaLayer: delta.layer };
    }
  }
  // A new base: every page that differs from the start image, reusing the old base's pages that did not change.
  const chunks = new Map<number, Chunk>();
  let dataBytes = 0;
  for (let index = 0; index < pages; index++) {
    const current = page(memory, index);
    const before = from?.base.chunks.get(index);
    if (before && current.equals(pageOf(from!.base, index, undefined, target.image))) {
      chunks.set(index, before);
      dataBytes += before.data.length;
      continue;
    }
    const ref = reference(index, undefined, target.image);
    if (current.equals(ref)) continue;
    const chunk = encode(current, ref, keepRaw);
    chunks.set(index, chunk);
    dataBytes += chunk.data.length;
    if (dataBytes > maxBytes) throw tooLarge(maxBytes);
  }
  const base = writeLayer(target, LayerKind.Base, undefined, memory.length, chunks, dataBytes);
  return { base: base.bytes, baseLayer: base.layer };
}

function page(memory: Uint8Array, index: number): Buffer {
  return Buffer.from(memory.buffer, memory.byteOffset + index * CHUNK_BYTES, CHUNK_BYTES);
}

function encode(current: Uint8Array, ref: Uint8Array, keepRaw: boolean): Chunk {
  const kept = keepRaw ? { raw: new Uint8Array(current) } : {};
  const sparse = sparseDiff(current, ref);
  if (sparse) return { codec: Codec.Sparse, data: sparse, ...kept };
  xor(DIFF, current, ref);
  const packed = deflateRawSync(DIFF, { level: 1 });
  // copied out: zlib's answer is a view of a larger output buffer, which it would keep alive
  return packed.length < CHUNK_BYTES - 1024
    ? { codec: Codec.Deflate, data: new Uint8Array(packed), ...kept }
    : { codec: Codec.Raw, data: DIFF.slice(), ...kept };
}

function writeLayer(
  target: StateTarget,
  kind: LayerKind,
  baseDigest: string | undefined,
  memoryBytes: number,
  chunks: Map<number, Chunk>,
  dataBytes: number,
): { bytes: Uint8Array; layer: DecodedLayer } {
  const globals = new Map<string, number | bigint>();
  let globalBytes = 0;
  for (const [name, global] of target.globals) {
    globals.set(name, global.value as number | bigint);
    globalBytes += 1 + Buffer.byteLength(name, 'latin1') + 9;
  }
  const total = STATE_HEAD_BYTES + 6 + globalBytes + 4 + chunks.size * ENTRY_BYTES + dataBytes;
  // A fresh ArrayBuffer of exactly this size (never a pooled slab), so it can be transferred.
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(STATE_MAGIC, 0);
  out.set(target.engineId.subarray(0, ENGINE_ID_BYTES), STATE_MAGIC.length);
  const kindAt = STATE_MAGIC.length + ENGINE_ID_BYTES + DIGEST_BYTES;
  out[kindAt] = kind;
  if (baseDigest) out.set(Buffer.from(baseDigest, 'hex'), kindAt + 1);
  let at = STATE_HEAD_BYTES;
  view.setUint32(at, memoryBytes, true);
  view.setUint16(at + 4, globals.size, true);
  at += 6;
  for (const [name, value] of globals) {
    const nameBytes = Buffer.from(name, 'latin1');
    out[at] = nameBytes.length;
    out.set(nameBytes, at + 1);
    at += 1 + nameBytes.length;
    if (typeof value === 'bigint') {
      out[at] = 1;
      view.setBigInt64(at + 1, value, true);
    } else {
      out[at] = 0;
      view.setFloat64(at + 1, value, true);
    }
    at += 9;
  }
  view.setUint32(at, chunks.size, true);
  at += 4;
  let dataAt = at + chunks.size * ENTRY_BYTES;
  let size = 0;
  for (const [index, chunk] of chunks) {
    view.setUint32(at, index, true);
    out[at + 4] = chunk.codec;
    view.setUint32(at + 5, chunk.data.length, true);
    at += ENTRY_BYTES;
    out.set(chunk.data, dataAt);
    dataAt += chunk.data.length;
    size += chunk.data.length + (chunk.raw ? CHUNK_BYTES : 0);
  }
  const digest = layerDigest(out);
  out.set(Buffer.from(digest, 'hex'), STATE_MAGIC.length + ENGINE_ID_BYTES);
  return {
    bytes: out,
    layer: { digest, memoryBytes, chunks, globals, dataBytes, size: size + 512 },
  };
}

/**
 * `page ^ ref` as runs of differing words, in one pass over both, or undefined when too many words
 * differ for that to pay (the page is then deflated).
 */
function sparseDiff(page: Uint8Array, ref: Uint8Array): Uint8Array | undefined {
  if ((page.byteOffset | ref.byteOffset) % 4 !== 0) return undefined;
  const a = new Int32Array(page.buffer, page.byteOffset, WORDS);
  const b = new Int32Array(ref.buffer, ref.byteOffset, WORDS);
  // runs as [start, end) pairs, found before anything is written
  const runs: number[] = [];
  let differing = 0;
  for (let i = 0; i < WORDS; i++) {
    if (a[i] === b[i]) continue;
    let end = i + 1;
    while (end < WORDS && a[end] !== b[end]) end++;
    runs.push(i, end);
    differing += end - i;
    if (differing > SPARSE_WORDS) return undefined;
    i = end;
  }
  const out = new Uint8Array((runs.length / 2) * 4 + differing * 4);
  const view = new DataView(out.buffer);
  const words = new Int32Array(out.buffer);
  let at = 0;
  let last = 0;
  for (let r = 0; r < runs.length; r += 2) {
    const start = runs[r]!;
    const end = runs[r + 1]!;
    view.setUint16(at, start - last, true);
    view.setUint16(at + 2, end - start, true);
    // `at` is a multiple of 4: a run header and whole words precede it
    let w = at / 4 + 1;
    for (let i = start; i < end; i++) words[w++] = a[i]! ^ b[i]!;
    at += 4 + (end - start) * 4;
    last = end;
  }
  return out;
}

/** A sparse diff back to a page; a run that points past the page is damage. */
function unsparse(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHUNK_BYTES);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  let word = 0;
  while (at < data.length) {
    if (at + 4 > data.length) throw invalid('a sparse chunk ends inside a run header');
    word += view.getUint16(at, true);
    const count = view.getUint16(at + 2, true);
    at += 4;
    if (count === 0 || word + count > WORDS || at + count * 4 > data.length)
      throw invalid('a sparse chunk runs past its page');
    out.set(data.subarray(at, at + count * 4), word * 4);
    at += count * 4;
    word += count;
  }
  return out;
}

/** `out = a ^ b`, one page, a word at a time where the arrays allow it. */
function xor(out: Uint8Array, a: Uint8Array, b: Uint8Array): void {
  if ((out.byteOffset | a.byteOffset | b.byteOffset) % 4 === 0) {
    const o = new Int32Array(out.buffer, out.byteOffset, CHUNK_BYTES / 4);
    const x = new Int32Array(a.buffer, a.byteOffset, CHUNK_BYTES / 4);
    const y = new Int32Array(b.buffer, b.byteOffset, CHUNK_BYTES / 4);
    for (let i = 0; i < o.length; i++) o[i] = x[i]! ^ y[i]!;
    return;
  }
  for (let i = 0; i < CHUNK_BYTES; i++) out[i] = a[i]! ^ b[i]!;
}

function invalid(why: string): StateError {
  return new StateError(
    'session_state_invalid',
    `the session's saved state is damaged or was altered: ${why}`,
  );
}

function tooLarge(maxBytes: number): StateError {
  return new StateError(
    'session_state_limit',
    `the session's state would take over ${maxBytes} bytes compressed, its cap (keep less on globalThis, or raise the session state cap)`,
  );
}
