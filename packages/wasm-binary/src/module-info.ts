import { ByteReader, type ByteWriter, WasmDecodeError } from './leb128.js';

export const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d] as const;
export const PAGE_BYTES = 65_536;

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';
const VALTYPES: Record<number, ValType> = {
  127: 'i32',
  126: 'i64',
  125: 'f32',
  124: 'f64',
  123: 'v128',
  112: 'funcref',
  111: 'externref',
};

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export interface MemoryLimits {
  min: number;
  max?: number;
  shared: boolean;
  memory64: boolean;
}

export interface ImportEntry {
  module: string;
  name: string;
  kind: 'func' | 'table' | 'memory' | 'global' | 'tag';
  /** Type index, for functions. */
  typeIndex?: number;
  memory?: MemoryLimits;
}

export interface ExportEntry {
  name: string;
  kind: 'func' | 'table' | 'memory' | 'global' | 'tag';
  index: number;
}

export interface Section {
  id: number;
  /** Offset of the section's payload. */
  start: number;
  /** Offset just past the payload. */
  end: number;
}

export interface ModuleInfo {
  sections: Section[];
  types: FuncType[];
  imports: ImportEntry[];
  /** Type index of each function defined in the module (not imported). */
  functions: number[];
  memories: MemoryLimits[];
  exports: ExportEntry[];
  importedFuncCount: number;
}

const KINDS = ['func', 'table', 'memory', 'global', 'tag'] as const;

/** Is this a core module (version 1) or a component (layer 1)? Throws on anything else. */
export function binaryKind(bytes: Uint8Array): 'module' | 'component' {
  if (bytes.length < 8 || WASM_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new WasmDecodeError('not a WebAssembly binary (bad magic)', 0);
  }
  if (bytes[4] === 1 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) return 'module';
  if (bytes[6] === 1 && bytes[7] === 0) return 'component';
  throw new WasmDecodeError(`unsupported binary version ${Array.from(bytes.subarray(4, 8)).join('.')}`, 4);
}

/** Splits a core module into sections (validating sizes); payloads are not copied. */
export function readSections(bytes: Uint8Array): Section[] {
  if (binaryKind(bytes) !== 'module') throw new WasmDecodeError('expected a core module, got a component', 4);
  const reader = new ByteReader(bytes, 8);
  const sections: Section[] = [];
  while (!reader.done) {
    const id = reader.u8();
    if (id > 13) throw new WasmDecodeError(`unknown section id ${id}`, reader.offset - 1);
    const size = reader.u32();
    const start = reader.offset;
    const end = start + size;
    if (end > bytes.length) throw new WasmDecodeError(`section ${id} runs past the end`, start);
    sections.push({ id, start, end });
    reader.offset = end;
  }
  return sections;
}

function readValType(reader: ByteReader): ValType {
  const at = reader.offset;
  const code = reader.u8();
  const type = VALTYPES[code];
  if (!type) throw new WasmDecodeError(`unknown value type 0x${code.toString(16)}`, at);
  return type;
}

export function readLimits(reader: ByteReader): MemoryLimits {
  const at = reader.offset;
  const flags = reader.u8();
  if (flags > 0x07) throw new WasmDecodeError(`unknown limits flags 0x${flags.toString(16)}`, at);
  const memory64 = (flags & 0x04) !== 0;
  const readNum = () => (memory64 ? readU64AsNumber(reader) : reader.u32());
  const min = readNum();
  const limits: MemoryLimits = { min, shared: (flags & 0x02) !== 0, memory64 };
  if (flags & 0x01) limits.max = readNum();
  return limits;
}

function readU64AsNumber(reader: ByteReader): number {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++) {
    const byte = reader.u8();
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
    shift += 7;
  }
  throw new WasmDecodeError('LEB128 u64 too long', reader.offset);
}

