import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader } from './frame-codec.js';

const messages = (reader: FrameReader, bytes: Buffer) => reader.push(bytes);

describe('frame codec', () => {
  it('round-trips messages with binary attachments, split at every byte', () => {
    const message = {
      id: 7,
      code: new Uint8Array([0, 97, 115, 109]),
      files: { '/a': Buffer.from('hi') },
      text: 'é',
    };
    const frame = Buffer.concat([encodeFrame(message), encodeFrame({ id: 8 })]);
    const reader = new FrameReader(1024);
    const events = [];
    for (let i = 0; i < frame.length; i++) events.push(...messages(reader, frame.subarray(i, i + 1)));
    expect(events).toEqual([
      {
        kind: 'message',
        message: {
          id: 7,
          code: new Uint8Array([0, 97, 115, 109]),
          files: { '/a': new Uint8Array([104, 105]) },
          text: 'é',
        },
      },
      { kind: 'message', message: { id: 8 } },
    ]);
  });

  it('keeps data that looks like an attachment reference as data', () => {
    const value = { $bytes: [0, 1], $$bytes: 'x', nested: [{ $bytes: [0, 0] }] };
    const [event] = new FrameReader(1024).push(encodeFrame({ value }));
    expect(event).toEqual({ kind: 'message', message: { value } });
  });

  it('turns hostile frames into one error event and then refuses everything, never throwing', () => {
    const oversized = Buffer.alloc(8);
    oversized.writeUInt32BE(1_000_000, 0);
    const badJson = Buffer.concat([Buffer.from([0, 0, 0, 6, 0, 0, 0, 2]), Buffer.from('{x')]);
    const badRef = encodeFrame({ a: 1 });
    const forged = Buffer.from('{"a":{"$bytes":[0,99]}}');
    const outside = Buffer.alloc(8 + forged.length);
    outside.writeUInt32BE(4 + forged.length, 0);
    outside.writeUInt32BE(forged.length, 4);
    forged.copy(outside, 8);
    const jsonPastEnd = Buffer.from([0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
    for (const hostile of [oversized, badJson, outside, jsonPastEnd, Buffer.from([0, 0, 0, 0])]) {
      const reader = new FrameReader(1024);
      const events = reader.push(hostile);
      expect(events).toHaveLength(1);
      expect(events[0]?.kind).toBe('error');
      expect(reader.broken).toBe(true);
      expect(reader.push(badRef)).toEqual([]);
    }
  });
});
