import { ByteReader, ByteWriter } from './leb128.js';
import type { Section } from './module-info.js';

/** Canonical order of the non-custom section ids; a rewritten module must keep it. */
const SECTION_ORDER = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11];
const rank = (id: number) => SECTION_ORDER.indexOf(id);

/**
 * Re-emits a module with some sections replaced, added (`Uint8Array` for an id it lacks) or dropped
 * (`null`). Custom sections and untouched sections are copied byte for byte, in place.
 */
export function rebuildModule(
  bytes: Uint8Array,
  sections: Section[],
  changes: Map<number, Uint8Array | null>,
): Uint8Array {
  const out = new ByteWriter().bytes(bytes.subarray(0, 8));
  const present = new Set(sections.map((s) => s.id));
  const pending = [...changes.keys()]
    .filter((id) => !present.has(id) && changes.get(id))
    .sort((a, b) => rank(a) - rank(b));
  const flushBefore = (id: number) => {
    while (pending.length > 0 && rank(pending[0]!) < rank(id)) {
      const added = pending.shift()!;
      out.section(added, changes.get(added)!);
    }
  };
  for (const section of sections) {
    if (section.id !== 0) flushBefore(section.id);
    const change = changes.get(section.id);
    if (section.id !== 0 && change !== undefined) {
      if (change !== null) out.section(section.id, change);
    } else out.section(section.id, bytes.subarray(section.start, section.end));
  }
  for (const added of pending) out.section(added, changes.get(added)!);
  return out.finish();
}

/** A vector section's payload with extra entries appended (the count is rewritten). */
export function appendToVector(
  payload: Uint8Array | undefined,
  count: number,
  entries: Uint8Array,
): Uint8Array {
  const writer = new ByteWriter();
  if (!payload) return writer.u32(count).bytes(entries).finish();
  const reader = new ByteReader(payload);
  const existing = reader.u32();
  return writer
    .u32(existing + count)
    .bytes(payload.subarray(reader.offset))
    .bytes(entries)
    .finish();
}

/** The payload of the first section with this id, if any. */
export function sectionPayload(bytes: Uint8Array, sections: Section[], id: number): Uint8Array | undefined {
  const section = sections.find((s) => s.id === id);
  return section ? bytes.subarray(section.start, section.end) : undefined;
}
