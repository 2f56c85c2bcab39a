import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTable,
  encodeTable,
  FieldTableError,
} from '../../../../adapters/amqp091/codec/field-table.js';

/** A wire-level field value generator: every tag RabbitMQ's errata lists. */
const valueArb: fc.Arbitrary<Buffer> = fc.letrec<{ value: Buffer; table: Buffer }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.boolean().map((v) => Buffer.from([0x74, v ? 1 : 0])),
    fc.integer({ min: -128, max: 127 }).map((v) => withTag(0x62, 1, (b) => b.writeInt8(v))),
    fc.integer({ min: 0, max: 255 }).map((v) => withTag(0x42, 1, (b) => b.writeUInt8(v))),
    fc
      .integer({ min: -0x8000, max: 0x7fff })
      .map((v) => withTag(0x73, 2, (b) => b.writeInt16BE(v))),
    fc.integer({ min: 0, max: 0xffff }).map((v) => withTag(0x75, 2, (b) => b.writeUInt16BE(v))),
    fc.integer().map((v) => withTag(0x49, 4, (b) => b.writeInt32BE(v))),
    fc.integer({ min: 0, max: 0xffffffff }).map((v) => withTag(0x69, 4, (b) => b.writeUInt32BE(v))),
    fc
      .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
      .map((v) => withTag(0x6c, 8, (b) => b.writeBigInt64BE(v))),
    fc.float({ noNaN: true }).map((v) => withTag(0x66, 4, (b) => b.writeFloatBE(v))),
    fc.double({ noNaN: true }).map((v) => withTag(0x64, 8, (b) => b.writeDoubleBE(v))),
    fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffffffff }))
      .map(([p, d]) =>
        withTag(0x44, 5, (b) => {
          b.writeUInt8(p);
          b.writeUInt32BE(d, 1);
        }),
      ),
    fc.uint8Array({ maxLength: 20 }).map((a) => longBytes(0x53, Buffer.from(a))),
    fc.string().map((s) => longBytes(0x53, Buffer.from(s))),
    fc
      .bigInt({ min: 0n, max: 2n ** 53n - 1n })
      .map((v) => withTag(0x54, 8, (b) => b.writeBigUInt64BE(v))),
    fc.constant(Buffer.from([0x56])),
    fc.uint8Array({ maxLength: 20 }).map((a) => longBytes(0x78, Buffer.from(a))),
    tie('table').map((t) => Buffer.concat([Buffer.from([0x46]), t])),
    fc.array(tie('value'), { maxLength: 4 }).map((vs) => longBytes(0x41, Buffer.concat(vs))),
  ),
  table: fc
    // Excluded keys (documented in docs/amqp091.md; AMQP 0-9-1 consumers still get the
    // publisher's bytes through the raw-properties path): integer-like keys, which JS objects
    // order first, and '!', which marks a typed value.
    .uniqueArray(
      fc.tuple(
        fc.string({ maxLength: 10 }).filter((k) => k !== '!' && !/^(0|[1-9]\d*)$/.test(k)),
        tie('value'),
      ),
      {
        maxLength: 5,
        selector: ([k]) => k,
      },
    )
    .map((entries) =>
      longBytes(
        -1,
        Buffer.concat(
          entries.flatMap(([k, v]) => [Buffer.from([Buffer.byteLength(k)]), Buffer.from(k), v]),
        ),
      ),
    ),
})).table;

function withTag(tag: number, size: number, write: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(size);
  write(b);
  return Buffer.concat([Buffer.from([tag]), b]);
}

/** A 4-byte length-prefixed block, with a tag unless tag < 0. */
function longBytes(tag: number, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat(tag < 0 ? [len, body] : [Buffer.from([tag]), len, body]);
}

describe('AMQP 0-9-1 §4.2.5.5 field tables', () => {
  it('round-trip byte-for-byte for every field type (property)', () => {
    fc.assert(
      fc.property(valueArb, (wire) => {
        const decoded = decodeTable(wire.subarray(4));
        expect(encodeTable(decoded).equals(wire)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('gives other adapters plain values where the wire type is the natural one', () => {
    const table = {
      s: 'text',
      n: 1000,
      big: 1e12,
      f: 1.5,
      b: true,
      nil: null,
      arr: ['a', 1],
      t: { x: 'y' },
    };
    expect(decodeTable(encodeTable(table).subarray(4))).toEqual(table);
  });

  it('keeps wire types that a plain number would lose as typed values', () => {
    const decoded = decodeTable(
      encodeTable({ i: { '!': 'int32', value: 5 }, ts: { '!': 'timestamp', value: 7 } }).subarray(
        4,
      ),
    );
    expect(decoded).toEqual({ i: { '!': 'int32', value: 5 }, ts: { '!': 'timestamp', value: 7 } });
  });

  it('encodes Date as timestamp and bigint as long', () => {
    const wire = encodeTable({ d: new Date(5000), l: 2n ** 60n });
    expect(decodeTable(wire.subarray(4))).toEqual({
      d: { '!': 'timestamp', value: 5 },
      l: { '!': 'int64', value: 2n ** 60n },
    });
  });

  it('keeps a __proto__ key as data', () => {
    const wire = Buffer.from([9, ...Buffer.from('__proto__'), 0x74, 1]);
    const decoded = decodeTable(wire);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(encodeTable(decoded).subarray(4).equals(wire)).toBe(true);
  });

  it('rejects truncated input, unknown tags and excessive nesting', () => {
    expect(() => decodeTable(Buffer.from([1, 0x61, 0x53, 0, 0, 0, 9]))).toThrow(FieldTableError);
    expect(() => decodeTable(Buffer.from([1, 0x61, 0x7a]))).toThrow(FieldTableError);
    let nested = Buffer.alloc(0);
    for (let i = 0; i < 100; i++)
      nested = Buffer.concat([Buffer.from([1, 0x61]), longBytes(0x46, nested)]);
    expect(() => decodeTable(nested)).toThrow(/nested/);
  });
});
