/**
 * Message <-> AMQP 0-9-1 content. Published messages keep their raw property bytes (in
 * `Message.native`) so an AMQP 0-9-1 consumer of an unchanged message gets the publisher's
 * exact bytes; messages from other protocols, or changed by the core (dead-lettering, direct
 * reply-to), are encoded from their protocol-neutral properties and headers.
 */
import type { HeaderTable, HeaderValue, Message, MessageProperties } from '../../src/spi.js';
import { encodeProperties } from './codec/content.js';

/** What this adapter keeps in `Message.native`. */
export class Amqp091Native {
  readonly rawProperties: Buffer;
  readonly headers: HeaderTable;
  readonly properties: MessageProperties;
  constructor(rawProperties: Buffer, headers: HeaderTable, properties: MessageProperties) {
    this.rawProperties = rawProperties;
    this.headers = headers;
    this.properties = properties;
  }
}

/** Encoded properties per message, shared by every AMQP 0-9-1 consumer of a fan-out. */
const encoded = new WeakMap<Message, Buffer>();

export function rawPropertiesOf(message: Message): Buffer {
  const native = message.native;
  if (
    native instanceof Amqp091Native &&
    native.headers === message.headers &&
    native.properties === message.properties
  ) {
    return native.rawProperties;
  }
  let raw = encoded.get(message);
  if (raw === undefined) {
    raw = encodeLenient(message.properties, message.headers);
    encoded.set(message, raw);
  }
  return raw;
}

/** Headers from other protocols may hold values a field table cannot carry: drop those
 * entries rather than the message (documented in docs/amqp091.md). */
function encodeLenient(properties: MessageProperties, headers: HeaderTable): Buffer {
  try {
    return encodeProperties(properties, headers);
  } catch {
    const kept: Record<string, HeaderValue> = {};
    for (const [key, value] of Object.entries(headers)) {
      try {
        encodeProperties({}, { [key]: value });
        kept[key] = value;
      } catch {
        // unencodable: dropped
      }
    }
    return encodeProperties(properties, kept);
  }
}
