import { describe, expect, it } from 'vitest';
import { appendToVector, binaryKind, readModuleInfo, rebuildModule } from './index.js';
import { ByteReader, ByteWriter, WasmDecodeError } from './leb128.js';

describe('LEB128 and module rewriting', () => {
  it('round-trips unsigned and signed LEB128', () => {
    for (const value of [0, 1, 63, 64, 127, 128, 300, 2 ** 31 - 1, 2 ** 32 - 1]) {
      expect(new ByteReader(new ByteWriter().u32(value).finish()).u32()).toBe(value);
    }
    for (const value of [0, -1, 63, -64, 64, -65, 2 ** 31 - 1, -(2 ** 31)]) {
      expect(new ByteReader(new ByteWriter().s32(value).finish()).s33()).toBe(value);
    }
  });

  it('throws a typed error at the offset of truncated input', () => {
    expect(() => new ByteReader(Uint8Array.of(0x80, 0x80)).u32()).toThrow(WasmDecodeError);
    expect(() => binaryKind(Uint8Array.of(1, 2, 3))).toThrow(/bad magic/);
  });

  it('appends export entries and re-emits sections in canonical order', () => {
    // (module (func (export "f")))
    const bytes = Uint8Array.of(
      0,
      97,
      115,
      109,
      1,
      0,
      0,
      0,
      1,
      4,
      1,
      96,
      0,
      0,
      3,
      2,
      1,
      0,
      7,
      5,
      1,
      1,
      102,
      0,
      0,
      10,
      4,
      1,
      2,
      0,
      11,
    );
    const info = readModuleInfo(bytes);
    const exportPayload = bytes.subarray(
      info.sections.find((s) => s.id === 7)!.start,
      info.sections.find((s) => s.id === 7)!.end,
    );
    const entry = new ByteWriter().name('g').u8(0).u32(0).finish();
    const rebuilt = rebuildModule(
      bytes,
      info.sections,
      new Map([[7, appendToVector(exportPayload, 1, entry)]]),
    );
    expect(
      WebAssembly.Module.exports(new WebAssembly.Module(rebuilt as Uint8Array<ArrayBuffer>)).map(
        (e) => e.name,
      ),
    ).toEqual(['f', 'g']);
  });
});

describe('WasmDecodeError', () => {
  it('carries the project markers, so isInstance holds across copies', () => {
    const error = new WasmDecodeError('bad', 3);
    expect(WasmDecodeError.isInstance(error)).toBe(true);
    expect((error as unknown as Record<symbol, unknown>)[Symbol.for('memory-mcp.error')]).toBe(true);
    const foreign = Object.assign(new Error('x'), { [Symbol.for('memory-mcp.error.WasmDecodeError')]: true });
    expect(WasmDecodeError.isInstance(foreign)).toBe(true);
    expect(WasmDecodeError.isInstance(new Error('plain'))).toBe(false);
  });
});
