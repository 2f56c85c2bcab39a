import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AmqpError } from '../../../../adapters/amqp091/amqp-error.js';
import {
  FrameParser,
  FRAME_END,
  FRAME_MIN_SIZE,
} from '../../../../adapters/amqp091/codec/frame-parser.js';

interface Frame {
  type: number;
  channel: number;
  payload: Buffer;
}

function encode(f: Frame): Buffer {
  const b = Buffer.alloc(8 + f.payload.length);
  b[0] = f.type;
  b.writeUInt16BE(f.channel, 1);
  b.writeUInt32BE(f.payload.length, 3);
  f.payload.copy(b, 7);
  b[b.length - 1] = FRAME_END;
  return b;
}

function collect(frameMax = FRAME_MIN_SIZE): { parser: FrameParser; frames: Frame[] } {
  const frames: Frame[] = [];
  const parser = new FrameParser(frameMax, (type, channel, payload) => {
    frames.push({ type, channel, payload: Buffer.from(payload) });
  });
  return { parser, frames };
}

const frameArb = fc.record({
  type: fc.constantFrom(1, 2, 3, 8),
  channel: fc.integer({ min: 0, max: 0xffff }),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

describe('AMQP 0-9-1 §4.2.3 frame parser', () => {
  it('parses frames fed one byte at a time', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), (input) => {
        const { parser, frames } = collect();
        const wire = Buffer.concat(input.map(encode));
        for (let i = 0; i < wire.length; i++) parser.push(wire.subarray(i, i + 1));
        expect(frames).toEqual(input);
      }),
      { numRuns: 100 },
    );
  });

  it('parses frames fed in random chunks', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }),
        (input, cuts) => {
          const { parser, frames } = collect();
          const wire = Buffer.concat(input.map(encode));
          let off = 0;
          let i = 0;
          while (off < wire.length) {
            const n = cuts[i++ % cuts.length] ?? 1;
            parser.push(wire.subarray(off, off + n));
            off += n;
          }
          expect(frames).toEqual(input);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects a frame larger than frame-max with 501 FRAME_ERROR before buffering it', () => {
    const { parser, frames } = collect(FRAME_MIN_SIZE);
    const header = Buffer.from([1, 0, 1, 0, 0, 0x10, 0x00]); // payload 4096 > 4096 - 8
    expect(() => {
      parser.push(header);
    }).toThrow(AmqpError);
    try {
      collect(FRAME_MIN_SIZE).parser.push(header);
    } catch (err) {
      expect((err as AmqpError).replyCode).toBe(501);
      expect((err as AmqpError).scope).toBe('connection');
    }
    expect(frames).toEqual([]);
  });

  it('accepts a frame of exactly frame-max bytes', () => {
    const { parser, frames } = collect(FRAME_MIN_SIZE);
    parser.push(encode({ type: 3, channel: 1, payload: Buffer.alloc(FRAME_MIN_SIZE - 8, 7) }));
    expect(frames).toHaveLength(1);
  });

  it('rejects a missing frame-end octet with 501 FRAME_ERROR', () => {
    const { parser } = collect();
    const wire = encode({ type: 1, channel: 0, payload: Buffer.from('abc') });
    wire[wire.length - 1] = 0;
    expect(() => {
      parser.push(wire);
    }).toThrow(/frame-end/);
  });

  it('ignores input after stop()', () => {
    const { parser, frames } = collect();
    parser.stop();
    parser.push(encode({ type: 8, channel: 0, payload: Buffer.alloc(0) }));
    expect(frames).toEqual([]);
  });
});
