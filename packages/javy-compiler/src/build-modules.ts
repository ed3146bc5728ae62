import { RESULT_CHANNEL_SECTION } from '@memory-mcp/sandbox-core';
import {
  appendToVector,
  ByteReader,
  ByteWriter,
  readModuleInfo,
  rebuildModule,
  sectionPayload,
} from '@memory-mcp/wasm-binary';

/** Import module name under which a dynamic module finds the engine. */
export const ENGINE_IMPORT = 'memory_mcp_engine';
/** The WASI file descriptor the engine writes its result record to. */
export const RESULT_FD = 1023;
/**
 * Custom section that tells a host where the module writes its result record (u32 descriptor), so
 * a module stored and run later by id still reports its value.
 */

const resultChannelSection = () => new ByteWriter().name(RESULT_CHANNEL_SECTION).u32(RESULT_FD).finish();

const OP = { call: 0x10, localTee: 0x22, localGet: 0x20, i32Const: 0x41, end: 0x0b, prefix: 0xfc } as const;

/** `_start`: copy the bytecode out of a passive data segment into engine memory, run it, exit with its code. */
function startBody(
  length: number,
  segment: number,
  alloc: number,
  evaluate: number,
  procExit: number,
): Uint8Array {
  const body = new ByteWriter()
    .u32(1)
    .u32(1)
    .u8(0x7f) // one i32 local: the buffer
    .u8(OP.i32Const)
    .s32(length)
    .u8(OP.call)
    .u32(alloc)
    .u8(OP.localTee)
    .u32(0)
    .u8(OP.i32Const)
    .s32(0)
    .u8(OP.i32Const)
    .s32(length)
    .u8(OP.prefix)
    .u32(8)
    .u32(segment)
    .u8(0) // memory.init segment, memory 0
    .u8(OP.prefix)
    .u32(9)
    .u32(segment) // data.drop
    .u8(OP.localGet)
    .u32(0)
    .u8(OP.i32Const)
    .s32(length)
    .u8(OP.call)
    .u32(evaluate)
    .u8(OP.call)
    .u32(procExit)
    .u8(OP.end)
    .finish();
  return new ByteWriter().u32(body.length).bytes(body).finish();
}

const passiveSegment = (bytes: Uint8Array) =>
  new ByteWriter().u8(0x01).u32(bytes.length).bytes(bytes).finish();

/**
 * Javy's static mode: the pre-initialized engine plus the bytecode, as one WASI command that any
 * runtime can run (`wasmtime run out.wasm`). Built by appending a passive data segment and a new
 * `_start`, so it takes milliseconds rather than another Wizer run.
 */
export function buildStaticModule(snapshot: Uint8Array, bytecode: Uint8Array): Uint8Array {
  const info = readModuleInfo(snapshot);
  const funcImports = info.imports.filter((i) => i.kind === 'func');
  const procExit = funcImports.findIndex(
    (i) => i.module === 'wasi_snapshot_preview1' && i.name === 'proc_exit',
  );
  const exportIndex = (name: string) => {
    const entry = info.exports.find((e) => e.name === name && e.kind === 'func');
    if (!entry) throw new Error(`the engine does not export ${name}`);
    return entry.index;
  };
  if (procExit < 0) throw new Error('the engine does not import proc_exit');
  const dataPayload = sectionPayload(snapshot, info.sections, 11);
  const segments = dataPayload ? new ByteReader(dataPayload).u32() : 0;
  const typeIndex = info.types.length;
  const funcIndex = info.importedFuncCount + info.functions.length;

  const exports = new ByteWriter();
  const kept = info.exports.filter((e) => e.name !== '_start');
  exports.u32(kept.length + 1);
  for (const e of kept)
    exports.name(e.name).u8(['func', 'table', 'memory', 'global', 'tag'].indexOf(e.kind)).u32(e.index);
  exports.name('_start').u8(0).u32(funcIndex);

  const changes = new Map<number, Uint8Array | null>([
    [1, appendToVector(sectionPayload(snapshot, info.sections, 1), 1, Uint8Array.of(0x60, 0, 0))],
    [
      3,
      appendToVector(sectionPayload(snapshot, info.sections, 3), 1, new ByteWriter().u32(typeIndex).finish()),
    ],
    [7, exports.finish()],
    [12, new ByteWriter().u32(segments + 1).finish()],
    [
      10,
      appendToVector(
        sectionPayload(snapshot, info.sections, 10),
        1,
        startBody(
          bytecode.length,
          segments,
          exportIndex('memory_mcp_alloc'),
          exportIndex('memory_mcp_eval_bytecode'),
          procExit,
        ),
      ),
    ],
    [11, appendToVector(dataPayload, 1, passiveSegment(bytecode))],
  ]);
  return new ByteWriter()
    .bytes(rebuildModule(snapshot, info.sections, changes))
    .section(0, resultChannelSection())
    .finish();
}

/**
 * Javy's dynamic mode: a module of a few hundred bytes plus the bytecode, importing the engine's
 * memory, allocator and evaluator from `memory_mcp_engine`, which the host links at run time.
 */
export function buildDynamicModule(bytecode: Uint8Array): Uint8Array {
  const w = new ByteWriter().bytes(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00));
  const types = new ByteWriter()
    .u32(4)
    .bytes(Uint8Array.of(0x60, 1, 0x7f, 1, 0x7f)) // 0: alloc (i32) -> i32
    .bytes(Uint8Array.of(0x60, 2, 0x7f, 0x7f, 1, 0x7f)) // 1: eval (i32, i32) -> i32
    .bytes(Uint8Array.of(0x60, 1, 0x7f, 0)) // 2: proc_exit (i32) -> ()
    .bytes(Uint8Array.of(0x60, 0, 0)) // 3: _start
    .finish();
  const imports = new ByteWriter()
    .u32(4)
    .name(ENGINE_IMPORT)
    .name('memory')
    .u8(2)
    .u8(0)
    .u32(0)
    .name(ENGINE_IMPORT)
    .name('memory_mcp_alloc')
    .u8(0)
    .u32(0)
    .name(ENGINE_IMPORT)
    .name('memory_mcp_eval_bytecode')
    .u8(0)
    .u32(1)
    .name('wasi_snapshot_preview1')
    .name('proc_exit')
    .u8(0)
    .u32(2)
    .finish();
  w.section(1, types);
  w.section(2, imports);
  w.section(3, new ByteWriter().u32(1).u32(3).finish());
  w.section(7, new ByteWriter().u32(1).name('_start').u8(0).u32(3).finish());
  w.section(12, new ByteWriter().u32(1).finish());
  w.section(
    10,
    new ByteWriter()
      .u32(1)
      .bytes(startBody(bytecode.length, 0, 0, 1, 2))
      .finish(),
  );
  w.section(11, new ByteWriter().u32(1).bytes(passiveSegment(bytecode)).finish());
  w.section(0, resultChannelSection());
  return w.finish();
}