export function writeLimits(writer: ByteWriter, limits: MemoryLimits): void {
  const flags =
    (limits.max !== undefined ? 0x01 : 0) | (limits.shared ? 0x02 : 0) | (limits.memory64 ? 0x04 : 0);
  writer.u8(flags);
  writer.u32(limits.min);
  if (limits.max !== undefined) writer.u32(limits.max);
}

function readTableType(reader: ByteReader): void {
  readValType(reader);
  readLimits(reader);
}

function readGlobalType(reader: ByteReader): void {
  readValType(reader);
  reader.u8();
}

/** Decodes the sections the sandbox needs (types, imports, functions, memories, exports). */
export function readModuleInfo(bytes: Uint8Array): ModuleInfo {
  const sections = readSections(bytes);
  const info: ModuleInfo = {
    sections,
    types: [],
    imports: [],
    functions: [],
    memories: [],
    exports: [],
    importedFuncCount: 0,
  };
  for (const section of sections) {
    const reader = new ByteReader(bytes, section.start, section.end);
    switch (section.id) {
      case 1: {
        const count = reader.u32();
        for (let i = 0; i < count; i++) {
          const at = reader.offset;
          const form = reader.u8();
          if (form !== 0x60) throw new WasmDecodeError(`unsupported type form 0x${form.toString(16)}`, at);
          const params = Array.from({ length: reader.u32() }, () => readValType(reader));
          const results = Array.from({ length: reader.u32() }, () => readValType(reader));
          info.types.push({ params, results });
        }
        break;
      }
      case 2: {
        const count = reader.u32();
        for (let i = 0; i < count; i++) {
          const module = reader.name();
          const name = reader.name();
          const at = reader.offset;
          const kind = KINDS[reader.u8()];
          if (!kind) throw new WasmDecodeError('unknown import kind', at);
          const entry: ImportEntry = { module, name, kind };
          if (kind === 'func') {
            entry.typeIndex = reader.u32();
            info.importedFuncCount++;
          } else if (kind === 'table') readTableType(reader);
          else if (kind === 'memory') entry.memory = readLimits(reader);
          else if (kind === 'global') readGlobalType(reader);
          else {
            reader.u8();
            reader.u32();
          }
          info.imports.push(entry);
        }
        break;
      }
      case 3: {
        const count = reader.u32();
        for (let i = 0; i < count; i++) info.functions.push(reader.u32());
        break;
      }
      case 5: {
        const count = reader.u32();
        for (let i = 0; i < count; i++) info.memories.push(readLimits(reader));
        break;
      }
      case 7: {
        const count = reader.u32();
        for (let i = 0; i < count; i++) {
          const name = reader.name();
          const at = reader.offset;
          const kind = KINDS[reader.u8()];
          if (!kind) throw new WasmDecodeError('unknown export kind', at);
          info.exports.push({ name, kind, index: reader.u32() });
        }
        break;
      }
    }
  }
  return info;
}

/** Payloads of the custom sections with this name (`id 0`, name, then bytes). */
export function customSections(
  bytes: Uint8Array,
  info: Pick<ModuleInfo, 'sections'>,
  name: string,
): Uint8Array[] {
  const found: Uint8Array[] = [];
  for (const section of info.sections) {
    if (section.id !== 0) continue;
    const reader = new ByteReader(bytes, section.start, section.end);
    if (reader.name() === name) found.push(bytes.subarray(reader.offset, section.end));
  }
  return found;
}

/** The signature of an exported function, or undefined when there is no such function export. */
export function exportedFuncType(info: ModuleInfo, name: string): FuncType | undefined {
  const entry = info.exports.find((e) => e.name === name && e.kind === 'func');
  if (!entry) return undefined;
  let typeIndex: number | undefined;
  if (entry.index < info.importedFuncCount) {
    typeIndex = info.imports.filter((i) => i.kind === 'func')[entry.index]?.typeIndex;
  } else {
    typeIndex = info.functions[entry.index - info.importedFuncCount];
  }
  return typeIndex === undefined ? undefined : info.types[typeIndex];
}
