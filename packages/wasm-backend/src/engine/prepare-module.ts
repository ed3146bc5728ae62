import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import { binaryKind, WasmDecodeError } from '@memory-mcp/wasm-binary';
import { componentParts, firstUnsafeName } from '../component/component-names.js';
import { UnknownOpcodeError } from '../fuel/decode-instruction.js';
import { instrumentFuel } from '../fuel/fuel-instrumenter.js';

/**
 * Validates a core module the way the engine will (before instrumenting: the fuel globals are
 * appended at indices an invalid module could already name, and only a valid module is guaranteed
 * not to reach them), then meters it. Every failure is an `InvalidRequestError` on `code`.
 */
export async function validateAndInstrument(
  bytes: Uint8Array,
  what = 'module',
): Promise<ReturnType<typeof instrumentFuel>> {
  try {
    if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
      const reason = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>).then(
        () => 'rejected by the validator',
        (error: Error) => error.message,
      );
      throw new InvalidRequestError('code', `invalid ${what}: ${reason}`);
    }
    return instrumentFuel(bytes);
  } catch (error) {
    if (error instanceof UnknownOpcodeError) {
      throw new InvalidRequestError('code', `cannot meter fuel for this ${what}: ${error.message}`);
    }
    if (WasmDecodeError.isInstance(error))
      throw new InvalidRequestError('code', `malformed ${what}: ${error.message}`);
    if (InvalidRequestError.isInstance(error)) throw error;
    throw new InvalidRequestError(
      'code',
      `cannot prepare this ${what}: ${(error as Error)?.message ?? String(error)}`,
    );
  }
}

/**
 * Refuses, before jco sees it, a component with any name that is not safe to embed in the glue
 * jco generates, or with a core module that does not validate.
 */
export function checkComponent(bytes: Uint8Array): void {
  let parts: ReturnType<typeof componentParts>;
  try {
    parts = componentParts(bytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new InvalidRequestError('code', `malformed or unsupported component: ${message}`);
  }
  const unsafe = firstUnsafeName(parts.names);
  if (unsafe) {
    throw new InvalidRequestError(
      'code',
      `the component's ${unsafe.where} name ${JSON.stringify(unsafe.name.slice(0, 80))} is not a WIT or WebAssembly name the sandbox can embed`,
    );
  }
  for (const core of parts.coreModules) {
    if (!WebAssembly.validate(core as Uint8Array<ArrayBuffer>)) {
      throw new InvalidRequestError('code', 'a core module of the component does not validate');
    }
  }
}

export function isComponent(bytes: Uint8Array): boolean {
  try {
    return binaryKind(bytes) === 'component';
  } catch {
    return false;
  }
}

/**
 * Meters a module ahead of time, for a compiler that ships its engine metered (see
 * `CompiledModule.metered`). The same validation and instrumenter every run uses.
 */
export async function meterModule(
  bytes: Uint8Array,
): Promise<{ bytes: Uint8Array; hasStart: boolean; maxStaticCharge: number }> {
  const { bytes: metered, hasStart, maxStaticCharge } = await validateAndInstrument(bytes);
  return { bytes: metered, hasStart, maxStaticCharge };
}
