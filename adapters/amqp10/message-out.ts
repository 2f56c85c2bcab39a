import type { HeaderTable, HeaderValue, Message } from '../../src/spi.js';
import { isAmqp10Native, type TypedId } from './amqp-message.js';
import { AmqpWriter } from './amqp-writer.js';
import { replyToForAmqp10 } from './address.js';
import { AMQP10_TYPE, BASIC_TYPE_ANNOTATION, REPLY_TOPIC_HEADER } from './message-in.js';

/** Annotations RabbitMQ 4 puts on every message it delivers over AMQP 1.0. */
export const EXCHANGE_ANNOTATION = 'x-exchange';
export const ROUTING_KEY_ANNOTATION = 'x-routing-key';

/** Section descriptors (AMQP 1.0 3.2). */
const HEADER = 0x70;
const MESSAGE_ANNOTATIONS = 0x72;
const PROPERTIES = 0x73;
const APPLICATION_PROPERTIES = 0x74;
const DATA = 0x75;
const AMQP_VALUE = 0x77;
const URN_UUID =
  /^urn:uuid:([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i;

/** One writer for every delivery: encoding is synchronous, and its buffer is reused. */
const writer = new AmqpWriter();

/**
 * The core's message as the bytes of an AMQP 1.0 message for a consumer (the reverse of
 * `messageFromWire`), written directly instead of through rhea's message objects.
 * `deliveryCount` is the header delivery-count: prior unsuccessful deliveries (AMQP 1.0 3.2.1).
 */
export function encodeMessage(message: Message, deliveryCount: number): Buffer {
  const w = writer;
  try {
    writeHeader(w, message, deliveryCount);
    const replyTo = writeProperties(w, message);
    writeHeaders(w, message, replyTo !== undefined);
    writeBody(w, message);
  } catch (err) {
    w.take();
    throw err;
  }
  return w.take();
}

/** header (3.2.1): durable, priority, ttl, first-acquirer, delivery-count; absent values
 * are null (the receiver applies the defaults). */
function writeHeader(w: AmqpWriter, message: Message, deliveryCount: number): void {
  const p = message.properties;
  const ttl = p.expiration === undefined ? NaN : Number(p.expiration);
  const hasTtl = Number.isInteger(ttl) && ttl >= 0 && ttl <= 0xffff_ffff;
  const fields =
    deliveryCount > 0
      ? 5
      : hasTtl
        ? 3
        : p.priority !== undefined
          ? 2
          : p.persistent !== undefined
            ? 1
            : 0;
  if (fields === 0) return;
  w.descriptor(HEADER);
  const list = w.begin(fields);
  if (p.persistent === undefined) w.null();
  else w.boolean(p.persistent);
  if (fields > 1) {
    if (p.priority === undefined) w.null();
    else w.ubyte(p.priority);
  }
  if (fields > 2) {
    if (hasTtl) w.uint(ttl);
    else w.null();
  }
  if (fields > 3) {
    w.null();
    w.uint(deliveryCount);
  }
  w.end(list);
}

/** properties (3.2.4), in field order; returns the reply-to it wrote. */
function writeProperties(w: AmqpWriter, message: Message): string | undefined {
  const p = message.properties;
  const native = isAmqp10Native(message.native) ? message.native : undefined;
  const replyTopic = message.headers[REPLY_TOPIC_HEADER];
  const replyTo = replyToForAmqp10(
    p.replyTo,
    typeof replyTopic === 'string' ? replyTopic : undefined,
  );
  const creation =
    native?.creationTime ?? (p.timestamp === undefined ? undefined : p.timestamp * 1000);
  const fields: unknown[] = [
    native?.messageId ?? p.messageId,
    p.userId,
    native?.to,
    native?.subject,
    replyTo,
    native?.correlationId ?? p.correlationId,
    p.contentType,
    p.contentEncoding,
    native?.absoluteExpiryTime,
    creation,
    p.appId,
    native?.groupSequence,
    native?.replyToGroupId,
  ];
  let count = fields.length;
  while (count > 0 && fields[count - 1] === undefined) count--;
  if (count === 0) return replyTo;
  w.descriptor(PROPERTIES);
  const list = w.begin(count);
  for (let i = 0; i < count; i++) {
    const v = fields[i];
    if (v === undefined) w.null();
    else if (i === 0 || i === 5) writeId(w, v as TypedId | string, native === undefined);
    else if (i === 1) w.binary(Buffer.from(v as string, 'utf8'));
    else if (i === 6 || i === 7) w.symbol(v as string);
    else if (i === 8 || i === 9) w.timestamp(v as number);
    else if (i === 11) w.uint(v as number);
    else w.string(v as string);
  }
  w.end(list);
  return replyTo;
}

/** message-id / correlation-id keep their AMQP type (3.2.4: ulong, uuid, binary, string);
 * from other protocols a `urn:uuid:` string is a uuid again, as RabbitMQ 4 converts it. */
function writeId(w: AmqpWriter, id: TypedId | string, foreign: boolean): void {
  if (typeof id !== 'string') {
    if (id[0] === 'ulong') w.ulong(id[1]);
    else if (id[0] === 'uuid') w.uuid(Buffer.from(id[1], 'base64'));
    else w.binary(Buffer.from(id[1], 'base64'));
    return;
  }
  const m = foreign ? URN_UUID.exec(id) : null;
  if (m) w.uuid(Buffer.from(m.slice(1).join(''), 'hex'));
  else w.string(id);
}

/** `x-` headers, the 0-9-1 type and RabbitMQ's x-exchange / x-routing-key -> message
 * annotations (any value); other headers -> application-properties, simple values only
 * (AMQP 1.0 3.2.5 forbids lists and maps there; anchors 2.9). */
function writeHeaders(w: AmqpWriter, message: Message, replyToSet: boolean): void {
  const headers: HeaderTable = message.headers;
  const p = message.properties;
  const native = isAmqp10Native(message.native) ? message.native : undefined;
  const basicType =
    p.type !== undefined && !(p.type === AMQP10_TYPE && native?.bodyKind === 'encoded')
      ? p.type
      : undefined;
  const annotations: string[] = [];
  const properties: string[] = [];
  for (const key in headers) {
    if (key === REPLY_TOPIC_HEADER && replyToSet) continue;
    if (!key.startsWith('x-')) {
      if (isSimple(headers[key] ?? null)) properties.push(key);
    } else if (
      key !== EXCHANGE_ANNOTATION &&
      key !== ROUTING_KEY_ANNOTATION &&
      !(key === BASIC_TYPE_ANNOTATION && basicType !== undefined)
    ) {
      annotations.push(key);
    }
  }
  w.descriptor(MESSAGE_ANNOTATIONS);
  const map = w.begin((annotations.length + (basicType === undefined ? 2 : 3)) * 2, true);
  for (const key of annotations) {
    w.symbol(key);
    w.value(wireValue(headers[key] ?? null));
  }
  if (basicType !== undefined) {
    w.symbol(BASIC_TYPE_ANNOTATION);
    w.string(basicType);
  }
  w.symbol(EXCHANGE_ANNOTATION);
  w.string(message.exchange);
  w.symbol(ROUTING_KEY_ANNOTATION);
  w.string(message.routingKey);
  w.end(map);
  if (properties.length === 0) return;
  w.descriptor(APPLICATION_PROPERTIES);
  const props = w.begin(properties.length * 2, true);
  for (const key of properties) {
    w.string(key);
    w.value(wireValue(headers[key] ?? null));
  }
  w.end(props);
}

function isSimple(v: HeaderValue): boolean {
  return (
    v === null ||
    typeof v !== 'object' ||
    Buffer.isBuffer(v) ||
    v instanceof Date ||
    ('!' in v && 'value' in v && isSimple(v.value as HeaderValue))
  );
}

/** Core header values in the shapes the writer encodes: typed 0-9-1 values unwrapped,
 * bigints as numbers when exact (else decimal strings). */
function wireValue(v: HeaderValue): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Date) return v;
  if (Array.isArray(v)) return (v as readonly HeaderValue[]).map(wireValue);
  if ('!' in v && 'value' in v) return wireValue(v.value as HeaderValue);
  const out: Record<string, unknown> = {};
  for (const [k, item] of Object.entries(v as HeaderTable)) out[k] = wireValue(item);
  return out;
}

/** One `data` section, or the original amqp-value / encoded body sections (anchors 2.9). */
function writeBody(w: AmqpWriter, message: Message): void {
  const native = isAmqp10Native(message.native) ? message.native : undefined;
  switch (native?.bodyKind) {
    case 'value-string':
      w.descriptor(AMQP_VALUE);
      w.string(message.body.toString('utf8'));
      break;
    case 'value-binary':
      w.descriptor(AMQP_VALUE);
      w.binary(message.body);
      break;
    case 'encoded':
      w.raw(message.body);
      break;
    default:
      w.descriptor(DATA);
      w.binary(message.body);
  }
}
