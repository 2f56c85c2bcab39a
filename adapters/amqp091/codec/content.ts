/**
 * Content header frames (AMQP 0-9-1 §4.2.6.1: class-id, weight, body-size, property flags and
 * the basic properties) and content body frames, split at frame-max (§4.2.6.2).
 * Properties are kept as their raw bytes next to the decoded form so an AMQP 0-9-1 consumer of
 * an unchanged message receives exactly what the publisher sent.
 */
import type { HeaderTable, MessageProperties } from '../../../src/spi.js';
import { decodeTable, encodeTable, FieldTableError } from './field-table.js';
import {
  FRAME_BODY,
  FRAME_END,
  FRAME_HEADER,
  FRAME_METHOD,
  FRAME_OVERHEAD,
} from './frame-parser.js';

export const CLASS_BASIC = 60;

const F_CONTENT_TYPE = 0x8000;
const F_CONTENT_ENCODING = 0x4000;
const F_HEADERS = 0x2000;
const F_DELIVERY_MODE = 0x1000;
const F_PRIORITY = 0x0800;
const F_CORRELATION_ID = 0x0400;
const F_REPLY_TO = 0x0200;
const F_EXPIRATION = 0x0100;
const F_MESSAGE_ID = 0x0080;
const F_TIMESTAMP = 0x0040;
const F_TYPE = 0x0020;
const F_USER_ID = 0x0010;
const F_APP_ID = 0x0008;
const F_CLUSTER_ID = 0x0004;
const F_CONTINUATION = 0x0001;

export interface ContentHeader {
  readonly classId: number;
  readonly bodySize: number;
  /** Property flags and property list, undecoded. */
  readonly rawProperties: Buffer;
}

export interface DecodedProperties {
  readonly properties: MessageProperties;
  readonly headers: HeaderTable;
}

const EMPTY_HEADERS: HeaderTable = Object.freeze({});

export function decodeContentHeader(payload: Buffer): ContentHeader {
  if (payload.length < 14) throw new FieldTableError('content header truncated');
  const high = payload.readUInt32BE(4);
  if (high > 0x1fffff) throw new FieldTableError('body size too large');
  return {
    classId: payload.readUInt16BE(0),
    bodySize: high * 0x100000000 + payload.readUInt32BE(8),
    rawProperties: payload.subarray(12),
  };
}

/** A read position over a property list (a class, not closures: this runs per message). */
class Cursor {
  readonly buf: Buffer;
  off = 2;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  need(n: number): void {
    if (this.off + n > this.buf.length) throw new FieldTableError('content header truncated');
  }
  octet(): number {
    this.need(1);
    return this.buf[this.off++] ?? 0;
  }
  shortstr(): string {
    const len = this.octet();
    this.need(len);
    const s = this.buf.toString('utf8', this.off, this.off + len);
    this.off += len;
    return s;
  }
}

type MutableProperties = { -readonly [K in keyof MessageProperties]: MessageProperties[K] };

/** Decodes the basic property list. Throws FieldTableError on malformed input. */
export function decodeProperties(raw: Buffer): DecodedProperties {
  const flags = raw.readUInt16BE(0);
  if (flags === 0) return { properties: {}, headers: EMPTY_HEADERS };
  if (flags & (F_CONTINUATION | 0x0002)) throw new FieldTableError('unknown property flags');
  const c = new Cursor(raw);
  const p: MutableProperties = {};
  let headers = EMPTY_HEADERS;
  if (flags & F_CONTENT_TYPE) p.contentType = c.shortstr();
  if (flags & F_CONTENT_ENCODING) p.contentEncoding = c.shortstr();
  if (flags & F_HEADERS) {
    c.need(4);
    const len = raw.readUInt32BE(c.off);
    c.off += 4;
    c.need(len);
    headers = decodeTable(raw.subarray(c.off, c.off + len));
    c.off += len;
  }
  if (flags & F_DELIVERY_MODE) p.persistent = c.octet() === 2;
  if (flags & F_PRIORITY) p.priority = c.octet();
  if (flags & F_CORRELATION_ID) p.correlationId = c.shortstr();
  if (flags & F_REPLY_TO) p.replyTo = c.shortstr();
  if (flags & F_EXPIRATION) p.expiration = c.shortstr();
  if (flags & F_MESSAGE_ID) p.messageId = c.shortstr();
  if (flags & F_TIMESTAMP) {
    c.need(8);
    p.timestamp = raw.readUInt32BE(c.off) * 0x100000000 + raw.readUInt32BE(c.off + 4);
    c.off += 8;
  }
  if (flags & F_TYPE) p.type = c.shortstr();
  if (flags & F_USER_ID) p.userId = c.shortstr();
  if (flags & F_APP_ID) p.appId = c.shortstr();
  // cluster-id is deprecated in 0-9-1: read past it; only the raw bytes keep it.
  if (flags & F_CLUSTER_ID) c.shortstr();
  if (c.off !== raw.length) throw new FieldTableError('content header has trailing bytes');
  return { properties: p, headers };
}

