import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import wabtInit from 'wabt';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Promise<Wabt> | undefined;

const FEATURES = {
  mutable_globals: true,
  sat_float_to_int: true,
  sign_extension: true,
  simd: true,
  multi_value: true,
  bulk_memory: true,
  reference_types: true,
};

/** Compiles WebAssembly text to a binary with wabt; syntax errors become `InvalidRequestError` on `code`. */
export async function compileWat(source: string): Promise<Uint8Array> {
  wabt ??= wabtInit();
  const lib = await wabt;
  let module: ReturnType<Wabt['parseWat']> | undefined;
  try {
    module = lib.parseWat('input.wat', source, FEATURES);
    module.resolveNames();
    module.validate();
    return new Uint8Array(module.toBinary({ log: false, write_debug_names: true }).buffer);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof WebAssembly.RuntimeError) {
      // wabt itself trapped (deep nesting exhausts its stack): its state can no longer be trusted,
      // so the next text gets a fresh instance rather than a parser that fails on everything.
      wabt = undefined;
      module = undefined;
      throw new InvalidRequestError('code', `the WAT parser failed on this text (${message.trim()})`);
    }
    throw new InvalidRequestError('code', `invalid WAT: ${message.trim()}`);
  } finally {
    try {
      module?.destroy();
    } catch {
      // A module of a broken parser instance: dropped with it.
    }
  }
}
