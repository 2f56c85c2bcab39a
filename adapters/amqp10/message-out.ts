import type { HeaderTable, HeaderValue, Message } from '../../src/spi.js';
import {
  bodyFromEncoded,
  dataSection,
  isAmqp10Native,
  type TypedId,
  type WireMessage,
} from './amqp-message.js';
import { replyToForAmqp10 } from './address.js';
import { AMQP10_TYPE, BASIC_TYPE_ANNOTATION, REPLY_TOPIC_HEADER } from './message-in.js';

/** Annotations RabbitMQ 4 puts on every message it delivers over AMQP 1.0. */
export const EXCHANGE_ANNOTATION = 'x-exchange';
export const ROUTING_KEY_ANNOTATION = 'x-routing-key';

/**
 * The core's message as an AMQP 1.0 message for a consumer (the reverse of `messageFromWire`).
 * `deliveryCount` is the header delivery-count: prior unsuccessful deliveries (AMQP 1.0 3.2.1).
 */
export function messageToWire(message: Message, deliveryCount: number): WireMessage {
  const p = message.properties;
  const native = isAmqp10Native(message.native) ? message.native : undefined;
  const wire: WireMessage = {};
  if (p.persistent !== undefined) wire.durable = p.persistent;
  if (p.priority !== undefined) wire.priority = p.priority;
  const ttl = p.expiration === undefined ? NaN : Number(p.expiration);
  if (Number.isInteger(ttl) && ttl >= 0) wire.ttl = ttl;
  if (deliveryCount > 0) wire.delivery_count = deliveryCount;

  const messageId = typedId(native?.messageId) ?? p.messageId;
  if (messageId !== undefined) wire.message_id = messageId;
  const correlationId = typedId(native?.correlationId) ?? p.correlationId;
  if (correlationId !== undefined) wire.correlation_id = correlationId;
  if (p.userId !== undefined) wire.user_id = Buffer.from(p.userId, 'utf8');
  if (native?.to !== undefined) wire.to = native.to;
  if (native?.subject !== undefined) wire.subject = native.subject;
  const replyTopic = message.headers[REPLY_TOPIC_HEADER];
  const replyTo = replyToForAmqp10(
    p.replyTo,
    typeof replyTopic === 'string' ? replyTopic : undefined,
  );
  if (replyTo !== undefined) wire.reply_to = replyTo;
  if (p.contentType !== undefined) wire.content_type = p.contentType;
  if (p.contentEncoding !== undefined) wire.content_encoding = p.contentEncoding;
  if (native?.absoluteExpiryTime !== undefined)
    wire.absolute_expiry_time = native.absoluteExpiryTime;
  const creation =
    native?.creationTime ?? (p.timestamp === undefined ? undefined : p.timestamp * 1000);
  if (creation !== undefined) wire.creation_time = creation;
  if (p.appId !== undefined) wire.group_id = p.appId;
  if (native?.groupSequence !== undefined) wire.group_sequence = native.groupSequence;
  if (native?.replyToGroupId !== undefined) wire.reply_to_group_id = native.replyToGroupId;

  const { applicationProperties, annotations } = splitHeaders(
    message.headers,
    replyTo !== undefined,
  );
  if (p.type !== undefined && !(p.type === AMQP10_TYPE && native?.bodyKind === 'encoded')) {
    annotations[BASIC_TYPE_ANNOTATION] = p.type;
  }
  annotations[EXCHANGE_ANNOTATION] = message.exchange;
  annotations[ROUTING_KEY_ANNOTATION] = message.routingKey;
  wire.message_annotations = annotations;
  if (Object.keys(applicationProperties).length > 0)
    wire.application_properties = applicationProperties;

  switch (native?.bodyKind) {
    case 'value-string':
      wire.body = message.body.toString('utf8');
      break;
    case 'value-binary':
      wire.body = message.body;
      break;
    case 'encoded':
      wire.body = bodyFromEncoded(message.body);
      break;
    default:
      wire.body = dataSection(message.body);
  }
  return wire;
}

function typedId(id: TypedId | undefined): number | Buffer | undefined {
  if (!id) return undefined;
  return id[0] === 'ulong' ? id[1] : Buffer.from(id[1], 'base64');
}

/** Non-`x-` headers -> application-properties (simple values only: AMQP 1.0 3.2.5 forbids
 * lists and maps there), `x-` headers -> message-annotations (anchors 2.9). */
function splitHeaders(
  headers: HeaderTable,
  replyToSet: boolean,
): { applicationProperties: Record<string, unknown>; annotations: Record<string, unknown> } {
  const applicationProperties: Record<string, unknown> = {};
  const annotations: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key === REPLY_TOPIC_HEADER && replyToSet) continue;
    if (key.startsWith('x-')) {
      annotations[key] = wireValue(value);
    } else {
      const v = wireValue(value);
      if (v === null || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Date)
        applicationProperties[key] = v;
    }
  }
  return { applicationProperties, annotations };
}

/** Core header values in the shapes rhea encodes: typed 0-9-1 values unwrapped, bigints as
 * numbers when exact (else decimal strings). */
function wireValue(v: HeaderValue): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Date) return v;
  if (Array.isArray(v)) return (v as readonly HeaderValue[]).map(wireValue);
  if ('!' in v && 'value' in v) return wireValue(v.value as HeaderValue);
  const out: Record<string, unknown> = {};
  for (const [k, item] of Object.entries(v as HeaderTable)) out[k] = wireValue(item);
  return out;
}
