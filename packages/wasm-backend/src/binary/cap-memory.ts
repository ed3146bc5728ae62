import {
  appendToVector,
  ByteReader,
  ByteWriter,
  type MemoryLimits,
  type ModuleInfo,
  readLimits,
  rebuildModule,
  sectionPayload,
  writeLimits,
} from '@memory-mcp/wasm-binary';

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
  const changes = new Map<number, Uint8Array | null>();
  const memorySection = info.sections.find((s) => s.id === 5);
  if (memorySection)
    changes.set(5, rewriteMemorySection(bytes, memorySection.start, memorySection.end, maxPages));
  const importSection = info.sections.find((s) => s.id === 2);
  if (importSection && memoryImport) {
    changes.set(2, rewriteImportSection(bytes, importSection.start, importSection.end, maxPages));
  }
  if (!exported) {
    const entry = new ByteWriter().name(HIDDEN_MEMORY_EXPORT).u8(2).u32(0).finish();
    changes.set(7, appendToVector(sectionPayload(bytes, info.sections, 7), 1, entry));
  }
  result.bytes = rebuildModule(bytes, info.sections, changes);
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
