import { ByteReader, readModuleInfo, WasmDecodeError } from '@memory-mcp/wasm-binary';

/** A name found in a component, with where it was found (for the error message). */
export interface ComponentName {
  where: string;
  name: string;
}

/** What a component is made of, as far as the sandbox needs to know before transpiling it. */
export interface ComponentParts {
  names: ComponentName[];
  /** Every core module embedded at any depth, as bytes. */
  coreModules: Uint8Array[];
}

const MAX_NESTING = 16;

/**
 * Walks a component binary (component model binary format, layer 1) and collects every name it
 * declares: component imports and exports, instance and type export/import names, labels of
 * records, variants, flags and enums, core instance argument and inline export names, alias names,
 * and the import/export names of every embedded core module. Sections that carry no names
 * (canon, start, value) are skipped by size. Anything it does not recognise is a `WasmDecodeError`:
 * the caller refuses the component rather than let an unread name through.
 */
export function componentParts(bytes: Uint8Array): ComponentParts {
  const parts: ComponentParts = { names: [], coreModules: [] };
  walkComponent(bytes, 0, bytes.length, parts, 0);
  return parts;
}

function walkComponent(
  bytes: Uint8Array,
  start: number,
  end: number,
  parts: ComponentParts,
  depth: number,
): void {
  if (depth > MAX_NESTING) throw new WasmDecodeError('components nested too deeply', start);
  const r = new ByteReader(bytes, start, end);
  const preamble = r.bytesOf(8);
  if (
    preamble[0] !== 0 ||
    preamble[1] !== 0x61 ||
    preamble[2] !== 0x73 ||
    preamble[3] !== 0x6d ||
    preamble[6] !== 1 ||
    preamble[7] !== 0
  ) {
    throw new WasmDecodeError('not a component', start);
  }
  const add = (where: string, name: string) => parts.names.push({ where, name });
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const sectionStart = r.offset;
    const sectionEnd = sectionStart + size;
    if (sectionEnd > end) throw new WasmDecodeError(`section ${id} runs past the end`, sectionStart);
    const s = new ByteReader(bytes, sectionStart, sectionEnd);
    switch (id) {
      case 0: // custom: a name and opaque bytes that nothing embeds
      case 8: // canon: indices and options only
      case 9: // start: indices only
      case 12: // values: data, not names
        break;
      case 1: {
        const core = bytes.subarray(sectionStart, sectionEnd);
        parts.coreModules.push(core);
        const info = readModuleInfo(core);
        for (const i of info.imports) {
          add('core import module', i.module);
          add('core import', i.name);
        }
        for (const e of info.exports) add('core export', e.name);
        break;
      }
      case 2:
        vec(s, () => coreInstance(s, add));
        break;
      case 3:
        vec(s, () => coreType(s, add));
        break;
      case 4:
        walkComponent(bytes, sectionStart, sectionEnd, parts, depth + 1);
        break;
      case 5:
        vec(s, () => instance(s, add));
        break;
      case 6:
        vec(s, () => alias(s, add));
        break;
      case 7:
        vec(s, () => defType(s, add));
        break;
      case 10:
        vec(s, () => {
          add('import', externName(s));
          externDesc(s);
        });
        break;
      case 11:
        vec(s, () => {
          add('export', externName(s));
          sortIdx(s);
          const hasType = s.u8();
          if (hasType === 1) externDesc(s);
          else if (hasType !== 0) throw bad(s, 'export type flag');
        });
        break;
      default:
        throw new WasmDecodeError(`unknown component section ${id}`, sectionStart - 1);
    }
    if (id !== 0 && id !== 1 && id !== 4 && id !== 8 && id !== 9 && id !== 12 && s.offset !== sectionEnd) {
      throw new WasmDecodeError(`component section ${id} has trailing bytes`, s.offset);
    }
    r.offset = sectionEnd;
  }
}

type Add = (where: string, name: string) => void;

function bad(r: ByteReader, what: string): WasmDecodeError {
  return new WasmDecodeError(`unsupported ${what} in component`, r.offset);
}

function vec(r: ByteReader, each: () => void): void {
  const count = r.u32();
  for (let i = 0; i < count; i++) each();
}

