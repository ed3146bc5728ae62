import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_BYTES,
  RAW_PAGES_UP_TO_BYTES,
  type RestoredState,
  restoreState,
  StateCache,
  StateError,
  type StateTarget,
  saveState,
} from './engine-state.js';
import {
  layerDigest,
  readStateHead,
  STATE_HEAD_BYTES,
  stateDamage,
  stateEngineOf,
  verifiedDigest,
} from './state-header.js';

const PAGES = 6;
const ENGINE = createHash('sha256').update('test-engine').digest();
/** A start image with structure (not all zeros), like an engine's data segments. */
const IMAGE = (() => {
  const image = new Uint8Array(PAGES * CHUNK_BYTES);
  for (let i = 0; i < image.length; i++) image[i] = (i * 7) & 0xff;
  image.fill(0, 3 * CHUNK_BYTES); // the heap's free pages
  return image;
})();

/** A fresh instance's state: the start image in memory, globals at their start values. */
function target(maxPages = 64, engineId: Uint8Array = ENGINE): StateTarget {
  const memory = new WebAssembly.Memory({ initial: PAGES, maximum: maxPages });
  new Uint8Array(memory.buffer).set(IMAGE);
  const globals = new Map<string, WebAssembly.Global>([
    ['sp', new WebAssembly.Global({ value: 'i32', mutable: true }, 1024)],
    ['big', new WebAssembly.Global({ value: 'i64', mutable: true }, 5n)],
    ['ratio', new WebAssembly.Global({ value: 'f64', mutable: true }, 0.5)],
  ]);
  return { memory, globals, image: IMAGE, engineId };
}

const bytesOf = (t: StateTarget) => new Uint8Array(t.memory.buffer).slice();
const globalsOf = (t: StateTarget) => [...t.globals].map(([name, g]) => [name, g.value]);
const MAX = 64 * 1024 * 1024;

/** Some program's work: a few words here and there, and a page of fresh data. */
function scribble(t: StateTarget, seed: number, pages: number[] = [1, 4]): void {
  const view = new Uint8Array(t.memory.buffer);
  for (const page of pages) {
    for (let k = 0; k < 40; k++)
      view[page * CHUNK_BYTES + ((seed * 977 + k * 131) % CHUNK_BYTES)] = (seed + k) & 0xff;
  }
  view.set(randomBytes(CHUNK_BYTES), 5 * CHUNK_BYTES);
  t.globals.get('sp')!.value = 1024 + seed;
  t.globals.get('big')!.value = BigInt(seed) * 10_000_000_000n;
  t.globals.get('ratio')!.value = seed / 3;
}

function roundTrip(parts: { base: Uint8Array; delta?: Uint8Array }, cap = MAX, cache = new StateCache(MAX)) {
  const fresh = target();
  const restored = restoreState(parts, fresh, cap, cache);
  return { fresh, restored };
}

