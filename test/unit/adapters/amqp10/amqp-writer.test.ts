import rhea from 'rhea';
import { describe, expect, it } from 'vitest';
import { AmqpWriter } from '../../../../adapters/amqp10/amqp-writer.js';

/** rhea's decoder is the reference for what we encode (AMQP 1.0 1.6 type encodings). */
function decode(bytes: Buffer): unknown {
  const types = rhea.types as unknown as {
    Reader: new (b: Buffer) => { read(): unknown };
    unwrap(v: unknown): unknown;
  };
  return types.unwrap(new types.Reader(bytes).read());
}

function encode(write: (w: AmqpWriter) => void): Buffer {
  const w = new AmqpWriter();
  write(w);
  return w.take();
}

describe('AmqpWriter (AMQP 1.0 1.6 primitive types)', () => {
  it('numbers take the types rhea gives them: uint, ulong, int, long, double', () => {
    for (const n of [0, 1, 255, 256, 70_000, 2 ** 32 + 5, -1, -129, -(2 ** 40), 1.5, -2.25]) {
      expect(
        decode(
          encode((w) => {
            w.number(n);
          }),
        ),
      ).toBe(n);
    }
    expect(
      decode(
        encode((w) => {
          w.ulong(2 ** 40);
        }),
      ),
    ).toBe(2 ** 40);
  });

  it('strings, symbols and binaries switch to the 4-byte size form past 255 bytes', () => {
    for (const size of [0, 255, 256, 70_000]) {
      const s = 'é'.repeat(size);
      const bytes = encode((w) => {
        w.string(s);
      });
      expect(bytes[0]).toBe(Buffer.byteLength(s) > 255 ? 0xb1 : 0xa1);
      expect(decode(bytes)).toBe(s);
      const b = Buffer.alloc(size, 7);
      expect(
        decode(
          encode((w) => {
            w.binary(b);
          }),
        ),
      ).toEqual(b);
      const sym = 'x'.repeat(size);
      expect(
        decode(
          encode((w) => {
            w.symbol(sym);
          }),
        ),
      ).toBe(sym);
    }
  });

  it('lists and maps use the short form when they fit and the long form otherwise', () => {
    const small = { a: 1, b: 'two', c: [true, null, false] };
    const smallBytes = encode((w) => {
      w.map(small, false);
    });
    expect(smallBytes[0]).toBe(0xc1);
    expect(decode(smallBytes)).toEqual(small);
    const big: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++) big[`k${i}`] = i;
    const bigBytes = encode((w) => {
      w.map(big, true);
    });
    expect(bigBytes[0]).toBe(0xd1);
    expect(decode(bigBytes)).toEqual(big);
    const list = Array.from({ length: 300 }, (_, i) => `item ${i}`);
    expect(
      decode(
        encode((w) => {
          w.value(list);
        }),
      ),
    ).toEqual(list);
  });

  it('timestamps, dates, bigints, uuids and nested values', () => {
    const when = new Date(1_700_000_000_123);
    expect(
      decode(
        encode((w) => {
          w.value(when);
        }),
      ),
    ).toEqual(when);
    expect(
      decode(
        encode((w) => {
          w.value(-(2n ** 40n));
        }),
      ),
    ).toBe(-(2 ** 40));
    const uuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const bytes = encode((w) => {
      w.uuid(uuid);
    });
    expect(bytes[0]).toBe(0x98);
    expect(decode(bytes)).toEqual(uuid);
    const nested = { t: { inner: [1, { deep: 'x' }] } };
    expect(
      decode(
        encode((w) => {
          w.value(nested);
        }),
      ),
    ).toEqual(nested);
  });

  it('take() empties the writer and shrinks it after a large value', () => {
    const w = new AmqpWriter();
    w.binary(Buffer.alloc(200_000));
    expect(w.take().length).toBe(200_005);
    w.null();
    expect(w.take()).toEqual(Buffer.from([0x40]));
  });
});
