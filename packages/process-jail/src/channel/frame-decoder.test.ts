import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChannelProtocolError } from '../errors/channel-protocol-error.js';
import { encodeFrame } from './encode-frame.js';
import { FrameDecoder, type FrameEvent } from './frame-decoder.js';

const header = (length: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(length >>> 0, 0);
  return b;
};
const raw = (payload: Buffer) => Buffer.concat([header(payload.byteLength), payload]);
const values = (events: FrameEvent[]) => events.flatMap((e) => (e.kind === 'frame' ? [e.value] : []));
const errors = (events: FrameEvent[]) => events.flatMap((e) => (e.kind === 'error' ? [e.error.code] : []));

/** A tiny deterministic PRNG so a failing fuzz case can be replayed from its seed. */
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

describe('encodeFrame and FrameDecoder', () => {
  it('round-trips JSON values and bytes', () => {
    const decoder = new FrameDecoder();
    const messages = [{ a: 1 }, 'text', [1, 2, 3], null, 0, { nested: { ü: 'ñ', emoji: '😀' } }];
    const events = decoder.push(Buffer.concat(messages.map((m) => encodeFrame(m))));
    expect(values(events)).toEqual(messages);
    const bytes = new FrameDecoder({ payload: 'bytes' });
    const payload = randomBytes(1000);
    expect(values(bytes.push(encodeFrame(payload)))).toEqual([new Uint8Array(payload)]);
  });

  it('reassembles frames split at every possible byte boundary', () => {
    const stream = Buffer.concat([encodeFrame({ first: true }), encodeFrame('second'), encodeFrame([3])]);
    for (let cut = 0; cut <= stream.byteLength; cut++) {
      const decoder = new FrameDecoder();
      const events = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(values(events)).toEqual([{ first: true }, 'second', [3]]);
    }
    const oneByOne = new FrameDecoder();
    const events = [...stream].flatMap((byte) => oneByOne.push(Buffer.of(byte)));
    expect(values(events)).toEqual([{ first: true }, 'second', [3]]);
    expect(oneByOne.end()).toEqual([]);
  });

  it('rejects a huge length without waiting for (or buffering) its payload', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
    const events = decoder.push(header(0xffffffff));
    expect(errors(events)).toEqual(['frame_too_large']);
    expect(decoder.failed).toBeInstanceOf(ChannelProtocolError);
    expect(decoder.pendingBytes).toBe(0);
    // Once failed, the rest of the stream is ignored rather than misread.
    expect(decoder.push(encodeFrame({ ok: true }))).toEqual([]);
  });

  it('caps the total bytes of the channel', () => {
    const decoder = new FrameDecoder({ maxTotalBytes: 100 });
    const events = Array.from({ length: 20 }, () => decoder.push(encodeFrame('0123456789'))).flat();
    expect(values(events).length).toBeLessThan(10);
    expect(errors(events)).toEqual(['total_too_large']);
  });

  it('turns each kind of bad payload into a typed error, never an exception', () => {
    const cases: Array<[Buffer | unknown, string]> = [
      [raw(Buffer.alloc(0)), 'invalid_json'],
      [raw(Buffer.from([0xff, 0xfe, 0x22])), 'invalid_utf8'],
      [raw(Buffer.from([0x22, 0xc3, 0x22])), 'invalid_utf8'],
      [raw(Buffer.from('{"a":')), 'invalid_json'],
      [raw(Buffer.from('{"__proto__":{"polluted":true}}')), 'forbidden_key'],
      [raw(Buffer.from('{"a":[{"b":{"__proto__":1}}]}')), 'forbidden_key'],
      [raw(Buffer.from('{"constructor":{"prototype":{"polluted":true}}}')), 'forbidden_key'],
      [raw(Buffer.from('['.repeat(200_000))), 'invalid_json'],
      ['a string chunk', 'invalid_chunk'],
      [null, 'invalid_chunk'],
      [{ length: 4 }, 'invalid_chunk'],
    ];
    for (const [input, code] of cases) {
      const decoder = new FrameDecoder();
      expect(errors(decoder.push(input)), String(code)).toEqual([code]);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A constructor key holding a plain value is data, not a gadget.
    expect(values(new FrameDecoder().push(encodeFrame({ constructor: 'x' })))).toEqual([
      { constructor: 'x' },
    ]);
  });

  it('reports a stream that ends in the middle of a frame', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(encodeFrame({ long: 'x'.repeat(100) }).subarray(0, 50))).toEqual([]);
    expect(errors(decoder.end())).toEqual(['truncated']);
  });

  it('zero-length frames are valid in bytes mode', () => {
    const decoder = new FrameDecoder({ payload: 'bytes' });
    expect(values(decoder.push(Buffer.concat([header(0), header(0)])))).toEqual([
      new Uint8Array(0),
      new Uint8Array(0),
    ]);
  });

  it('survives random bytes and random splits of valid streams (fuzz)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = prng(seed);
      const decoder = new FrameDecoder({ maxFrameBytes: 4096, maxTotalBytes: 1 << 20 });
      const sent: unknown[] = [];
      const parts: Buffer[] = [];
      const frames = rand(6);
      for (let i = 0; i < frames; i++) {
        const value = { i, s: 'é'.repeat(rand(50)), n: rand(1000) };
        sent.push(value);
        parts.push(encodeFrame(value));
      }
      // Half the seeds append garbage after the valid frames.
      if (seed % 2 === 0) parts.push(randomBytes(rand(64)));
      const stream = Buffer.concat(parts);
      const events: FrameEvent[] = [];
      let at = 0;
      while (at < stream.byteLength) {
        const size = 1 + rand(40);
        events.push(...decoder.push(stream.subarray(at, at + size)));
        at += size;
      }
      events.push(...decoder.end());
      expect(values(events).slice(0, sent.length), `seed ${seed}`).toEqual(sent);
      expect(errors(events).length, `seed ${seed}`).toBeLessThanOrEqual(1);
      expect(events.every((e) => e.kind === 'frame' || ChannelProtocolError.isInstance(e.error))).toBe(true);
    }
    for (let round = 0; round < 300; round++) {
      const decoder = new FrameDecoder({ maxFrameBytes: 1 << 16 });
      const bytes = randomBytes(1 + (round % 257) * 7);
      expect(() => {
        decoder.push(bytes);
        decoder.end();
      }).not.toThrow();
    }
  });

  it('encodeFrame refuses what cannot be framed', () => {
    expect(() => encodeFrame(undefined)).toThrow(/frame/);
    expect(() => encodeFrame('x'.repeat(100), { maxFrameBytes: 10 })).toThrow(/cap/);
  });
});
