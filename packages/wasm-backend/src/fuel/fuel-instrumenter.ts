import {
  appendToVector,
  ByteReader,
  ByteWriter,
  type FuncType,
  type ModuleInfo,
  readModuleInfo,
  rebuildModule,
  sectionPayload,
  type ValType,
  WasmDecodeError,
} from '@memory-mcp/wasm-binary';
import { decodeInstruction, type Instruction } from './decode-instruction.js';

/** Bumped whenever the instrumentation changes; part of the compiled-module cache key. */
export const FUEL_INSTRUMENTER_VERSION = 2;
/**
 * What a compiler quotes when it ships a module already metered (`CompiledModule.metered`): only a
 * backend whose instrumenter has this exact version runs those bytes as they are.
 */
export const FUEL_METERING_VERSION = `memory-mcp-fuel/${FUEL_INSTRUMENTER_VERSION}`;
export const FUEL_EXPORT = '__memory_mcp_fuel';
export const OUT_OF_FUEL_EXPORT = '__memory_mcp_out_of_fuel';
export const START_EXPORT = '__memory_mcp_start';

/**
 * The cost model. One unit per instruction, except the structural markers `block`, `loop`, `else`,
 * `end` and `nop`, which do no work and are free (as in wasmtime); a call costs 1 at the call site
 * and its body charges at the callee's entry; bulk operations also pay for what they touch.
 */
export const FUEL_COSTS = {
  instruction: 1,
  structural: 0,
  /** Extra units per page `memory.grow` asks for (1 unit per 64 bytes). */
  perGrowPage: 1024,
  /** `memory.copy` / `memory.fill` / `memory.init` pay 1 unit per 2^6 = 64 bytes. */
  bulkByteShift: 6,
  /** `table.copy` / `table.fill` / `table.init` / `table.grow` pay 1 unit per element. */
  perTableElement: 1,
} as const;

export interface InstrumentedModule {
  bytes: Uint8Array;
  /** The largest static charge inserted anywhere: how far past its budget a run may get. */
  maxStaticCharge: number;
  /** Charge points inserted. */
  chargePoints: number;
  /** Whether the module had a start function (now exported as `START_EXPORT`, to run after fuel is set). */
  hasStart: boolean;
}

const VALTYPE_BYTE: Record<ValType, number> = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
};

const OP = {
  unreachable: 0x00,
  block: 0x02,
  if: 0x04,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalGet: 0x23,
  globalSet: 0x24,
  i32Const: 0x41,
  i64Const: 0x42,
  i64LtS: 0x53,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64ShrU: 0x88,
  i64ExtendI32U: 0xad,
} as const;

/**
 * Adds deterministic fuel metering to a validated core module. A mutable i64 global holds the fuel
 * left; each function caches it in a local (loaded at entry, written back before calls, returns,
 * traps and at exit) and charges the static cost of each straight-line segment at its start:
 * function entry, loop headers, and the joins after `if`, `else` and `end`. When the counter goes
 * below zero the code sets a flag global and traps, so the host can tell fuel exhaustion apart from
 * the module's own `unreachable`. The new globals are appended, so no index the module's code could
 * have used refers to them (the caller must validate the original module first).
 */
export interface InstrumentOptions {
  /**
   * Initial value of the fuel counter. Default 0: the host sets the budget through the exported
   * global before it calls anything. Give a budget here for hosts that cannot (for example a
   * loader that instantiates and calls exports itself).
   */
  initialFuel?: bigint;
}

