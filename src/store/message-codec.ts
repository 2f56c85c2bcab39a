import { deserialize, serialize } from 'node:v8';
import type { Message } from '../spi.js';

/** Everything but the body, in V8's structured-clone format: keeps Buffers, Dates, bigints and
 * typed AMQP field values exactly. */
export function encodeMessageMeta(m: Message): Buffer {
  const { body: _body, ...meta } = m;
  return serialize(meta);
}

export function decodeMessage(meta: Buffer, body: Buffer): Message {
  return { ...(deserialize(meta) as Omit<Message, 'body'>), body };
}

export function encodeValue(v: unknown): Buffer {
  return serialize(v);
}

export function decodeValue(b: Buffer): unknown {
  return deserialize(b);
}