/** shortstr properties in wire order with their flags. */
const STRING_PROPERTIES: readonly (readonly [number, keyof MessageProperties])[] = [
  [F_CONTENT_TYPE, 'contentType'],
  [F_CONTENT_ENCODING, 'contentEncoding'],
  [F_CORRELATION_ID, 'correlationId'],
  [F_REPLY_TO, 'replyTo'],
  [F_EXPIRATION, 'expiration'],
  [F_MESSAGE_ID, 'messageId'],
  [F_TYPE, 'type'],
  [F_USER_ID, 'userId'],
  [F_APP_ID, 'appId'],
];

/** Encodes flags + property list from protocol-neutral properties and headers. Strings longer
 * than a shortstr cannot be expressed; cutting them would corrupt them, so they are dropped. */
export function encodeProperties(p: MessageProperties, headers: HeaderTable): Buffer {
  const strings = new Map<number, Buffer>();
  let flags = 0;
  let size = 2;
  for (const [flag, key] of STRING_PROPERTIES) {
    const v = p[key];
    if (typeof v !== 'string') continue;
    const b = Buffer.from(v, 'utf8');
    if (b.length > 255) continue;
    strings.set(flag, b);
    flags |= flag;
    size += 1 + b.length;
  }
  let table: Buffer | undefined;
  if (Object.keys(headers).length > 0) {
    table = encodeTable(headers);
    flags |= F_HEADERS;
    size += table.length;
  }
  if (p.persistent !== undefined) {
    flags |= F_DELIVERY_MODE;
    size += 1;
  }
  if (p.priority !== undefined) {
    flags |= F_PRIORITY;
    size += 1;
  }
  if (p.timestamp !== undefined) {
    flags |= F_TIMESTAMP;
    size += 8;
  }
  const out = Buffer.allocUnsafe(size);
  out.writeUInt16BE(flags, 0);
  let off = 2;
  for (let bit = 0x8000; bit > F_CONTINUATION; bit >>>= 1) {
    if (!(flags & bit)) continue;
    const str = strings.get(bit);
    if (str) {
      out[off++] = str.length;
      off += str.copy(out, off);
    } else if (bit === F_HEADERS && table) {
      off += table.copy(out, off);
    } else if (bit === F_DELIVERY_MODE) {
      out[off++] = p.persistent ? 2 : 1;
    } else if (bit === F_PRIORITY) {
      out[off++] = (p.priority ?? 0) & 0xff;
    } else if (bit === F_TIMESTAMP) {
      const ts = Math.max(0, Math.trunc(p.timestamp ?? 0));
      out.writeUInt32BE(Math.floor(ts / 0x100000000), off);
      out.writeUInt32BE(ts % 0x100000000, off + 4);
      off += 8;
    }
  }
  return out;
}

/** The method frame that opens a content (basic.deliver, get-ok, return), written into the
 * same allocation as the content header. */
export interface MethodFramePrefix {
  readonly size: number;
  writeTo(buf: Buffer, off: number): void;
}

/** A method frame already encoded (by amqplib's codec). */
export function encodedMethod(frame: Buffer): MethodFramePrefix {
  return { size: frame.length, writeTo: (buf, off) => frame.copy(buf, off) };
}

const METHOD_BASIC_DELIVER = (CLASS_BASIC << 16) | 60;

function shortstrBytes(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  // Names from other protocols are limited in characters, not bytes: cut at 255 bytes rather
  // than fail the delivery.
  return b.length > 255 ? b.subarray(0, 255) : b;
}