export function instrumentFuel(
  bytes: Uint8Array,
  info: ModuleInfo = readModuleInfo(bytes),
  options: InstrumentOptions = {},
): InstrumentedModule {
  const importedGlobals = info.imports.filter((i) => i.kind === 'global').length;
  const globalSection = sectionPayload(bytes, info.sections, 6);
  const definedGlobals = globalSection ? new ByteReader(globalSection).u32() : 0;
  const fuelGlobal = importedGlobals + definedGlobals;
  const flagGlobal = fuelGlobal + 1;

  // Wrapper blocks need a `[] -> results` block type; multi-value results need a type index.
  const types = [...info.types];
  const extraTypes = new ByteWriter();
  let extraTypeCount = 0;
  const blockTypeFor = (type: FuncType): Uint8Array => {
    if (type.results.length === 0) return Uint8Array.of(0x40);
    if (type.results.length === 1) return Uint8Array.of(VALTYPE_BYTE[type.results[0]!]);
    let index = types.findIndex(
      (t) =>
        t.params.length === 0 &&
        t.results.length === type.results.length &&
        t.results.every((r, i) => r === type.results[i]),
    );
    if (index < 0) {
      index = types.length;
      types.push({ params: [], results: type.results });
      extraTypes.u8(0x60).u32(0).u32(type.results.length);
      for (const r of type.results) extraTypes.u8(VALTYPE_BYTE[r]);
      extraTypeCount++;
    }
    return new ByteWriter().s32(index).finish();
  };

  const codeSection = info.sections.find((s) => s.id === 10);
  const code = new ByteWriter();
  let maxStaticCharge = 0;
  let chargePoints = 0;
  if (codeSection) {
    const reader = new ByteReader(bytes, codeSection.start, codeSection.end);
    const count = reader.u32();
    if (count !== info.functions.length)
      throw new WasmDecodeError('function and code section counts differ', reader.offset);
    code.u32(count);
    for (let i = 0; i < count; i++) {
      const size = reader.u32();
      const bodyStart = reader.offset;
      const bodyEnd = bodyStart + size;
      const type = info.types[info.functions[i]!];
      if (!type) throw new WasmDecodeError(`function ${i} has an unknown type`, bodyStart);
      const body = instrumentBody(
        bytes,
        bodyStart,
        bodyEnd,
        type,
        blockTypeFor(type),
        fuelGlobal,
        flagGlobal,
      );
      maxStaticCharge = Math.max(maxStaticCharge, body.maxCharge);
      chargePoints += body.chargePoints;
      code.u32(body.bytes.length).bytes(body.bytes);
      reader.offset = bodyEnd;
    }
  }

  const changes = new Map<number, Uint8Array | null>();
  if (extraTypeCount > 0)
    changes.set(
      1,
      appendToVector(sectionPayload(bytes, info.sections, 1), extraTypeCount, extraTypes.finish()),
    );
  const newGlobals = new ByteWriter()
    .u8(0x7e)
    .u8(1)
    .u8(OP.i64Const)
    .s64(options.initialFuel ?? 0n)
    .u8(OP.end)
    .u8(0x7f)
    .u8(1)
    .u8(OP.i32Const)
    .u8(0)
    .u8(OP.end)
    .finish();
  changes.set(6, appendToVector(globalSection, 2, newGlobals));

  const startPayload = sectionPayload(bytes, info.sections, 8);
  const exports = new ByteWriter()
    .name(FUEL_EXPORT)
    .u8(3)
    .u32(fuelGlobal)
    .name(OUT_OF_FUEL_EXPORT)
    .u8(3)
    .u32(flagGlobal);
  let exportCount = 2;
  if (startPayload) {
    exports.name(START_EXPORT).u8(0).u32(new ByteReader(startPayload).u32());
    exportCount++;
    changes.set(8, null);
  }
  changes.set(7, appendToVector(sectionPayload(bytes, info.sections, 7), exportCount, exports.finish()));
  if (codeSection) changes.set(10, code.finish());

  return {
    bytes: rebuildModule(bytes, info.sections, changes),
    maxStaticCharge,
    chargePoints,
    hasStart: !!startPayload,
  };
}

interface Body {
  bytes: Uint8Array;
  maxCharge: number;
  chargePoints: number;
}

const CLOSES_SEGMENT = new Set(['loop', 'if', 'else', 'end']);
const FREE_KINDS = new Set(['block', 'loop', 'else', 'end', 'nop']);

