import { InvalidRequestError } from '@memory-mcp/sandbox-core';
import type { FuncType } from '@memory-mcp/wasm-binary';

/** A request's `input` as the arguments of an exported function of type `type`, or a typed error naming the field. */
export function entryArgs(input: unknown, type: FuncType): Array<number | bigint> {
  const values = input === undefined ? [] : input;
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new InvalidRequestError('input', 'for an entry function, input must be an array of finite numbers');
  }
  if (values.length !== type.params.length) {
    throw new InvalidRequestError(
      'input',
      `the entry takes ${type.params.length} argument(s), got ${values.length}`,
    );
  }
  return values.map((v, i) => {
    const param = type.params[i];
    if (param === 'i64') {
      if (!Number.isInteger(v))
        throw new InvalidRequestError(`input[${i}]`, 'an i64 argument must be an integer');
      return BigInt(v);
    }
    if (param === 'i32' && !Number.isInteger(v)) {
      throw new InvalidRequestError(`input[${i}]`, 'an i32 argument must be an integer');
    }
    if (param !== 'i32' && param !== 'f32' && param !== 'f64') {
      throw new InvalidRequestError(`input[${i}]`, `parameters of type ${param} cannot be passed from JSON`);
    }
    return v;
  });
}
