import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DeliverFrame,
  decodeContentHeader,
  decodeProperties,
  encodeContent,
  encodeProperties,
} from '../../../../adapters/amqp091/codec/content.js';
import { FrameParser } from '../../../../adapters/amqp091/codec/frame-parser.js';
import type { MessageProperties } from '../../../../src/spi.js';

const shortstr = fc.string({ maxLength: 40 });
const propertiesArb: fc.Arbitrary<MessageProperties> = fc.record(
  {
    contentType: shortstr,
    contentEncoding: shortstr,
    persistent: fc.boolean(),
    priority: fc.integer({ min: 0, max: 255 }),
    correlationId: shortstr,
    replyTo: shortstr,
    expiration: fc.integer({ min: 0, max: 1e9 }).map(String),
    messageId: shortstr,
    timestamp: fc.integer({ min: 0, max: 2 ** 40 }),
    type: shortstr,
    userId: shortstr,
    appId: shortstr,
  },
  { requiredKeys: [] },
);

describe('AMQP 0-9-1 §4.2.6.1 basic properties', () => {
  it('round-trip through the content header (property)', () => {
    fc.assert(
      fc.property(
        propertiesArb,
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string()),
        (props, headers) => {
          const decoded = decodeProperties(encodeProperties(props, headers));
          expect(decoded.properties).toEqual(props);
          expect(decoded.headers).toEqual(headers);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops strings longer than a shortstr instead of cutting them', () => {
    const decoded = decodeProperties(
      encodeProperties({ correlationId: 'x'.repeat(300), appId: 'a' }, {}),
    );
    expect(decoded.properties).toEqual({ appId: 'a' });
  });

  it('rejects property lists with trailing bytes or unknown flags', () => {
    const raw = encodeProperties({ type: 't' }, {});
    expect(() => decodeProperties(Buffer.concat([raw, Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decodeProperties(Buffer.from([0, 0x01]))).toThrow(/flags/);
  });
});

describe('AMQP 0-9-1 §4.2.6.2 content frames', () => {
  it('splits bodies at frame-max and reassembles them (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40_000 }),
        fc.constantFrom(4096, 10_000, 131_072),
        (size, frameMax) => {
          const body = Buffer.alloc(size, 7);
          const out: Buffer[] = [];
          const frame = new DeliverFrame(
            3,
            DeliverFrame.tag('ctag'),
            2 ** 33 + 5,
            true,
            'ex',
            'rk',
          );
          encodeContent(3, frame, encodeProperties({ type: 't' }, {}), body, frameMax, out);
          const frames: { type: number; payload: Buffer }[] = [];
          new FrameParser(frameMax, (type, channel, payload) => {
            expect(channel).toBe(3);
            frames.push({ type, payload: Buffer.from(payload) });
          }).push(Buffer.concat(out));
          const [method, header, ...bodies] = frames;
          expect(method?.type).toBe(1);
          expect(method?.payload.readUInt32BE(0)).toBe(0x003c003c);
          expect(method?.payload.readBigUInt64BE(4 + 1 + 4)).toBe(2n ** 33n + 5n);
          expect(decodeContentHeader(header?.payload ?? Buffer.alloc(0)).bodySize).toBe(size);
          expect(bodies.every((b) => b.type === 3 && b.payload.length <= frameMax - 8)).toBe(true);
          expect(bodies.length).toBe(Math.ceil(size / (frameMax - 8)));
          expect(Buffer.concat(bodies.map((b) => b.payload)).equals(body)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });
});