/** importname' / exportname': 0x00 name, or 0x01 name versionsuffix. */
function externName(r: ByteReader): string {
  const tag = r.u8();
  const name = r.name();
  if (tag === 0x01)
    r.name(); // version suffix, also a string jco may print: checked with the name
  else if (tag !== 0x00) throw bad(r, 'extern name');
  return name;
}

function coreSort(r: ByteReader): void {
  const sort = r.u8();
  if (sort > 0x04 && sort !== 0x10 && sort !== 0x11 && sort !== 0x12) throw bad(r, 'core sort');
}

function sort(r: ByteReader): void {
  const s = r.u8();
  if (s === 0x00) coreSort(r);
  else if (s > 0x05) throw bad(r, 'sort');
}

function sortIdx(r: ByteReader): void {
  sort(r);
  r.u32();
}

function coreInstance(r: ByteReader, add: Add): void {
  const tag = r.u8();
  if (tag === 0x00) {
    r.u32();
    vec(r, () => {
      add('core instance argument', r.name());
      if (r.u8() !== 0x12) throw bad(r, 'core instantiate argument');
      r.u32();
    });
  } else if (tag === 0x01) {
    vec(r, () => {
      add('core inline export', r.name());
      coreSort(r);
      r.u32();
    });
  } else throw bad(r, 'core instance');
}

function instance(r: ByteReader, add: Add): void {
  const tag = r.u8();
  if (tag === 0x00) {
    r.u32();
    vec(r, () => {
      add('instance argument', r.name());
      sortIdx(r);
    });
  } else if (tag === 0x01) {
    vec(r, () => {
      add('inline export', externName(r));
      sortIdx(r);
    });
  } else throw bad(r, 'instance');
}

function alias(r: ByteReader, add: Add): void {
  sort(r);
  const target = r.u8();
  if (target === 0x00 || target === 0x01) {
    r.u32();
    add(target === 0 ? 'alias export' : 'core alias export', r.name());
  } else if (target === 0x02) {
    r.u32();
    r.u32();
  } else throw bad(r, 'alias target');
}

function coreValType(r: ByteReader): void {
  const t = r.u8();
  if ((t >= 0x7b && t <= 0x7f) || t === 0x70 || t === 0x6f) return;
  throw bad(r, 'core value type');
}

function coreImportDesc(r: ByteReader): void {
  const kind = r.u8();
  if (kind === 0x00) r.u32();
  else if (kind === 0x01 || kind === 0x02) {
    if (kind === 0x01) r.u8();
    limits(r);
  } else if (kind === 0x03) {
    coreValType(r);
    r.u8();
  } else throw bad(r, 'core import kind');
}

function limits(r: ByteReader): void {
  const flags = r.u8();
  if (flags > 0x07) throw bad(r, 'limits');
  r.u32();
  if (flags & 1) r.u32();
}

function coreType(r: ByteReader, add: Add): void {
  const form = r.u8();
  if (form === 0x60) {
    vec(r, () => coreValType(r));
    vec(r, () => coreValType(r));
  } else if (form === 0x50) {
    vec(r, () => {
      const decl = r.u8();
      if (decl === 0x00) {
        add('core type import module', r.name());
        add('core type import', r.name());
        coreImportDesc(r);
      } else if (decl === 0x01) coreType(r, add);
      else if (decl === 0x02) {
        coreSort(r);
        if (r.u8() !== 0x01) throw bad(r, 'core outer alias');
        r.u32();
        r.u32();
      } else if (decl === 0x03) {
        add('core type export', r.name());
        coreImportDesc(r);
      } else throw bad(r, 'module type declaration');
    });
  } else throw bad(r, 'core type');
}

/** valtype: a type index (non-negative s33) or a primitive (one negative byte). */
function valType(r: ByteReader): void {
  const v = r.s33();
  if (v < 0 && !(v >= -0x40 + 0x24 && v <= -1)) throw bad(r, 'value type');
}

function optional(r: ByteReader, read: () => void): void {
  const flag = r.u8();
  if (flag === 0x01) read();
  else if (flag !== 0x00) throw bad(r, 'optional flag');
}

