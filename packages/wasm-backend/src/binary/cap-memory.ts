import { ByteReader, ByteWriter } from './leb128.js';
import { type MemoryLimits, type ModuleInfo, readLimits, writeLimits } from './module-info.js';

export interface CappedModule {
  bytes: Uint8Array;
  /** The largest initial size any memory asks for, in pages. */
  minPages: number;
  /** The maximum written into the module, in pages. */
  maxPages: number;
  /** Limits of an imported memory (after capping), which the host must create. */
  importedMemory?: MemoryLimits;
  /** True when a memory's initial size alone is over the cap: the module cannot start. */
  exceeds: boolean;
  /** Name under which memory 0 is exported (added when the module did not export it). */
  memoryExport?: string;
}

/** Export name the sandbox adds so the host can measure a module's unexported memory. */
export const HIDDEN_MEMORY_EXPORT = '__memory_mcp_memory';

/** Canonical order of the non-custom sections (ids), which a rewrite must keep. */
const SECTION_ORDER = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11];

const cap = (limits: MemoryLimits, maxPages: number): MemoryLimits => ({
  ...limits,
  max: Math.min(limits.max ?? maxPages, maxPages),
});

/**
 * Rewrites every memory's maximum (defined or imported) to at most `maxPages`, so that
 * `memory.grow` past the cap fails inside the module (returns -1) instead of taking host memory.
 */
export function capMemory(bytes: Uint8Array, info: ModuleInfo, maxPages: number): CappedModule {
  const memoryImport = info.imports.find((i) => i.kind === 'memory');
  const limits = [...info.memories, ...(memoryImport?.memory ? [memoryImport.memory] : [])];
  const minPages = limits.reduce((m, l) => Math.max(m, l.min), 0);
  const result: CappedModule = { bytes, minPages, maxPages, exceeds: minPages > maxPages };
  if (memoryImport?.memory) result.importedMemory = cap(memoryImport.memory, maxPages);
  if (limits.length === 0 || result.exceeds) return result;

  const exported = info.exports.find((e) => e.kind === 'memory' && e.index === 0);
  result.memoryExport = exported?.name ?? HIDDEN_MEMORY_EXPORT;
  const exportSection = info.sections.find((s) => s.id === 7);
  const addExport = (payload?: Uint8Array) => {
    const writer = new ByteWriter();
    if (!payload) return writer.u32(1).name(HIDDEN_MEMORY_EXPORT).u8(2).u32(0).finish();
    const reader = new ByteReader(payload);
    const count = reader.u32();
    return writer
      .u32(count + 1)
      .bytes(payload.subarray(reader.offset))
      .name(HIDDEN_MEMORY_EXPORT)
      .u8(2)
      .u32(0)
      .finish();
  };

  const out = new ByteWriter().bytes(bytes.subarray(0, 8));
  let exportWritten = !!exported;
  for (const section of info.sections) {
    const payload = bytes.subarray(section.start, section.end);
    if (
      !exportWritten &&
      !exportSection &&
      section.id !== 0 &&
      SECTION_ORDER.indexOf(section.id) > SECTION_ORDER.indexOf(7)
    ) {
      out.section(7, addExport());
      exportWritten = true;
    }
    if (section.id === 5) out.section(5, rewriteMemorySection(bytes, section.start, section.end, maxPages));
    else if (section.id === 2 && memoryImport) {
      out.section(2, rewriteImportSection(bytes, section.start, section.end, maxPages));
    } else if (section.id === 7 && !exportWritten) {
      out.section(7, addExport(payload));
      exportWritten = true;
    } else out.section(section.id, payload);
  }
  if (!exportWritten) out.section(7, addExport());
  result.bytes = out.finish();
  return result;
}

function rewriteMemorySection(bytes: Uint8Array, start: number, end: number, maxPages: number): Uint8Array {
  const reader = new ByteReader(bytes, start, end);
  const writer = new ByteWriter();
  const count = reader.u32();
  writer.u32(count);
  for (let i = 0; i < count; i++) writeLimits(writer, cap(readLimits(reader), maxPages));
  return writer.finish();
}

function rewriteImportSection(bytes: Uint8Array, start: number, end: number, maxPages: number): Uint8Array {
  const reader = new ByteReader(bytes, start, end);
  const writer = new ByteWriter();
  const count = reader.u32();
  writer.u32(count);
  for (let i = 0; i < count; i++) {
    const entryStart = reader.offset;
    reader.name();
    reader.name();
    const kind = reader.u8();
    if (kind === 2) {
      writer.bytes(bytes.subarray(entryStart, reader.offset - 1)).u8(kind);
      writeLimits(writer, cap(readLimits(reader), maxPages));
      continue;
    }
    if (kind === 0) reader.u32();
    else if (kind === 1) {
      reader.u8();
      readLimits(reader);
    } else if (kind === 3) {
      reader.u8();
      reader.u8();
    } else {
      reader.u8();
      reader.u32();
    }
    writer.bytes(bytes.subarray(entryStart, reader.offset));
  }
  return writer.finish();
}
