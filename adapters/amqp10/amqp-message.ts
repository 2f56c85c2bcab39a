import rhea from 'rhea';
import { codec } from './rhea-internals.js';

/** A message as rhea decodes and encodes it: header and properties fields flattened onto one
 * object, the body an amqp-value, a data Section or a sequence Section. */
export interface WireMessage {
  durable?: boolean | undefined;
  priority?: number | undefined;
  ttl?: number | undefined;
  first_acquirer?: boolean | undefined;
  delivery_count?: number | undefined;
  message_id?: unknown;
  user_id?: Buffer | undefined;
  to?: string | undefined;
  subject?: string | undefined;
  reply_to?: string | undefined;
  correlation_id?: unknown;
  content_type?: string | undefined;
  content_encoding?: string | undefined;
  absolute_expiry_time?: number | Date | undefined;
  creation_time?: number | Date | undefined;
  group_id?: string | undefined;
  group_sequence?: number | undefined;
  reply_to_group_id?: string | undefined;
  message_annotations?: Record<string, unknown> | undefined;
  application_properties?: Record<string, unknown> | undefined;
  body?: unknown;
}

/** How the core `body` relates to the AMQP 1.0 body: `data` sections (body = their bytes), an
 * amqp-value string (body = UTF-8) or binary (body = the bytes), or anything else (body = the
 * AMQP-encoded body sections, as RabbitMQ hands them to 0-9-1 consumers with type `amqp-1.0`). */
export type BodyKind = 'data' | 'value-string' | 'value-binary' | 'encoded';

/** `Message.native` of messages published over AMQP 1.0: what the core's 0-9-1-shaped message
 * cannot hold, so AMQP 1.0 consumers get it back. Plain JSON-safe data (stores may persist it). */
export interface Amqp10Native {
  readonly amqp10: 1;
  readonly bodyKind: BodyKind;
  /** Non-string message-id / correlation-id (ulong, uuid, binary), as [type, value]. */
  readonly messageId?: TypedId | undefined;
  readonly correlationId?: TypedId | undefined;
  readonly to?: string | undefined;
  readonly subject?: string | undefined;
  readonly absoluteExpiryTime?: number | undefined;
  /** In milliseconds: the core's `timestamp` keeps AMQP 0-9-1 seconds. */
  readonly creationTime?: number | undefined;
  readonly groupSequence?: number | undefined;
  readonly replyToGroupId?: string | undefined;
}
export type TypedId = readonly ['ulong', number] | readonly ['binary', string];

export function isAmqp10Native(native: unknown): native is Amqp10Native {
  return (
    typeof native === 'object' && native !== null && (native as { amqp10?: unknown }).amqp10 === 1
  );
}

/** A data Section (or several) as rhea decodes it. */
interface RheaSection {
  readonly typecode: number;
  readonly content: unknown;
  readonly multiple?: boolean;
}
const DATA = 0x75;
const SEQUENCE = 0x76;
const VALUE = 0x77;

function isSection(body: unknown): body is RheaSection {
  return (
    typeof body === 'object' && body !== null && typeof (body as RheaSection).typecode === 'number'
  );
}

export function dataSection(body: Buffer): unknown {
  return rhea.message.data_section(body);
}

/** The core body and its kind for an incoming AMQP 1.0 body. */
export function bodyFromWire(body: unknown): { readonly body: Buffer; readonly kind: BodyKind } {
  if (isSection(body) && body.typecode === DATA) {
    if (!body.multiple) return { body: asBuffer(body.content), kind: 'data' };
    return { body: Buffer.concat((body.content as unknown[]).map(asBuffer)), kind: 'data' };
  }
  if (typeof body === 'string') return { body: Buffer.from(body, 'utf8'), kind: 'value-string' };
  if (Buffer.isBuffer(body)) return { body, kind: 'value-binary' };
  return { body: encodeBodySections(body), kind: 'encoded' };
}

function asBuffer(v: unknown): Buffer {
  return Buffer.isBuffer(v) ? v : Buffer.alloc(0);
}

/** AMQP-encode amqp-value / amqp-sequence body sections. */
function encodeBodySections(body: unknown): Buffer {
  const writer = new codec.Writer();
  if (isSection(body) && body.typecode === SEQUENCE) {
    const lists = body.multiple ? (body.content as unknown[]) : [body.content];
    for (const list of lists)
      writer.write(codec.described(codec.wrap_ulong(SEQUENCE), codec.wrap(list)));
  } else {
    writer.write(codec.described(codec.wrap_ulong(VALUE), codec.wrap(body)));
  }
  return writer.toBuffer();
}

/** Back from AMQP-encoded body sections to the body rhea encodes (`encoded` kind). */
export function bodyFromEncoded(bytes: Buffer): unknown {
  const reader = new codec.Reader(bytes);
  const values: unknown[] = [];
  let sequence = false;
  while (reader.remaining() > 0) {
    const section = reader.read();
    sequence = Number(section.descriptor?.value) === SEQUENCE;
    values.push(codec.unwrap(section));
  }
  if (sequence)
    return values.length === 1
      ? rhea.message.sequence_section(values[0])
      : rhea.message.sequence_sections(values);
  return values[0];
}
