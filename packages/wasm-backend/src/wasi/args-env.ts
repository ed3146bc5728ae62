import { Errno } from './errno.js';
import { guardFaults, type WasiContext } from './wasi-context.js';

export interface ArgsEnvOptions {
  /** argv, including argv[0]. */
  args: string[];
  /** Environment as `KEY=VALUE` pairs. */
  env: Record<string, string>;
}

const POINTER_BYTES = 4;
const utf8 = new TextEncoder();

/** `args_*` and `environ_*`: the request's argv and environment, NUL-terminated, nothing else. */
export function argsEnvFunctions(ctx: WasiContext, options: ArgsEnvOptions) {
  const argv = options.args.map((arg) => utf8.encode(`${arg}\0`));
  const envv = Object.entries(options.env).map(([key, value]) => utf8.encode(`${key}=${value}\0`));

  const writeStrings = (list: Uint8Array[], ptrs: number, buf: number) => {
    const { memory } = ctx;
    memory.range(ptrs, list.length * POINTER_BYTES);
    memory.range(buf, byteLength(list));
    let offset = 0;
    list.forEach((item, i) => {
      memory.setU32(ptrs, i * POINTER_BYTES, memory.range(buf, item.length, offset));
      memory.write(buf, item, offset);
      offset += item.length;
    });
    return Errno.SUCCESS;
  };
  const writeSizes = (list: Uint8Array[], countPtr: number, sizePtr: number) => {
    const { memory } = ctx;
    memory.range(countPtr, POINTER_BYTES);
    memory.range(sizePtr, POINTER_BYTES);
    memory.setU32(countPtr, 0, list.length);
    memory.setU32(sizePtr, 0, byteLength(list));
    return Errno.SUCCESS;
  };

  return guardFaults({
    args_get: (ptrs: number, buf: number) => writeStrings(argv, ptrs, buf),
    args_sizes_get: (count: number, size: number) => writeSizes(argv, count, size),
    environ_get: (ptrs: number, buf: number) => writeStrings(envv, ptrs, buf),
    environ_sizes_get: (count: number, size: number) => writeSizes(envv, count, size),
  });
}

function byteLength(list: Uint8Array[]): number {
  return list.reduce((n, item) => n + item.length, 0);
}