function defType(r: ByteReader, add: Add): void {
  const at = r.offset;
  const form = r.u8();
  switch (form) {
    case 0x72: // record
      vec(r, () => {
        add('record field', r.name());
        valType(r);
      });
      return;
    case 0x71: // variant
      vec(r, () => {
        add('variant case', r.name());
        optional(r, () => valType(r));
        if (r.u8() !== 0x00) throw bad(r, 'variant case refinement');
      });
      return;
    case 0x70: // list
    case 0x6b: // option
      valType(r);
      return;
    case 0x6f: // tuple
      vec(r, () => valType(r));
      return;
    case 0x6e: // flags
    case 0x6d: // enum
      vec(r, () => add(form === 0x6e ? 'flag' : 'enum case', r.name()));
      return;
    case 0x6a: // result
      optional(r, () => valType(r));
      optional(r, () => valType(r));
      return;
    case 0x69: // own
    case 0x68: // borrow
      r.u32();
      return;
    case 0x40: // func
      vec(r, () => {
        add('parameter', r.name());
        valType(r);
      });
      funcResults(r, add);
      return;
    case 0x41: // component type
      vec(r, () => componentDecl(r, add));
      return;
    case 0x42: // instance type
      vec(r, () => instanceDecl(r, add));
      return;
    case 0x67: // fixed-size list
      valType(r);
      r.u32();
      return;
    case 0x66: // stream
    case 0x65: // future
      optional(r, () => valType(r));
      return;
    case 0x3f: // resource
      if (r.u8() !== 0x7f) throw bad(r, 'resource representation');
      optional(r, () => r.u32());
      return;
    default:
      if ((form >= 0x73 && form <= 0x7f) || form === 0x64) return; // a primitive value type
      throw new WasmDecodeError(`unsupported component type 0x${form.toString(16)}`, at);
  }
}

function funcResults(r: ByteReader, add: Add): void {
  const tag = r.u8();
  if (tag === 0x00) valType(r);
  else if (tag === 0x01) {
    vec(r, () => {
      add('result', r.name());
      valType(r);
    });
  } else throw bad(r, 'function results');
}

function externDesc(r: ByteReader): void {
  const kind = r.u8();
  if (kind === 0x00) {
    if (r.u8() !== 0x11) throw bad(r, 'core extern');
    r.u32();
  } else if (kind === 0x01 || kind === 0x04 || kind === 0x05) r.u32();
  else if (kind === 0x02) {
    const bound = r.u8();
    if (bound === 0x00) r.u32();
    else if (bound === 0x01) valType(r);
    else throw bad(r, 'value bound');
  } else if (kind === 0x03) {
    const bound = r.u8();
    if (bound === 0x00) r.u32();
    else if (bound !== 0x01) throw bad(r, 'type bound');
  } else throw bad(r, 'extern kind');
}

function instanceDecl(r: ByteReader, add: Add): void {
  const tag = r.u8();
  if (tag === 0x00) coreType(r, add);
  else if (tag === 0x01) defType(r, add);
  else if (tag === 0x02) alias(r, add);
  else if (tag === 0x04) {
    add('type export', externName(r));
    externDesc(r);
  } else throw bad(r, 'instance type declaration');
}

function componentDecl(r: ByteReader, add: Add): void {
  if (r.u8() === 0x03) {
    add('type import', externName(r));
    externDesc(r);
    return;
  }
  r.offset--;
  instanceDecl(r, add);
}

/**
 * Names jco and the glue it generates may embed in JavaScript: WIT names (kebab-case words,
 * `ns:pkg/iface@version`, `[method]res.name` and friends) and the core names toolchains produce
 * (`wasi_snapshot_preview1`, `fd_write`, `$root`, `cabi_realloc`, `0`, `wasi:cli/run@0.2.0#run`). No quotes, backslashes,
 * whitespace, parentheses, semicolons or anything outside ASCII: nothing that can end a string
 * literal or an identifier.
 */
const SAFE_NAME = /^[A-Za-z0-9_\-.:/@[\]$+#]{0,256}$/;

/** The first name that is not safe to embed, or undefined. */
export function firstUnsafeName(names: ComponentName[]): ComponentName | undefined {
  return names.find(({ name }) => !SAFE_NAME.test(name));
}