function instrumentBody(
  bytes: Uint8Array,
  start: number,
  end: number,
  type: FuncType,
  wrapperType: Uint8Array,
  fuelGlobal: number,
  flagGlobal: number,
): Body {
  const reader = new ByteReader(bytes, start, end);
  const groups = reader.u32();
  let locals = type.params.length;
  for (let g = 0; g < groups; g++) {
    locals += reader.u32();
    reader.u8();
  }
  const localDecls = bytes.subarray(start, reader.offset);
  const fuel = locals;
  const scratch = locals + 1;

  const instructions: Instruction[] = [];
  while (reader.offset < end) instructions.push(decodeInstruction(reader));
  const last = instructions.pop();
  if (last?.kind !== 'end' || last.end !== end)
    throw new WasmDecodeError('function body does not close with end', end);

  // Static cost of each segment, indexed by the instruction that opens it (0 = function entry).
  const segmentCost = new Map<number, number>();
  let opener = 0;
  let cost = 0;
  instructions.forEach((ins, i) => {
    cost += FREE_KINDS.has(ins.kind) ? FUEL_COSTS.structural : FUEL_COSTS.instruction;
    if (CLOSES_SEGMENT.has(ins.kind)) {
      segmentCost.set(opener, cost);
      opener = i + 1;
      cost = 0;
    }
  });
  segmentCost.set(opener, cost + FUEL_COSTS.structural); // the function's own closing `end`

  const out = new ByteWriter();
  // locals: the original groups plus one i64 (cached fuel) and one i32 (scratch)
  const declReader = new ByteReader(localDecls);
  declReader.u32();
  out
    .u32(groups + 2)
    .bytes(localDecls.subarray(declReader.offset))
    .u32(1)
    .u8(0x7e)
    .u32(1)
    .u8(0x7f);

  const outOfFuel = () => {
    out.u8(OP.if).u8(0x40);
    out.u8(OP.localGet).u32(fuel).u8(OP.globalSet).u32(fuelGlobal);
    out.u8(OP.i32Const).u8(1).u8(OP.globalSet).u32(flagGlobal).u8(OP.unreachable);
    out.u8(OP.end);
  };
  let maxCharge = 0;
  let chargePoints = 0;
  const charge = (units: number) => {
    if (units <= 0) return;
    maxCharge = Math.max(maxCharge, units);
    chargePoints++;
    out.u8(OP.localGet).u32(fuel).u8(OP.i64Const).s64(BigInt(units)).u8(OP.i64Sub).u8(OP.localTee).u32(fuel);
    out.u8(OP.i64Const).u8(0).u8(OP.i64LtS);
    outOfFuel();
  };
  /** Charges the i32 count on top of the stack (kept there) scaled to fuel units. */
  const chargeDynamic = (scale: (w: ByteWriter) => void) => {
    out.u8(OP.localSet).u32(scratch);
    out.u8(OP.localGet).u32(fuel).u8(OP.localGet).u32(scratch).u8(OP.i64ExtendI32U);
    scale(out);
    out.u8(OP.i64Sub).u8(OP.localTee).u32(fuel).u8(OP.i64Const).u8(0).u8(OP.i64LtS);
    outOfFuel();
    out.u8(OP.localGet).u32(scratch);
  };
  const writeBack = () => out.u8(OP.localGet).u32(fuel).u8(OP.globalSet).u32(fuelGlobal);
  const reload = () => out.u8(OP.globalGet).u32(fuelGlobal).u8(OP.localSet).u32(fuel);

  reload();
  out.u8(OP.block).bytes(wrapperType);
  charge(segmentCost.get(0) ?? 0);
  instructions.forEach((ins, i) => {
    switch (ins.kind) {
      case 'call':
      case 'return_call':
      case 'return':
      case 'unreachable':
        writeBack();
        break;
      case 'memory.grow':
        chargeDynamic((w) => w.u8(OP.i64Const).s64(BigInt(FUEL_COSTS.perGrowPage)).u8(OP.i64Mul));
        break;
      case 'bulk_bytes':
        chargeDynamic((w) => w.u8(OP.i64Const).u8(FUEL_COSTS.bulkByteShift).u8(OP.i64ShrU));
        break;
      case 'bulk_elems':
        chargeDynamic(() => {});
        break;
    }
    out.bytes(bytes.subarray(ins.start, ins.end));
    if (ins.kind === 'call') reload();
    if (CLOSES_SEGMENT.has(ins.kind)) charge(segmentCost.get(i + 1) ?? 0);
  });
  out.u8(OP.end);
  writeBack();
  out.u8(OP.end);
  return { bytes: out.finish(), maxCharge, chargePoints };
}