describe('engine state', () => {
  it('saves a base and restores memory and globals exactly, growing memory to the saved size', () => {
    const t = target();
    scribble(t, 3);
    t.memory.grow(2);
    new Uint8Array(t.memory.buffer).set(randomBytes(1000), (PAGES + 1) * CHUNK_BYTES + 77);
    const saved = saveState(t, undefined, MAX);
    expect(saved.base).toBeDefined();
    expect(stateEngineOf(saved.base)).toBe(ENGINE.toString('hex'));
    const { fresh } = roundTrip({ base: saved.base! });
    expect(fresh.memory.buffer.byteLength).toBe(t.memory.buffer.byteLength);
    expect(Buffer.from(bytesOf(fresh)).equals(Buffer.from(bytesOf(t)))).toBe(true);
    expect(globalsOf(fresh)).toEqual(globalsOf(t));
  });

  it('a call that changes little writes a small delta on the same base; base and delta restore exactly', () => {
    const t = target();
    scribble(t, 1);
    const first = saveState(t, undefined, MAX);
    const { fresh, restored } = roundTrip({ base: first.base! });
    new Uint8Array(fresh.memory.buffer)[2 * CHUNK_BYTES + 5] = 0xee; // one byte
    fresh.globals.get('sp')!.value = 4096;
    const second = saveState(fresh, restored, MAX);
    expect(second.base).toBeUndefined();
    expect(second.delta!.length).toBeLessThan(1024);
    expect(stateEngineOf(first.base!, second.delta)).toBe(ENGINE.toString('hex'));
    const again = roundTrip({ base: first.base!, delta: second.delta! });
    expect(Buffer.from(bytesOf(again.fresh)).equals(Buffer.from(bytesOf(fresh)))).toBe(true);
    expect(globalsOf(again.fresh)).toEqual(globalsOf(fresh));
  });

  it('folds a delta that outgrows half its base into a new base', () => {
    const t = target(256);
    scribble(t, 1);
    const first = saveState(t, undefined, MAX);
    const { fresh, restored } = roundTrip({ base: first.base! });
    fresh.memory.grow(12);
    for (let p = PAGES; p < PAGES + 12; p++)
      new Uint8Array(fresh.memory.buffer).set(randomBytes(CHUNK_BYTES), p * CHUNK_BYTES);
    const second = saveState(fresh, restored, MAX);
    expect(second.base).toBeDefined();
    expect(second.delta).toBeUndefined();
    const again = roundTrip({ base: second.base! });
    expect(Buffer.from(bytesOf(again.fresh)).equals(Buffer.from(bytesOf(fresh)))).toBe(true);
  });

  it('refuses a state over its byte cap, and one that needs more memory than the call allows', () => {
    const t = target(256);
    t.memory.grow(8);
    for (let p = 0; p < PAGES + 8; p++)
      new Uint8Array(t.memory.buffer).set(randomBytes(CHUNK_BYTES), p * CHUNK_BYTES);
    expect(() => saveState(t, undefined, 200_000)).toThrow(
      expect.objectContaining({ kind: 'session_state_limit' }),
    );
    const saved = saveState(t, undefined, MAX);
    expect(() => roundTrip({ base: saved.base! }, 8 * CHUNK_BYTES)).toThrow(
      expect.objectContaining({ kind: 'memory_limit' }),
    );
  });

  it("refuses another engine's state, a delta on another base, and layers of the wrong kind", () => {
    const t = target();
    scribble(t, 2);
    const first = saveState(t, undefined, MAX);
    const other = target(64, createHash('sha256').update('other-engine').digest());
    expect(() => restoreState({ base: first.base! }, other, MAX, new StateCache(MAX))).toThrow(
      expect.objectContaining({ kind: 'session_engine_mismatch' }),
    );
    const { fresh, restored } = roundTrip({ base: first.base! });
    scribble(fresh, 9, [2]);
    const delta = saveState(fresh, restored, MAX).delta!;
    const t2 = target();
    scribble(t2, 5);
    const otherBase = saveState(t2, undefined, MAX).base!;
    expect(() => roundTrip({ base: otherBase, delta })).toThrow(
      expect.objectContaining({ kind: 'session_state_invalid' }),
    );
    expect(() => roundTrip({ base: delta })).toThrow(
      expect.objectContaining({ kind: 'session_state_invalid' }),
    );
    expect(() => roundTrip({ base: new Uint8Array(10) })).toThrow(StateError);
  });

  it('any flipped byte is refused (the digest covers the body), and the instance is left for a reset', () => {
    const t = target();
    scribble(t, 4);
    const base = saveState(t, undefined, MAX).base!;
    const positions = new Set<number>();
    for (let i = 0; i < STATE_HEAD_BYTES + 64; i++) positions.add(i);
    for (let i = 0; i < 300; i++) positions.add(Math.floor(Math.random() * base.length));
    for (const at of positions) {
      const damaged = base.slice();
      damaged[at]! ^= 0x01 << (at % 8);
      let error: unknown;
      try {
        roundTrip({ base: damaged });
      } catch (caught) {
        error = caught;
      }
      expect(error, `byte ${at}`).toBeInstanceOf(StateError);
    }
  });

  it('a body altered with its digest recomputed still decodes only within bounds: StateError or a state, never a crash', () => {
    const t = target();
    scribble(t, 6);
    const first = saveState(t, undefined, MAX);
    const { fresh, restored } = roundTrip({ base: first.base! });
    scribble(fresh, 7, [0, 2]);
    const delta = saveState(fresh, restored, MAX).delta!;
    const reseal = (layer: Uint8Array) => {
      layer.set(Buffer.from(layerDigest(layer), 'hex'), 36);
      return layer;
    };
    let refused = 0;
    for (let trial = 0; trial < 400; trial++) {
      const damaged = (trial % 2 ? first.base! : delta).slice();
      const flips = 1 + (trial % 5);
      for (let f = 0; f < flips; f++) {
        const at = STATE_HEAD_BYTES + Math.floor(Math.random() * (damaged.length - STATE_HEAD_BYTES));
        damaged[at] = Math.floor(Math.random() * 256);
      }
      if (trial % 7 === 0) damaged.fill(0xff, STATE_HEAD_BYTES, STATE_HEAD_BYTES + 12); // sizes and counts
      reseal(damaged);
      const parts = trial % 2 ? { base: damaged } : { base: first.base!, delta: damaged };
      try {
        const cap = 16 * CHUNK_BYTES;
        const again = roundTrip(parts, cap);
        expect(again.fresh.memory.buffer.byteLength).toBeLessThanOrEqual(cap);
      } catch (error) {
        expect(error).toBeInstanceOf(StateError);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('reads heads without decoding bodies, and rejects what is not a state', () => {
    const t = target();
    const saved = saveState(t, undefined, MAX);
    expect(readStateHead(saved.base)).toMatchObject({ engine: ENGINE.toString('hex'), kind: 0 });
    expect(readStateHead(new Uint8Array(200))).toBeUndefined();
    expect(readStateHead('MMS1')).toBeUndefined();
    expect(stateEngineOf(saved.base, new Uint8Array(200))).toBeUndefined();
  });

  it('keeps decoded layers by digest: a second restore of the same state reads the cache', () => {
    const t = target();
    scribble(t, 8);
    const base = saveState(t, undefined, MAX).base!;
    const cache = new StateCache(MAX);
    const one: RestoredState = roundTrip({ base }, MAX, cache).restored;
    const two: RestoredState = roundTrip({ base }, MAX, cache).restored;
    expect(two.base).toBe(one.base);
  });

  it("a digest names only the bytes it was computed over: another layer's head on other bytes reaches nothing cached", () => {
    const t = target();
    scribble(t, 11);
    const secret = saveState(t, undefined, MAX).base!;
    const cache = new StateCache(MAX);
    roundTrip({ base: secret }, MAX, cache); // the secret's decoded pages are now cached by its digest
    const t2 = target();
    scribble(t2, 12);
    const forged = saveState(t2, undefined, MAX).base!.slice();
    forged.set(secret.subarray(0, STATE_HEAD_BYTES), 0); // the secret's head, digest included
    expect(verifiedDigest(forged)).toBeUndefined();
    expect(stateDamage(forged)).toMatch(/digest/);
    expect(() => roundTrip({ base: forged }, MAX, cache)).toThrow(
      expect.objectContaining({ kind: 'session_state_invalid' }),
    );
  });

  it('the digest covers the head: a changed engine, kind or base with the body untouched is refused', () => {
    const t = target();
    scribble(t, 13);
    const first = saveState(t, undefined, MAX);
    const { fresh, restored } = roundTrip({ base: first.base! });
    scribble(fresh, 14, [1]);
    const delta = saveState(fresh, restored, MAX).delta!;
    expect(stateDamage(first.base, delta)).toBeUndefined();
    // the old scheme hashed the body only: recomputing that over a changed head must not pass
    const bodyOnly = (layer: Uint8Array) => {
      layer.set(createHash('sha256').update(layer.subarray(STATE_HEAD_BYTES)).digest(), 36);
      return layer;
    };
    const otherEngine = first.base!.slice();
    otherEngine.set(createHash('sha256').update('other-engine').digest(), 4);
    const otherBase = delta.slice();
    otherBase.fill(7, 69, 101);
    for (const [parts, label] of [
      [{ base: bodyOnly(otherEngine) }, 'engine'],
      [{ base: first.base!, delta: bodyOnly(otherBase) }, 'base digest'],
    ] as const) {
      expect(stateDamage(parts.base, 'delta' in parts ? parts.delta : undefined), label).toBeDefined();
      expect(() => roundTrip(parts), label).toThrow(StateError);
    }
    // a delta whose head is resealed (whole-layer digest) but names another base still does not fit
    const t3 = target();
    scribble(t3, 15);
    const stranger = saveState(t3, undefined, MAX).base!;
    expect(stateDamage(stranger, delta)).toMatch(/belong/);
  });

  it('a state bigger than the raw-page limit keeps only its stored bytes, and still round-trips exactly', () => {
    const pages = RAW_PAGES_UP_TO_BYTES / CHUNK_BYTES + 8;
    const t = target(pages + 4);
    t.memory.grow(pages - PAGES);
    const view = new Uint8Array(t.memory.buffer);
    for (let p = PAGES; p < pages; p++) view.fill(p & 0xff, p * CHUNK_BYTES, p * CHUNK_BYTES + 4096);
    scribble(t, 21);
    const first = saveState(t, undefined, MAX);
    // what the layer holds is about its stored size: no page copies
    expect(first.baseLayer!.size).toBeLessThan(first.base!.length + 4096);
    const fresh = target(pages + 4);
    const restored = restoreState({ base: first.base! }, fresh, MAX, new StateCache(MAX));
    expect(Buffer.from(bytesOf(fresh)).equals(Buffer.from(bytesOf(t)))).toBe(true);
    // a small change on top is a delta, computed against pages decoded on demand
    new Uint8Array(fresh.memory.buffer)[(pages - 2) * CHUNK_BYTES + 9] = 0x5a;
    scribble(fresh, 22, [2]);
    const second = saveState(fresh, restored, MAX);
    expect(second.delta).toBeInstanceOf(Uint8Array);
    expect(second.delta!.length).toBeLessThan(CHUNK_BYTES * 2);
    const again = target(pages + 4);
    restoreState({ base: first.base!, delta: second.delta! }, again, MAX, new StateCache(MAX));
    expect(Buffer.from(bytesOf(again)).equals(Buffer.from(bytesOf(fresh)))).toBe(true);
    expect(globalsOf(again)).toEqual(globalsOf(fresh));
  });
});
