import { CompileError } from '@memory-mcp/sandbox-core';
import { loadEngine } from './engine-files.js';

interface EngineExports {
  memory: WebAssembly.Memory;
  memory_mcp_alloc(size: number): number;
  memory_mcp_compile(ptr: number, len: number): number;
  memory_mcp_output_ptr(): number;
  memory_mcp_output_len(): number;
}

/** The wrapper's own first line: the user's line N is the engine's line N + 1. */
export const WRAPPER_PREFIX = '(async function () {\n';
const WRAPPER_SUFFIX = '\n})';
/** Recreate the compiling instance after this many compilations, so its heap never grows unbounded. */
const COMPILES_PER_INSTANCE = 500;

let instance: { exports: EngineExports; compiles: number } | undefined;

/** Just enough WASI for the engine to compile: no input, output discarded, no exit. */
function compileOnlyWasi(memory: () => WebAssembly.Memory): Record<string, (...args: number[]) => number> {
  const view = () => new DataView(memory().buffer);
  return new Proxy(
    {},
    {
      get: (_target, name) => {
        if (name === 'fd_write') {
          return (_fd: number, iovs: number, count: number, written: number) => {
            let total = 0;
            for (let i = 0; i < count; i++) total += view().getUint32(iovs + i * 8 + 4, true);
            view().setUint32(written, total, true);
            return 0;
          };
        }
        if (name === 'fd_read') {
          return (_fd: number, _iovs: number, _n: number, read: number) => {
            view().setUint32(read, 0, true);
            return 0;
          };
        }
        if (name === 'clock_time_get') {
          return (_id: number, _p: bigint, out: number) => {
            view().setBigUint64(out, 0n, true);
            return 0;
          };
        }
        if (name === 'proc_exit') {
          return (code: number) => {
            throw new Error(`the engine exited (${code}) while compiling`);
          };
        }
        return () => 52; // ENOSYS
      },
    },
  );
}

function engineInstance(): EngineExports {
  if (instance && instance.compiles < COMPILES_PER_INSTANCE) return instance.exports;
  let exports: EngineExports | undefined;
  const wasi = compileOnlyWasi(() => exports!.memory);
  const created = new WebAssembly.Instance(compiledEngine(), { wasi_snapshot_preview1: wasi });
  exports = created.exports as unknown as EngineExports;
  instance = { exports, compiles: 0 };
  return exports;
}

let engineModule: WebAssembly.Module | undefined;
function compiledEngine(): WebAssembly.Module {
  engineModule ??= new WebAssembly.Module(loadEngine().snapshot as Uint8Array<ArrayBuffer>);
  return engineModule;
}

/**
 * Compiles JS (the body of an async function) to QuickJS bytecode with the engine itself, on the
 * host, in a plain WebAssembly instance. QuickJS's own syntax errors become `CompileError`.
 */
export function compileToBytecode(source: string): Uint8Array {
  const engine = engineInstance();
  instance!.compiles++;
  const text = new TextEncoder().encode(`${WRAPPER_PREFIX}${source}${WRAPPER_SUFFIX}`);
  const ptr = engine.memory_mcp_alloc(text.length + 1);
  const target = new Uint8Array(engine.memory.buffer, ptr, text.length + 1);
  target.set(text);
  target[text.length] = 0;
  let status: number;
  try {
    status = engine.memory_mcp_compile(ptr, text.length);
  } catch (error) {
    // A trap mid-compile (V8's own stack limit, hit by deeply nested code before QuickJS's stack
    // check) leaves this instance's state half-written: it is dropped, and the code is refused.
    instance = undefined;
    if (error instanceof RangeError || error instanceof WebAssembly.RuntimeError) {
      throw new CompileError(`SyntaxError: the code nests too deeply to compile (${error.message})`);
    }
    throw error;
  }
  const output = new Uint8Array(
    engine.memory.buffer,
    engine.memory_mcp_output_ptr(),
    engine.memory_mcp_output_len(),
  ).slice();
  if (status === 0) return output;
  const message = new TextDecoder().decode(output).trim();
  const at = /input\.js:(\d+)(?::(\d+))?/.exec(message);
  const line = at ? Math.max(1, Number(at[1]) - 1) : undefined;
  const column = at?.[2] ? Number(at[2]) : undefined;
  const location = line ? ` (input.js:${line}${column ? `:${column}` : ''})` : '';
  throw new CompileError(`${message.split('\n')[0]!}${location}`, {
    ...(line ? { line } : {}),
    ...(column ? { column } : {}),
  });
}
