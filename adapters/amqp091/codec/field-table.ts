/**
 * AMQP 0-9-1 field tables (AMQP 0-9-1 §4.2.5.5 with RabbitMQ's errata tags), decoded so that
 * re-encoding yields the same bytes: a value whose wire type amqplib's encoder would not guess
 * from a plain JS value is kept as `{'!': type, value}` (amqplib's convention, TypedHeaderValue
 * in the SPI). Plain values are used where the guess is exact, so other adapters see numbers
 * and strings.
 */
import { isUtf8 } from 'node:buffer';
import type { HeaderTable, HeaderValue, TypedHeaderValue } from '../../../src/spi.js';

/** Nesting limit for tables and arrays: bounds recursion on hostile input. */
export const MAX_TABLE_DEPTH = 64;

export class FieldTableError extends Error {
  override readonly name = 'FieldTableError';
}

function typed(type: string, value: unknown): TypedHeaderValue {
  return { '!': type, value };
}

/** amqplib's rule for a JS number: double when fractional (below 2^50) or above int64. */
function guessesDouble(n: number): boolean {
  return n >= 0x8000000000000000 || (Math.abs(n) < 0x4000000000000 && Math.floor(n) !== n);
}

class Reader {
  offset = 0;
  readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  need(n: number): void {
    if (this.offset + n > this.buf.length) throw new FieldTableError('field table truncated');
  }
}

function decodeValue(r: Reader, depth: number): HeaderValue {
  r.need(1);
  const tag = r.buf[r.offset++];
  const b = r.buf;
  switch (tag) {
    case 0x74: // t
      r.need(1);
      return b[r.offset++] !== 0;
    case 0x62: {
      // b: int8, always guessed back as 'byte'
      r.need(1);
      const v = b.readInt8(r.offset);
      r.offset += 1;
      return v;
    }
    case 0x42: {
      r.need(1);
      const v = b.readUInt8(r.offset);
      r.offset += 1;
      return typed('uint8', v);
    }
    case 0x73: {
      r.need(2);
      const v = b.readInt16BE(r.offset);
      r.offset += 2;
      return v < -128 || v > 127 ? v : typed('int16', v);
    }
    case 0x75: {
      r.need(2);
      const v = b.readUInt16BE(r.offset);
      r.offset += 2;
      return typed('uint16', v);
    }
    case 0x49: {
      r.need(4);
      const v = b.readInt32BE(r.offset);
      r.offset += 4;
      return v < -0x8000 || v > 0x7fff ? v : typed('int32', v);
    }
    case 0x69: {
      r.need(4);
      const v = b.readUInt32BE(r.offset);
      r.offset += 4;
      return typed('uint32', v);
    }
    case 0x6c: {
      r.need(8);
      const big = b.readBigInt64BE(r.offset);
      r.offset += 8;
      const v = Number(big);
      if (!Number.isSafeInteger(v)) return typed('int64', big);
      return v < -0x80000000 || v > 0x7fffffff ? v : typed('int64', v);
    }
    case 0x66: {
      r.need(4);
      const v = b.readFloatBE(r.offset);
      r.offset += 4;
      return typed('float', v);
    }
    case 0x64: {
      r.need(8);
      const v = b.readDoubleBE(r.offset);
      r.offset += 8;
      return guessesDouble(v) ? v : typed('double', v);
    }
    case 0x44: {
      r.need(5);
      const places = b[r.offset] ?? 0;
      const digits = b.readUInt32BE(r.offset + 1);
      r.offset += 5;
      return typed('decimal', { places, digits });
    }
    case 0x53: {
      r.need(4);
      const len = b.readUInt32BE(r.offset);
      r.offset += 4;
      r.need(len);
      const raw = b.subarray(r.offset, r.offset + len);
      r.offset += len;
      // Not UTF-8: keep the bytes, a string would not round-trip.
      return isUtf8(raw) ? raw.toString('utf8') : typed('longstr', Buffer.from(raw));
    }
    case 0x54: {
      r.need(8);
      const v = Number(b.readBigUInt64BE(r.offset));
      r.offset += 8;
      return typed('timestamp', v);
    }
    case 0x56: // V
      return null;
    case 0x78: {
      r.need(4);
      const len = b.readUInt32BE(r.offset);
      r.offset += 4;
      r.need(len);
      const v = Buffer.from(b.subarray(r.offset, r.offset + len));
      r.offset += len;
      return v;
    }
    case 0x46: {
      r.need(4);
      const len = b.readUInt32BE(r.offset);
      r.offset += 4;
      r.need(len);
      const end = r.offset + len;
      const v = decodeEntries(r, end, depth + 1);
      return v;
    }
    case 0x41: {
      r.need(4);
      const len = b.readUInt32BE(r.offset);
      r.offset += 4;
      r.need(len);
      const end = r.offset + len;
      if (depth + 1 > MAX_TABLE_DEPTH) throw new FieldTableError('field table nested too deeply');
      const items: HeaderValue[] = [];
      while (r.offset < end) items.push(decodeValue(r, depth + 1));
      if (r.offset !== end) throw new FieldTableError('field array overruns its length');
      return items;
    }
    default:
      throw new FieldTableError(`unknown field type tag 0x${(tag ?? 0).toString(16)}`);
  }
}

