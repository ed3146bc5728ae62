import { type ByteReader, WasmDecodeError } from '@memory-mcp/wasm-binary';

/** What the instrumenter needs to know about one instruction. */
export type InstructionKind =
  | 'block'
  | 'loop'
  | 'if'
  | 'else'
  | 'end'
  | 'br'
  | 'br_if'
  | 'br_table'
  | 'return'
  | 'call'
  | 'return_call'
  | 'unreachable'
  | 'nop'
  | 'memory.grow'
  /** Bulk memory op whose last operand is a byte count (memory.copy, memory.fill, memory.init). */
  | 'bulk_bytes'
  /** Table op whose last operand is an element count (table.copy/fill/init/grow). */
  | 'bulk_elems'
  | 'plain';

export interface Instruction {
  kind: InstructionKind;
  start: number;
  end: number;
}

/** Thrown for an opcode the instrumenter does not know: never guess at an instruction's length. */
export class UnknownOpcodeError extends WasmDecodeError {}

/** SIMD opcodes the final SIMD proposal leaves unassigned. */
const SIMD_RESERVED = new Set([
  0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4,
  0xe2, 0xee,
]);

function blockType(reader: ByteReader): void {
  const byte = reader.bytes[reader.offset];
  if (
    byte === 0x40 ||
    byte === 0x7f ||
    byte === 0x7e ||
    byte === 0x7d ||
    byte === 0x7c ||
    byte === 0x7b ||
    byte === 0x70 ||
    byte === 0x6f
  ) {
    reader.offset++;
    return;
  }
  const index = reader.s33();
  if (index < 0) throw new UnknownOpcodeError(`unsupported block type ${index}`, reader.offset);
}

function memarg(reader: ByteReader): void {
  const align = reader.u32();
  if (align & 0x40) reader.u32(); // multi-memory: memory index follows
  reader.u32();
}

/** Decodes the instruction at the reader's offset and advances past it. */
export function decodeInstruction(reader: ByteReader): Instruction {
  const start = reader.offset;
  const op = reader.u8();
  let kind: InstructionKind = 'plain';
  switch (op) {
    case 0x00:
      kind = 'unreachable';
      break;
    case 0x01:
      kind = 'nop';
      break;
    case 0x0f:
      kind = 'return';
      break;
    case 0x02:
    case 0x03:
    case 0x04:
      blockType(reader);
      kind = op === 0x02 ? 'block' : op === 0x03 ? 'loop' : 'if';
      break;
    case 0x05:
      kind = 'else';
      break;
    case 0x0b:
      kind = 'end';
      break;
    case 0x0c:
    case 0x0d:
      reader.u32();
      kind = op === 0x0c ? 'br' : 'br_if';
      break;
    case 0x0e: {
      const count = reader.u32();
      for (let i = 0; i <= count; i++) reader.u32();
      kind = 'br_table';
      break;
    }
    case 0x10:
      reader.u32();
      kind = 'call';
      break;
    case 0x11:
      reader.u32();
      reader.u32();
      kind = 'call';
      break;
    case 0x12:
      reader.u32();
      kind = 'return_call';
      break;
    case 0x13:
      reader.u32();
      reader.u32();
      kind = 'return_call';
      break;
    case 0x1a:
    case 0x1b:
      break;
    case 0x1c: {
      const count = reader.u32();
      for (let i = 0; i < count; i++) reader.u8();
      break;
    }
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
      reader.u32();
      break;
    case 0x3f:
      reader.u32();
      break;
    case 0x40:
      reader.u32();
      kind = 'memory.grow';
      break;
    case 0x41:
      reader.skipLeb(5);
      break;
    case 0x42:
      reader.skipLeb(10);
      break;
    case 0x43:
      reader.bytesOf(4);
      break;
    case 0x44:
      reader.bytesOf(8);
      break;
    case 0xd0:
      reader.u8();
      break;
    case 0xd1:
      break;
    case 0xd2:
      reader.u32();
      break;
    case 0xfc:
      kind = decodeFc(reader, start);
      break;
    case 0xfd:
      decodeSimd(reader, start);
      break;
    default:
      if (op >= 0x28 && op <= 0x3e) memarg(reader);
      else if (!(op >= 0x45 && op <= 0xc4)) {
        throw new UnknownOpcodeError(
          `unknown or unsupported opcode 0x${op.toString(16).padStart(2, '0')}`,
          start,
        );
      }
  }
  return { kind, start, end: reader.offset };
}

function decodeFc(reader: ByteReader, start: number): InstructionKind {
  const sub = reader.u32();
  if (sub <= 7) return 'plain'; // saturating float-to-int
  switch (sub) {
    case 8: // memory.init data mem
      reader.u32();
      reader.u32();
      return 'bulk_bytes';
    case 9: // data.drop
      reader.u32();
      return 'plain';
    case 10: // memory.copy dst src
      reader.u32();
      reader.u32();
      return 'bulk_bytes';
    case 11: // memory.fill
      reader.u32();
      return 'bulk_bytes';
    case 12: // table.init elem table
      reader.u32();
      reader.u32();
      return 'bulk_elems';
    case 13: // elem.drop
      reader.u32();
      return 'plain';
    case 14: // table.copy
      reader.u32();
      reader.u32();
      return 'bulk_elems';
    case 15: // table.grow
      reader.u32();
      return 'bulk_elems';
    case 16: // table.size
      reader.u32();
      return 'plain';
    case 17: // table.fill
      reader.u32();
      return 'bulk_elems';
    default:
      throw new UnknownOpcodeError(`unknown or unsupported opcode 0xfc ${sub}`, start);
  }
}

function decodeSimd(reader: ByteReader, start: number): void {
  const sub = reader.u32();
  if (sub <= 11 || sub === 0x5c || sub === 0x5d) memarg(reader);
  else if (sub === 12 || sub === 13) reader.bytesOf(16);
  else if (sub >= 21 && sub <= 34) reader.u8();
  else if (sub >= 0x54 && sub <= 0x5b) {
    memarg(reader);
    reader.u8();
  } else if (sub > 0xff || SIMD_RESERVED.has(sub)) {
    throw new UnknownOpcodeError(`unknown or unsupported SIMD opcode 0xfd ${sub}`, start);
  }
}
