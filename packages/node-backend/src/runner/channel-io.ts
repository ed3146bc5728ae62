// Synchronous frame I/O on the channel fd, built only from functions captured when this module
// loads (before user code runs), so user code that replaces prototypes or globals cannot change
// what the runner sends or reads.
import * as fs from 'node:fs';
import { CHANNEL_FD } from './runner-protocol.js';

const uncurry = Function.prototype.bind.bind(Function.prototype.call) as <A extends unknown[], R>(
  fn: (...args: A) => R,
) => (self: unknown, ...args: A) => R;
const u8Set = uncurry(Uint8Array.prototype.set as (array: ArrayLike<number>, offset?: number) => void);
const u8Subarray = uncurry(Uint8Array.prototype.subarray as (begin?: number, end?: number) => Uint8Array);
const u8Fill = uncurry(Uint8Array.prototype.fill as (value: number) => Uint8Array);
const encoder = new TextEncoder();
const encodeWith = uncurry(TextEncoder.prototype.encode);
const decoder = new TextDecoder('utf-8', { fatal: true });
const decodeWith = uncurry(TextDecoder.prototype.decode as (input: Uint8Array) => string);
const U8 = Uint8Array;
// Captured now: a bundler turns named imports into property reads at call time, which user code
// could redirect by patching the shared `fs` module object.
const readSync = fs.readSync;
const writeSync = fs.writeSync;
const lengthOf = uncurry(
  Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length')!.get as () => number,
);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const atomicsWait = Atomics.wait;

export const encodeUtf8 = (text: string): Uint8Array => encodeWith(encoder, text);
export const decodeUtf8 = (bytes: Uint8Array): string => decodeWith(decoder, bytes);
export const wipe = (bytes: Uint8Array): void => {
  u8Fill(bytes, 0);
};
export const slice = (bytes: Uint8Array, begin: number, end?: number): Uint8Array => {
  const view = u8Subarray(bytes, begin, end);
  const copy = new U8(lengthOf(view));
  u8Set(copy, view, 0);
  return copy;
};

function readExactly(target: Uint8Array): boolean {
  let filled = 0;
  while (filled < lengthOf(target)) {
    let n: number;
    try {
      n = readSync(CHANNEL_FD, target, filled, lengthOf(target) - filled, null);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'EAGAIN') {
        atomicsWait(sleeper, 0, 0, 2);
        continue;
      }
      throw error;
    }
    if (n === 0) return false;
    filled += n;
  }
  return true;
}

/** Blocks until one whole frame has arrived; undefined when the host closed the channel. */
export function readFrame(maxBytes: number): Uint8Array | undefined {
  const header = new U8(4);
  if (!readExactly(header)) return undefined;
  const length = ((header[0]! << 24) >>> 0) + (header[1]! << 16) + (header[2]! << 8) + header[3]!;
  if (length > maxBytes) throw new Error(`job frame of ${length} bytes is over ${maxBytes}`);
  const payload = new U8(length);
  return readExactly(payload) ? payload : undefined;
}

/** Blocks until the host closes the channel (or the host kills the jail, which it does on a result). */
export function parkUntilClosed(): void {
  const byte = new U8(1);
  try {
    while (readExactly(byte)) {
      // The host sends nothing after the job; ignore anything that arrives.
    }
  } catch {
    // the channel is gone
  }
}

/** Writes one frame made of `parts`, concatenated. */
export function writeFrame(parts: readonly Uint8Array[]): void {
  let length = 0;
  for (let i = 0; i < parts.length; i++) length += lengthOf(parts[i]);
  const frame = new U8(4 + length);
  frame[0] = (length >>> 24) & 0xff;
  frame[1] = (length >>> 16) & 0xff;
  frame[2] = (length >>> 8) & 0xff;
  frame[3] = length & 0xff;
  let offset = 4;
  for (let i = 0; i < parts.length; i++) {
    u8Set(frame, parts[i]!, offset);
    offset += lengthOf(parts[i]);
  }
  let written = 0;
  while (written < lengthOf(frame)) {
    try {
      written += writeSync(CHANNEL_FD, frame, written, lengthOf(frame) - written);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EAGAIN') throw error;
      atomicsWait(sleeper, 0, 0, 2);
    }
  }
}