/** basic.deliver (§1.8.3.9), encoded here because it is written once per message. */
export class DeliverFrame implements MethodFramePrefix {
  readonly size: number;
  readonly #channel: number;
  readonly #tag: Buffer;
  readonly #deliveryTag: number;
  readonly #redelivered: boolean;
  readonly #exchange: Buffer;
  readonly #routingKey: Buffer;

  constructor(
    channel: number,
    consumerTag: Buffer,
    deliveryTag: number,
    redelivered: boolean,
    exchange: string,
    routingKey: string,
  ) {
    this.#channel = channel;
    this.#tag = consumerTag;
    this.#deliveryTag = deliveryTag;
    this.#redelivered = redelivered;
    this.#exchange = shortstrBytes(exchange);
    this.#routingKey = shortstrBytes(routingKey);
    this.size =
      7 +
      4 +
      1 +
      consumerTag.length +
      8 +
      1 +
      1 +
      this.#exchange.length +
      1 +
      this.#routingKey.length +
      1;
  }

  /** The consumer tag as a shortstr, computed once per consumer. */
  static tag(consumerTag: string): Buffer {
    return shortstrBytes(consumerTag);
  }

  writeTo(buf: Buffer, start: number): void {
    let off = start;
    buf[off] = FRAME_METHOD;
    buf.writeUInt16BE(this.#channel, off + 1);
    buf.writeUInt32BE(this.size - 8, off + 3);
    buf.writeUInt32BE(METHOD_BASIC_DELIVER, off + 7);
    off += 11;
    buf[off++] = this.#tag.length;
    off += this.#tag.copy(buf, off);
    buf.writeUInt32BE(Math.floor(this.#deliveryTag / 0x100000000), off);
    buf.writeUInt32BE(this.#deliveryTag % 0x100000000, off + 4);
    off += 8;
    buf[off++] = this.#redelivered ? 1 : 0;
    buf[off++] = this.#exchange.length;
    off += this.#exchange.copy(buf, off);
    buf[off++] = this.#routingKey.length;
    off += this.#routingKey.copy(buf, off);
    buf[off] = FRAME_END;
  }
}

/**
 * A content-carrying method, its content header frame and the body frames, each body frame at
 * most frame-max bytes (§4.2.6.2). Small messages go out as one buffer.
 */
export function encodeContent(
  channel: number,
  method: MethodFramePrefix,
  rawProperties: Buffer,
  body: Buffer,
  frameMax: number,
  out: Buffer[],
): void {
  const max = frameMax - FRAME_OVERHEAD;
  const headerSize = 7 + 12 + rawProperties.length + 1;
  const inline = body.length > 0 && body.length <= max && body.length <= SMALL_BODY;
  const first = Buffer.allocUnsafe(method.size + headerSize + (inline ? 8 + body.length : 0));
  method.writeTo(first, 0);
  let off = method.size;
  first[off] = FRAME_HEADER;
  first.writeUInt16BE(channel, off + 1);
  first.writeUInt32BE(12 + rawProperties.length, off + 3);
  first.writeUInt16BE(CLASS_BASIC, off + 7);
  first.writeUInt16BE(0, off + 9);
  first.writeUInt32BE(Math.floor(body.length / 0x100000000), off + 11);
  first.writeUInt32BE(body.length % 0x100000000, off + 15);
  rawProperties.copy(first, off + 19);
  off += headerSize;
  first[off - 1] = FRAME_END;
  if (inline) {
    first[off] = FRAME_BODY;
    first.writeUInt16BE(channel, off + 1);
    first.writeUInt32BE(body.length, off + 3);
    off += 7 + body.copy(first, off + 7);
    first[off] = FRAME_END;
  }
  out.push(first);
  // No body frames for an empty body (§4.2.6.2: body-size 0 completes the content).
  if (inline || body.length === 0) return;
  for (let pos = 0; pos < body.length; pos += max) {
    const chunk = body.subarray(pos, Math.min(pos + max, body.length));
    const fh = Buffer.allocUnsafe(7);
    fh[0] = FRAME_BODY;
    fh.writeUInt16BE(channel, 1);
    fh.writeUInt32BE(chunk.length, 3);
    out.push(fh, chunk, FRAME_END_BUF);
  }
}

/** Bodies up to this size are copied next to their header instead of written separately. */
const SMALL_BODY = 16 * 1024;
const FRAME_END_BUF = Buffer.from([FRAME_END]);
