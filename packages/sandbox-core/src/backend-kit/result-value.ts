/**
 * How a runtime reports the code's return value across a process or module boundary: JSON text
 * when the value has a JSON form, otherwise a short description (BigInt as `1n`, a Symbol as
 * `Symbol(x)`, functions, cycles). Both sides of every backend use these two functions.
 */
export interface EncodedValue {
  json?: string;
  description?: string;
}

/** Prefix that marks a value JSON could not carry. */
export const NOT_JSON_PREFIX = '[not JSON] ';

/** Largest description kept, in characters. */
const MAX_DESCRIPTION = 1024;

/**
 * Encodes a return value. `stringify` and `describe` may be passed in captured beforehand, so code
 * running in the same realm cannot change what they do (a runner captures them before user code).
 */
export function encodeResultValue(
  value: unknown,
  stringify: (value: unknown) => string | undefined = JSON.stringify,
): EncodedValue {
  if (value === undefined) return {};
  if (typeof value === 'bigint') return { description: `${value}n` };
  if (typeof value === 'symbol') return { description: value.toString() };
  if (typeof value === 'function') return { description: `[Function: ${value.name || 'anonymous'}]` };
  try {
    const json = stringify(value);
    if (typeof json === 'string') return { json };
    return { description: String(value).slice(0, MAX_DESCRIPTION) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'not serializable';
    return { description: `${Object.prototype.toString.call(value)} (${reason})`.slice(0, MAX_DESCRIPTION) };
  }
}

/** UTF-8 length of `text`, counted without encoding it (a lone surrogate counts as U+FFFD, 3). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

export type DecodedValue = { ok: true; value?: unknown } | { ok: false; message: string };

/**
 * Decodes what `encodeResultValue` produced, from bytes the host does not trust: JSON that does not
 * parse or exceeds `maxBytes` is an error value, never an exception.
 */
export function decodeResultValue(encoded: EncodedValue, maxBytes = Number.POSITIVE_INFINITY): DecodedValue {
  if (typeof encoded.json === 'string') {
    // Bytes of UTF-8, not UTF-16 units: 900 euro signs are 2,700 bytes, not 900.
    if (utf8Length(encoded.json) > maxBytes) {
      return { ok: false, message: `the return value is larger than ${maxBytes} bytes` };
    }
    try {
      return { ok: true, value: JSON.parse(encoded.json) };
    } catch {
      return { ok: false, message: 'the return value is not valid JSON' };
    }
  }
  if (typeof encoded.description === 'string') {
    return { ok: true, value: `${NOT_JSON_PREFIX}${encoded.description.slice(0, MAX_DESCRIPTION)}` };
  }
  return { ok: true };
}
