/**
 * Content header frames (AMQP 0-9-1 §4.2.6.1: class-id, weight, body-size, property flags and
 * the basic properties) and content body frames, split at frame-max (§4.2.6.2).
 * Properties are kept as their raw bytes next to the decoded form so an AMQP 0-9-1 consumer of
 * an unchanged message receives exactly what the publisher sent.
 */
import type { HeaderTable, MessageProperties } from '../../../src/spi.js';
import { decodeTable, encodeTable, FieldTableError } from './field-table.js';
import { FRAME_BODY, FRAME_END, FRAME_HEADER, FRAME_OVERHEAD } from './frame-parser.js';

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
  const bodySize = payload.readBigUInt64BE(4);
  if (bodySize > BigInt(Number.MAX_SAFE_INTEGER)) throw new FieldTableError('body size too large');
  return {
    classId: payload.readUInt16BE(0),
    bodySize: Number(bodySize),
    rawProperties: payload.subarray(12),
  };
}

/** Decodes the basic property list. Throws FieldTableError on malformed input. */
export function decodeProperties(raw: Buffer): DecodedProperties {
  const flags = raw.readUInt16BE(0);
  if (flags === 0) return { properties: {}, headers: EMPTY_HEADERS };
  if (flags & (F_CONTINUATION | 0x0002)) throw new FieldTableError('unknown property flags');
  let off = 2;
  const need = (n: number): void => {
    if (off + n > raw.length) throw new FieldTableError('content header truncated');
  };
  const shortstr = (): string => {
    need(1);
    const len = raw[off] ?? 0;
    off += 1;
    need(len);
    const s = raw.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  const octet = (): number => {
    need(1);
    return raw[off++] ?? 0;
  };
  const p: {
    -readonly [K in keyof MessageProperties]: MessageProperties[K];
  } = {};
  let headers = EMPTY_HEADERS;
  if (flags & F_CONTENT_TYPE) p.contentType = shortstr();
  if (flags & F_CONTENT_ENCODING) p.contentEncoding = shortstr();
  if (flags & F_HEADERS) {
    need(4);
    const len = raw.readUInt32BE(off);
    off += 4;
    need(len);
    headers = decodeTable(raw.subarray(off, off + len));
    off += len;
  }
  if (flags & F_DELIVERY_MODE) p.persistent = octet() === 2;
  if (flags & F_PRIORITY) p.priority = octet();
  if (flags & F_CORRELATION_ID) p.correlationId = shortstr();
  if (flags & F_REPLY_TO) p.replyTo = shortstr();
  if (flags & F_EXPIRATION) p.expiration = shortstr();
  if (flags & F_MESSAGE_ID) p.messageId = shortstr();
  if (flags & F_TIMESTAMP) {
    need(8);
    p.timestamp = Number(raw.readBigUInt64BE(off));
    off += 8;
  }
  if (flags & F_TYPE) p.type = shortstr();
  if (flags & F_USER_ID) p.userId = shortstr();
  if (flags & F_APP_ID) p.appId = shortstr();
  // cluster-id is deprecated in 0-9-1: read past it; only the raw bytes keep it.
  if (flags & F_CLUSTER_ID) shortstr();
  if (off !== raw.length) throw new FieldTableError('content header has trailing bytes');
  return { properties: p, headers };
}

/** Encodes flags + property list from protocol-neutral properties and headers. */
export function encodeProperties(p: MessageProperties, headers: HeaderTable): Buffer {
  const strs: [number, Buffer][] = [];
  let flags = 0;
  let size = 2;
  const str = (flag: number, v: string | undefined): void => {
    if (v === undefined) return;
    let b = Buffer.from(v, 'utf8');
    // shortstr: longer values cannot be expressed; truncation would corrupt, so drop.
    if (b.length > 255) b = Buffer.alloc(0);
    flags |= flag;
    size += 1 + b.length;
    strs.push([flag, b]);
  };
  str(F_CONTENT_TYPE, p.contentType);
  str(F_CONTENT_ENCODING, p.contentEncoding);
  let table: Buffer | undefined;
  for (const _ in headers) {
    table = encodeTable(headers);
    flags |= F_HEADERS;
    size += table.length;
    break;
  }
  if (p.persistent !== undefined) {
    flags |= F_DELIVERY_MODE;
    size += 1;
  }
  if (p.priority !== undefined) {
    flags |= F_PRIORITY;
    size += 1;
  }
  str(F_CORRELATION_ID, p.correlationId);
  str(F_REPLY_TO, p.replyTo);
  str(F_EXPIRATION, p.expiration);
  str(F_MESSAGE_ID, p.messageId);
  if (p.timestamp !== undefined) {
    flags |= F_TIMESTAMP;
    size += 8;
  }
  str(F_TYPE, p.type);
  str(F_USER_ID, p.userId);
  str(F_APP_ID, p.appId);

  const out = Buffer.allocUnsafe(size);
  out.writeUInt16BE(flags, 0);
  let off = 2;
  let i = 0;
  const putStr = (flag: number): void => {
    const entry = strs[i];
    if (entry?.[0] !== flag) return;
    i++;
    out[off++] = entry[1].length;
    off += entry[1].copy(out, off);
  };
  putStr(F_CONTENT_TYPE);
  putStr(F_CONTENT_ENCODING);
  if (table) off += table.copy(out, off);
  if (p.persistent !== undefined) out[off++] = p.persistent ? 2 : 1;
  if (p.priority !== undefined) out[off++] = p.priority & 0xff;
  putStr(F_CORRELATION_ID);
  putStr(F_REPLY_TO);
  putStr(F_EXPIRATION);
  putStr(F_MESSAGE_ID);
  if (p.timestamp !== undefined) {
    out.writeBigUInt64BE(BigInt(Math.max(0, Math.trunc(p.timestamp))), off);
    off += 8;
  }
  putStr(F_TYPE);
  putStr(F_USER_ID);
  putStr(F_APP_ID);
  return out;
}

/**
 * The content header frame and the body frames for one message, each body frame at most
 * frame-max bytes in total (§4.2.6.2). Returned as one buffer list for a single cork/writev.
 */
export function encodeContent(
  channel: number,
  rawProperties: Buffer,
  body: Buffer,
  frameMax: number,
  out: Buffer[],
): void {
  const header = Buffer.allocUnsafe(7 + 12 + rawProperties.length + 1);
  header[0] = FRAME_HEADER;
  header.writeUInt16BE(channel, 1);
  header.writeUInt32BE(12 + rawProperties.length, 3);
  header.writeUInt16BE(CLASS_BASIC, 7);
  header.writeUInt16BE(0, 9);
  header.writeBigUInt64BE(BigInt(body.length), 11);
  rawProperties.copy(header, 19);
  header[header.length - 1] = FRAME_END;
  const max = frameMax - FRAME_OVERHEAD;
  if (body.length === 0) {
    // No body frames for an empty body (§4.2.6.2: body-size 0 completes the content).
    out.push(header);
    return;
  }
  if (body.length <= max && body.length <= SMALL_BODY) {
    // One allocation for header and body frame: small messages dominate.
    const all = Buffer.allocUnsafe(header.length + 8 + body.length);
    header.copy(all, 0);
    let off = header.length;
    all[off] = FRAME_BODY;
    all.writeUInt16BE(channel, off + 1);
    all.writeUInt32BE(body.length, off + 3);
    off += 7 + body.copy(all, off + 7);
    all[off] = FRAME_END;
    out.push(all);
    return;
  }
  out.push(header);
  for (let off = 0; off < body.length; off += max) {
    const chunk = body.subarray(off, Math.min(off + max, body.length));
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