function decodeEntries(r: Reader, end: number, depth: number): HeaderTable {
  if (depth > MAX_TABLE_DEPTH) throw new FieldTableError('field table nested too deeply');
  const out: Record<string, HeaderValue> = {};
  while (r.offset < end) {
    r.need(1);
    const klen = r.buf[r.offset++] ?? 0;
    r.need(klen);
    const key = r.buf.toString('utf8', r.offset, r.offset + klen);
    r.offset += klen;
    const value = decodeValue(r, depth);
    // A key '__proto__' must stay data, never replace the object's prototype.
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      out[key] = value;
    }
  }
  if (r.offset !== end) throw new FieldTableError('field table overruns its length');
  return out;
}

/** Decodes a table body (the bytes after its 4-byte length). */
export function decodeTable(body: Buffer): HeaderTable {
  const r = new Reader(body);
  return decodeEntries(r, body.length, 0);
}

// ---------------------------------------------------------------------------------------------

class Writer {
  buf = Buffer.allocUnsafe(256);
  offset = 0;
  ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.offset + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }
  tag(t: number, n: number): void {
    this.ensure(1 + n);
    this.buf[this.offset++] = t;
  }
  bytes(v: Buffer): void {
    this.tag(0x78, 4 + v.length);
    this.buf.writeUInt32BE(v.length, this.offset);
    this.offset += 4;
    v.copy(this.buf, this.offset);
    this.offset += v.length;
  }
}

function isTyped(v: object): v is TypedHeaderValue {
  return Object.hasOwn(v, '!');
}

function encodeNumber(w: Writer, type: string, val: unknown): void {
  const b = () => w.buf;
  const num = (): number => {
    if (typeof val === 'number') return val;
    if (typeof val === 'bigint') return Number(val);
    throw new TypeError(`field type ${type} needs a number`);
  };
  switch (type) {
    case 'int8':
    case 'byte':
      w.tag(0x62, 1);
      b().writeInt8(num(), w.offset);
      w.offset += 1;
      return;
    case 'uint8':
    case 'unsignedbyte':
      w.tag(0x42, 1);
      b().writeUInt8(num(), w.offset);
      w.offset += 1;
      return;
    case 'int16':
    case 'short':
      w.tag(0x73, 2);
      b().writeInt16BE(num(), w.offset);
      w.offset += 2;
      return;
    case 'uint16':
    case 'unsignedshort':
      w.tag(0x75, 2);
      b().writeUInt16BE(num(), w.offset);
      w.offset += 2;
      return;
    case 'int32':
    case 'int':
      w.tag(0x49, 4);
      b().writeInt32BE(num(), w.offset);
      w.offset += 4;
      return;
    case 'uint32':
    case 'unsignedint':
      w.tag(0x69, 4);
      b().writeUInt32BE(num(), w.offset);
      w.offset += 4;
      return;
    case 'int64':
    case 'long':
      w.tag(0x6c, 8);
      b().writeBigInt64BE(typeof val === 'bigint' ? val : BigInt(num()), w.offset);
      w.offset += 8;
      return;
    case 'float':
      w.tag(0x66, 4);
      b().writeFloatBE(num(), w.offset);
      w.offset += 4;
      return;
    case 'double':
    case 'float64':
      w.tag(0x64, 8);
      b().writeDoubleBE(num(), w.offset);
      w.offset += 8;
      return;
    case 'timestamp':
      w.tag(0x54, 8);
      b().writeBigUInt64BE(typeof val === 'bigint' ? val : BigInt(Math.trunc(num())), w.offset);
      w.offset += 8;
      return;
    default:
      throw new TypeError(`unknown field type ${type}`);
  }
}

