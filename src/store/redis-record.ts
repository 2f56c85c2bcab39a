import type { Message } from '../spi.js';
import { decodeMessage, encodeMessageMeta } from './message-codec.js';

/**
 * One message as one Redis value, so an append is one HSET and a read one HMGET:
 *
 *   u8 version (1) | f64 expiresAt | u32 priority | u32 metaLength | meta (V8) | body
 *
 * The body is stored as is (no base64), the rest through message-codec.ts like the SQLite store.
 * The delivery count lives in its own hash so recording a delivery never rewrites the body.
 */
const VERSION = 1;
const HEADER = 1 + 8 + 4 + 4;

export interface MessageRecord {
  readonly message: Message;
  readonly expiresAt: number;
  readonly priority: number;
}

export function encodeRecord(message: Message, expiresAt = 0, priority = 0): Buffer {
  const meta = encodeMessageMeta(message);
  const head = Buffer.allocUnsafe(HEADER);
  head.writeUInt8(VERSION, 0);
  head.writeDoubleBE(expiresAt, 1);
  head.writeUInt32BE(priority, 9);
  head.writeUInt32BE(meta.length, 13);
  return Buffer.concat([head, meta, message.body]);
}

export function decodeRecord(b: Buffer): MessageRecord {
  if (b.length < HEADER || b.readUInt8(0) !== VERSION) {
    throw new Error(`unknown message record format (version ${b.length ? b.readUInt8(0) : '-'})`);
  }
  const metaEnd = HEADER + b.readUInt32BE(13);
  return {
    expiresAt: b.readDoubleBE(1),
    priority: b.readUInt32BE(9),
    // Copy the body out so it does not pin the whole reply buffer.
    message: decodeMessage(b.subarray(HEADER, metaEnd), Buffer.from(b.subarray(metaEnd))),
  };
}
