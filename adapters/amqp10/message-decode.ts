import type { BodyKind, TypedId, WireMessage } from './amqp-message.js';
import { codec, type TypedValue } from './rhea-internals.js';

/** Section descriptors (AMQP 1.0 3.2) by code and by symbolic name. */
const HEADER = 0x70;
const MESSAGE_ANNOTATIONS = 0x72;
const PROPERTIES = 0x73;
const APPLICATION_PROPERTIES = 0x74;
const DATA = 0x75;
const AMQP_SEQUENCE = 0x76;
const AMQP_VALUE = 0x77;
const FOOTER = 0x78;
const SYMBOLIC: Readonly<Record<string, number>> = {
  'amqp:header:list': HEADER,
  'amqp:delivery-annotations:map': 0x71,
  'amqp:message-annotations:map': MESSAGE_ANNOTATIONS,
  'amqp:properties:list': PROPERTIES,
  'amqp:application-properties:map': APPLICATION_PROPERTIES,
  'amqp:data:binary': DATA,
  'amqp:amqp-sequence:list': AMQP_SEQUENCE,
  'amqp:value:*': AMQP_VALUE,
  'amqp:footer:map': FOOTER,
};
/** Type codes (AMQP 1.0 1.6) a message-id / correlation-id may have. */
const UUID = 0x98;
const BINARY = new Set([0xa0, 0xb0]);
const ULONG = new Set([0x80, 0x53, 0x44]);

const HEADER_FIELDS = ['durable', 'priority', 'ttl', 'first_acquirer', 'delivery_count'] as const;
const PROPERTY_FIELDS = [
  'message_id',
  'user_id',
  'to',
  'subject',
  'reply_to',
  'correlation_id',
  'content_type',
  'content_encoding',
  'absolute_expiry_time',
  'creation_time',
  'group_id',
  'group_sequence',
  'reply_to_group_id',
] as const;

/**
 * The bytes of an AMQP 1.0 message (the payload of its transfers) as a WireMessage. Unlike
 * rhea's decoder it keeps the type of message-id and correlation-id (ulong, uuid, binary or
 * string, AMQP 1.0 3.2.4), and a body other than `data` sections or a single string/binary
 * amqp-value is kept as its encoded bytes (what 0-9-1 consumers get, anchors 2.9) rather than
 * decoded and encoded again.
 */
export function decodeMessage(bytes: Buffer): WireMessage {
  const reader = new codec.Reader(bytes);
  const wire: WireMessage = { body: EMPTY, bodyKind: 'data' };
  const data: Buffer[] = [];
  let bodyStart = -1;
  let bodyEnd = -1;
  let value: unknown;
  while (reader.remaining() > 0) {
    const start = reader.position;
    const section = reader.read();
    const d = section.descriptor?.value;
    const code = typeof d === 'string' ? SYMBOLIC[d] : Number(d);
    switch (code) {
      case HEADER:
        copyFields(wire, HEADER_FIELDS, section);
        break;
      case PROPERTIES:
        copyFields(wire, PROPERTY_FIELDS, section);
        wire.message_id = typedId(field(section, 0));
        wire.correlation_id = typedId(field(section, 5));
        break;
      case MESSAGE_ANNOTATIONS:
        wire.message_annotations = codec.unwrap_map_simple(section);
        break;
      case APPLICATION_PROPERTIES:
        wire.application_properties = codec.unwrap_map_simple(section);
        break;
      case DATA:
      case AMQP_SEQUENCE:
      case AMQP_VALUE:
        if (bodyStart < 0) bodyStart = start;
        bodyEnd = reader.position;
        if (code === DATA) data.push(bytesOf(codec.unwrap(section)));
        else value = codec.unwrap(section);
        wire.bodyKind = bodyKind(code, value, wire.bodyKind);
        break;
      default:
      // delivery-annotations and footer are dropped (docs/amqp10.md).
    }
  }
  if (wire.bodyKind === 'data')
    wire.body = data.length === 1 ? (data[0] ?? EMPTY) : Buffer.concat(data);
  else if (wire.bodyKind === 'value-string') wire.body = Buffer.from(value as string, 'utf8');
  else if (wire.bodyKind === 'value-binary') wire.body = value as Buffer;
  else wire.body = bytes.subarray(bodyStart, bodyEnd);
  return wire;
}

const EMPTY = Buffer.alloc(0);

/** One amqp-value string or binary keeps its kind; anything else is `encoded`. */
function bodyKind(code: number, value: unknown, before: BodyKind): BodyKind {
  if (code === DATA) return before === 'data' ? 'data' : 'encoded';
  if (code === AMQP_VALUE && before === 'data') {
    if (typeof value === 'string') return 'value-string';
    if (Buffer.isBuffer(value)) return 'value-binary';
  }
  return 'encoded';
}

function bytesOf(v: unknown): Buffer {
  return Buffer.isBuffer(v) ? v : EMPTY;
}

function field(section: TypedValue, i: number): TypedValue | undefined {
  const list = section.value;
  return Array.isArray(list) ? (list[i] as TypedValue | undefined) : undefined;
}

function copyFields(wire: WireMessage, names: readonly string[], section: TypedValue): void {
  const out = wire as unknown as Record<string, unknown>;
  for (let i = 0; i < names.length; i++) {
    const f = field(section, i);
    if (f === undefined) break;
    const v = codec.unwrap(f);
    if (v !== null && v !== undefined) out[names[i] ?? ''] = v;
  }
}

/** A message-id / correlation-id with its AMQP type (3.2.4). */
function typedId(f: TypedValue | undefined): string | TypedId | undefined {
  if (f === undefined) return undefined;
  const code = f.type?.typecode ?? 0;
  const v = codec.unwrap(f);
  if (typeof v === 'string') return v;
  if (code === UUID && Buffer.isBuffer(v)) return ['uuid', v.toString('base64')];
  if (BINARY.has(code) && Buffer.isBuffer(v)) return ['binary', v.toString('base64')];
  if (ULONG.has(code) && typeof v === 'number') return ['ulong', v];
  return undefined;
}