function guessNumberType(n: number): string {
  if (guessesDouble(n) || !Number.isFinite(n)) return 'double';
  if (n >= -128 && n < 128) return 'int8';
  if (n >= -0x8000 && n < 0x8000) return 'int16';
  if (n >= -0x80000000 && n < 0x80000000) return 'int32';
  return 'int64';
}

function encodeLongString(w: Writer, v: Buffer): void {
  w.tag(0x53, 4 + v.length);
  w.buf.writeUInt32BE(v.length, w.offset);
  w.offset += 4;
  v.copy(w.buf, w.offset);
  w.offset += v.length;
}

function encodeValue(w: Writer, v: HeaderValue, depth: number): void {
  switch (typeof v) {
    case 'string':
      encodeLongString(w, Buffer.from(v, 'utf8'));
      return;
    case 'number':
      encodeNumber(w, guessNumberType(v), v);
      return;
    case 'bigint':
      encodeNumber(w, 'int64', v);
      return;
    case 'boolean':
      w.tag(0x74, 1);
      w.buf[w.offset++] = v ? 1 : 0;
      return;
    default:
  }
  if (v === null) {
    w.tag(0x56, 0);
    return;
  }
  if (depth > MAX_TABLE_DEPTH) throw new TypeError('field table nested too deeply');
  if (Buffer.isBuffer(v)) {
    w.bytes(v);
  } else if (v instanceof Date) {
    encodeNumber(w, 'timestamp', Math.floor(v.getTime() / 1000));
  } else if (Array.isArray(v)) {
    w.tag(0x41, 4);
    const start = w.offset;
    w.offset += 4;
    for (const item of v as readonly HeaderValue[]) encodeValue(w, item, depth + 1);
    w.buf.writeUInt32BE(w.offset - start - 4, start);
  } else if (isTyped(v)) {
    encodeTyped(w, v);
  } else {
    w.tag(0x46, 0);
    encodeEntries(w, v as HeaderTable, depth + 1);
  }
}

function encodeTyped(w: Writer, v: TypedHeaderValue): void {
  const type = v['!'];
  const val = v.value;
  if (type === 'decimal') {
    const d = val as { places?: unknown; digits?: unknown } | null;
    if (typeof d?.places !== 'number' || typeof d.digits !== 'number') {
      throw new TypeError('decimal needs {places, digits}');
    }
    w.tag(0x44, 5);
    w.buf.writeUInt8(d.places, w.offset);
    w.buf.writeUInt32BE(d.digits, w.offset + 1);
    w.offset += 5;
  } else if (type === 'longstr' || type === 'string') {
    encodeLongString(w, Buffer.isBuffer(val) ? val : Buffer.from(String(val), 'utf8'));
  } else {
    encodeNumber(w, type, val);
  }
}

function encodeEntries(w: Writer, table: HeaderTable, depth: number): void {
  w.ensure(4);
  const start = w.offset;
  w.offset += 4;
  for (const key in table) {
    const v = table[key];
    if (v === undefined) continue;
    const klen = Buffer.byteLength(key, 'utf8');
    if (klen > 255) throw new TypeError(`field name longer than 255 bytes: ${key.slice(0, 32)}...`);
    w.ensure(1 + klen);
    w.buf[w.offset++] = klen;
    w.offset += w.buf.write(key, w.offset, 'utf8');
    encodeValue(w, v, depth);
  }
  w.buf.writeUInt32BE(w.offset - start - 4, start);
}

/** Encodes a table with its 4-byte length prefix. Throws TypeError for unencodable values. */
export function encodeTable(table: HeaderTable): Buffer {
  const w = new Writer();
  encodeEntries(w, table, 0);
  return w.buf.subarray(0, w.offset);
}
