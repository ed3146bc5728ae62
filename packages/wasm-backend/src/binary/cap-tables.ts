import {
  ByteReader,
  ByteWriter,
  type MemoryLimits,
  readLimits,
  readSections,
  rebuildModule,
  WasmDecodeError,
  writeLimits,
} from '@memory-mcp/wasm-binary';

/**
 * Table elements one run may hold, summed over every table of a module (each core module of a
 * component on its own). V8 keeps a tagged slot and a dispatch entry per funcref element (about
 * 16–32 bytes), so 1,000,000 elements stay near 32 MB, far below the worker's heap; V8's own limit
 * is 10,000,000 per table, and three such tables exhaust a 256 MB heap, which is fatal to the process.
 */
export const DEFAULT_MAX_TABLE_ELEMENTS = 1_000_000;

export interface CappedTables {
  bytes: Uint8Array;
  /** Elements the tables ask for at instantiation, summed (defined and imported). */
  initialElements: number;
  /** True when `initialElements` alone is over the budget: the module must not be instantiated. */
  exceeds: boolean;
}

/**
 * Rewrites every defined table's maximum so that all tables together can never hold more than
 * `budget` elements: each table may grow by an equal share of what the initial sizes leave, so
 * `table.grow` past it fails inside the module (returns -1) instead of taking host memory.
 */
export function capTables(bytes: Uint8Array, budget: number): CappedTables {
  const sections = readSections(bytes);
  const defined: MemoryLimits[] = [];
  const tableSection = sections.find((s) => s.id === 4);
  let definedStart = 0;
  if (tableSection) {
    const reader = new ByteReader(bytes, tableSection.start, tableSection.end);
    const count = reader.u32();
    definedStart = reader.offset;
    for (let i = 0; i < count; i++) defined.push(readTableType(reader).limits);
  }
  const imported = importedTables(bytes, sections);
  const initialElements = [...defined, ...imported].reduce((sum, l) => sum + l.min, 0);
  const result: CappedTables = { bytes, initialElements, exceeds: initialElements > budget };
  if (result.exceeds || !tableSection || defined.length === 0) return result;

  const share = Math.floor((budget - initialElements) / (defined.length + imported.length));
  const reader = new ByteReader(bytes, definedStart, tableSection.end);
  const writer = new ByteWriter().u32(defined.length);
  for (let i = 0; i < defined.length; i++) {
    const { refType, limits } = readTableType(reader);
    const max = Math.min(limits.max ?? Number.POSITIVE_INFINITY, limits.min + share);
    writer.u8(refType);
    writeLimits(writer, { ...limits, max });
  }
  result.bytes = rebuildModule(bytes, sections, new Map([[4, writer.finish()]]));
  return result;
}

function readTableType(reader: ByteReader): { refType: number; limits: MemoryLimits } {
  const at = reader.offset;
  const refType = reader.u8();
  // 0x40 starts a table with an initializer expression (function references); only the plain
  // form is accepted, so no table escapes the count.
  if (refType !== 0x70 && refType !== 0x6f) {
    throw new WasmDecodeError(`unsupported table type 0x${refType.toString(16)}`, at);
  }
  return { refType, limits: readLimits(reader) };
}

/** Limits of each imported table (the host provides none, but the count must still hold). */
function importedTables(bytes: Uint8Array, sections: ReturnType<typeof readSections>): MemoryLimits[] {
  const section = sections.find((s) => s.id === 2);
  if (!section) return [];
  const reader = new ByteReader(bytes, section.start, section.end);
  const out: MemoryLimits[] = [];
  const count = reader.u32();
  for (let i = 0; i < count; i++) {
    reader.name();
    reader.name();
    const kind = reader.u8();
    if (kind === 0) reader.u32();
    else if (kind === 1) out.push(readTableType(reader).limits);
    else if (kind === 2) readLimits(reader);
    else if (kind === 3) {
      reader.u8();
      reader.u8();
    } else {
      reader.u8();
      reader.u32();
    }
  }
  return out;
}
