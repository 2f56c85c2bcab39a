import type { HeaderValue, Message, MessageOrigin, MessageProperties } from '../../src/spi.js';
import type { Amqp10Native, TypedId, WireMessage } from './amqp-message.js';
import { replyToFromAmqp10 } from './address.js';

/** Core header naming the AMQP 0-9-1 `type` property in AMQP 1.0 (anchors 2.9). */
export const BASIC_TYPE_ANNOTATION = 'x-basic-type';
/** Core header carrying an MQTT 5 Response Topic in AMQP form (anchors 2.7, 2.8). */
export const REPLY_TOPIC_HEADER = 'x-reply-to-topic';
/** 0-9-1 `type` of a message whose body is AMQP-encoded sections (anchors 2.9). */
export const AMQP10_TYPE = 'amqp-1.0';

/**
 * An AMQP 1.0 message as the core's message (anchors 2.8, 2.9; docs/amqp10.md has the table):
 * header -> persistent/priority/expiration, properties -> 0-9-1 properties,
 * application-properties -> headers, `x-` message-annotations -> `x-` headers.
 */
export function messageFromWire(
  wire: WireMessage,
  exchange: string,
  routingKey: string,
  origin: MessageOrigin,
): Message {
  const headers: Record<string, HeaderValue> = {};
  copyInto(headers, wire.application_properties, false);
  copyInto(headers, wire.message_annotations, true);
  const { [BASIC_TYPE_ANNOTATION]: basicType, ...rest } = headers;
  const appHeaders: Record<string, HeaderValue> = rest;
  const kind = wire.bodyKind;
  const messageId = idFromWire(wire.message_id);
  const correlationId = idFromWire(wire.correlation_id);
  let replyTo: string | undefined;
  if (wire.reply_to !== undefined) {
    const mapped = replyToFromAmqp10(wire.reply_to);
    replyTo = mapped.replyTo;
    if (mapped.replyTopic !== undefined) appHeaders[REPLY_TOPIC_HEADER] = mapped.replyTopic;
  }
  const creation = millis(wire.creation_time);
  const properties: MessageProperties = {
    contentType: wire.content_type,
    contentEncoding: wire.content_encoding,
    persistent: wire.durable,
    priority: wire.priority,
    correlationId: correlationId?.text,
    replyTo,
    expiration: wire.ttl === undefined ? undefined : String(wire.ttl),
    messageId: messageId?.text,
    timestamp: creation === undefined ? undefined : Math.floor(creation / 1000),
    type: typeof basicType === 'string' ? basicType : kind === 'encoded' ? AMQP10_TYPE : undefined,
    userId: wire.user_id?.toString('utf8'),
    appId: wire.group_id,
  };
  const native: Amqp10Native = {
    amqp10: 1,
    bodyKind: kind,
    messageId: messageId?.typed,
    correlationId: correlationId?.typed,
    to: wire.to,
    subject: wire.subject,
    absoluteExpiryTime: millis(wire.absolute_expiry_time),
    creationTime: creation,
    groupSequence: wire.group_sequence,
    replyToGroupId: wire.reply_to_group_id,
  };
  return {
    exchange,
    routingKey,
    headers: appHeaders,
    properties: definedOnly(properties),
    body: wire.body,
    origin,
    native,
  };
}

function copyInto(
  out: Record<string, HeaderValue>,
  map: Record<string, unknown> | undefined,
  annotations: boolean,
): void {
  if (!map) return;
  for (const [key, value] of Object.entries(map)) {
    // Only `x-` annotations are the application's; the rest belong to the AMQP 1.0 layer.
    if (annotations && !key.startsWith('x-')) continue;
    const v = headerValue(value);
    if (v !== undefined) out[key] = v;
  }
}

/** rhea's decoded values as core header values; described or exotic values are dropped. */
function headerValue(v: unknown): HeaderValue | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    return v;
  if (typeof v === 'bigint' || Buffer.isBuffer(v) || v instanceof Date) return v;
  if (Array.isArray(v)) {
    const items = v.map(headerValue);
    return items.every((i) => i !== undefined) ? items : undefined;
  }
  if (typeof v === 'object' && v.constructor === Object) {
    const table: Record<string, HeaderValue> = {};
    copyInto(table, v as Record<string, unknown>, false);
    return table;
  }
  return undefined;
}

/** A message-id / correlation-id: strings pass; ulong, uuid and binary become text for the
 * other protocols (decimal, `urn:uuid:…` as RabbitMQ 4 writes it, hex) and keep their type
 * for AMQP 1.0 consumers (AMQP 1.0 3.2.4). */
function idFromWire(
  id: string | TypedId | undefined,
): { readonly text: string; readonly typed?: TypedId } | undefined {
  if (id === undefined || typeof id === 'string')
    return id === undefined ? undefined : { text: id };
  if (id[0] === 'ulong') return { text: String(id[1]), typed: id };
  const hex = Buffer.from(id[1], 'base64').toString('hex');
  if (id[0] === 'binary') return { text: hex, typed: id };
  const text = `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { text, typed: id };
}

function millis(t: number | Date | undefined): number | undefined {
  if (t === undefined) return undefined;
  return t instanceof Date ? t.getTime() : t;
}

/** A copy without the undefined entries (no `delete`: it would slow every later read). */
function definedOnly<T extends object>(o: T): T {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out as T;
}
