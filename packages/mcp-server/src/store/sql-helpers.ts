import type { InValue } from '@libsql/client';

/** `WHERE a = ? AND b = ?` from the conditions whose value is given, with their arguments. */
export function conditions(pairs: Array<[string, InValue | undefined]>): { where: string; args: InValue[] } {
  const given = pairs.filter(([, value]) => value !== undefined && value !== '');
  return {
    where: given.length ? `WHERE ${given.map(([sql]) => sql).join(' AND ')}` : '',
    args: given.map(([, value]) => value as InValue),
  };
}

/**
 * Selects a text column as its bytes. The embedded driver hands TEXT back as a C string, cut at
 * the first NUL (`"before\0after"` comes back as `"before"`) though all bytes are stored; as a
 * BLOB it comes back whole, and `readText` decodes it.
 */
export const textColumn = (column: string, alias = column.replace(/^\w+\./, '')) =>
  `CAST(${column} AS BLOB) AS ${alias}`;

const utf8 = new TextDecoder();

/** Decodes a column selected with `textColumn` (or passes a string or null through). */
export function readText(value: unknown): string | null {
  if (value == null) return null;
  if (typeof value === 'string') return value;
  if (value instanceof ArrayBuffer) return utf8.decode(new Uint8Array(value));
  if (ArrayBuffer.isView(value))
    return utf8.decode(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  return String(value);
}

export const iso = (ms: unknown): string | null => (ms == null ? null : new Date(Number(ms)).toISOString());

export const clamp = (value: number | undefined, fallback: number, min: number, max: number) =>
  Math.min(Math.max(value ?? fallback, min), max);
