import rhea from 'rhea';
import { describe, expect, it } from 'vitest';
import { AmqpWriter } from '../../../../adapters/amqp10/amqp-writer.js';

const types = rhea.types as unknown as {
  Reader: new (b: Buffer) => { read(): unknown };
  unwrap(v: unknown): unknown;
};

type Method = 'number' | 'ulong' | 'string' | 'symbol' | 'binary' | 'uuid' | 'value';

/** The bytes one writer method produces for `v`. */
function bytesOf(method: Method, v: unknown): Buffer {
  const w = new AmqpWriter();
  (w[method] as (this: AmqpWriter, x: unknown) => void).call(w, v);
  return w.take();
}

/** rhea's decoder is the reference for what we encode (AMQP 1.0 1.6 type encodings). */
function through(method: Method, v: unknown): unknown {
  return types.unwrap(new types.Reader(bytesOf(method, v)).read());
}

describe('AmqpWriter (AMQP 1.0 1.6 primitive types)', () => {
  it('numbers take the types rhea gives them: uint, ulong, int, long, double', () => {
    for (const n of [0, 1, 255, 256, 70_000, 2 ** 32 + 5, -1, -129, -(2 ** 40), 1.5, -2.25])
      expect(through('number', n)).toBe(n);
    expect(through('ulong', 2 ** 40)).toBe(2 ** 40);
  });

  it('strings, symbols and binaries switch to the 4-byte size form past 255 bytes', () => {
    for (const size of [0, 255, 256, 70_000]) {
      const s = 'é'.repeat(size);
      expect(bytesOf('string', s)[0]).toBe(Buffer.byteLength(s) > 255 ? 0xb1 : 0xa1);
      expect(through('string', s)).toBe(s);
      expect(through('binary', Buffer.alloc(size, 7))).toEqual(Buffer.alloc(size, 7));
      expect(through('symbol', 'x'.repeat(size))).toBe('x'.repeat(size));
    }
  });

  it('lists and maps use the short form when they fit and the long form otherwise', () => {
    const small = { a: 1, b: 'two', c: [true, null, false] };
    expect(bytesOf('value', small)[0]).toBe(0xc1);
    expect(through('value', small)).toEqual(small);
    const big: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++) big[`k${i}`] = i;
    expect(bytesOf('value', big)[0]).toBe(0xd1);
    expect(through('value', big)).toEqual(big);
    const list = Array.from({ length: 300 }, (_, i) => `item ${i}`);
    expect(through('value', list)).toEqual(list);
  });

  it('timestamps, dates, bigints, uuids and nested values', () => {
    const when = new Date(1_700_000_000_123);
    expect(through('value', when)).toEqual(when);
    expect(through('value', -(2n ** 40n))).toBe(-(2 ** 40));
    const uuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    expect(bytesOf('uuid', uuid)[0]).toBe(0x98);
    expect(through('uuid', uuid)).toEqual(uuid);
    const nested = { t: { inner: [1, { deep: 'x' }] } };
    expect(through('value', nested)).toEqual(nested);
  });

  it('map keys are symbols for annotations, strings for application-properties', () => {
    const w = new AmqpWriter();
    w.map({ k: 1 }, true);
    expect(w.take()[3]).toBe(0xa3);
    w.map({ k: 1 }, false);
    expect(w.take()[3]).toBe(0xa1);
  });

  it('take() empties the writer, also after a large value', () => {
    const w = new AmqpWriter();
    w.binary(Buffer.alloc(200_000));
    expect(w.take().length).toBe(200_005);
    w.null();
    expect(w.take()).toEqual(Buffer.from([0x40]));
  });
});
