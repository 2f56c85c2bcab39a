import type { HeaderList } from './frame.js';
import type { HeaderTable, HeaderValue, Message, MessageProperties } from '../../src/spi.js';
import { QUEUE_DECLARE_HEADERS } from './queue-arguments.js';
import { REPLY_QUEUE_PREFIX } from './destination.js';

/** A SEND header that cannot become a message property (STOMP ERROR, then close). */
export class HeaderMappingError extends Error {
  override readonly name = 'HeaderMappingError';
}

/** Frame-level headers: they steer the frame, they are not message headers. */
const FRAME_HEADERS = new Set(['destination', 'content-length', 'receipt', 'transaction']);
/** Reserved for the server on MESSAGE (anchors 2.5: `message-id` is not a SEND header). */
const SERVER_HEADERS = new Set(['message-id', 'subscription', 'ack', 'redelivered']);
/** Mapped to AMQP 0-9-1 properties (anchors 2.6). */
const PROPERTY_HEADERS = new Set([
  'content-type',
  'content-encoding',
  'persistent',
  'priority',
  'correlation-id',
  'reply-to',
  'expiration',
  'amqp-message-id',
  'timestamp',
  'type',
  'user-id',
  'app-id',
]);

function integer(
  headers: ReadonlyMap<string, string>,
  name: string,
  max: number,
): number | undefined {
  const value = headers.get(name);
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value) || Number(value) > max) {
    throw new HeaderMappingError(
      `header '${name}' must be an integer from 0 to ${max}, got '${value}'`,
    );
  }
  return Number(value);
}

/** SEND headers -> AMQP 0-9-1 properties and headers table (anchors 2.6). `replyTo` is the
 * already-resolved reply-to (a `/temp-queue/` becomes the real queue name). */
export function propertiesFromSend(
  headers: ReadonlyMap<string, string>,
  replyTo: string | undefined,
  username: string,
): { properties: MessageProperties; headers: HeaderTable } {
  const userId = headers.get('user-id');
  // RabbitMQ validates user_id against the authenticated user.
  if (userId !== undefined && userId !== username) {
    throw new HeaderMappingError(`user-id '${userId}' is not the authenticated user`);
  }
  const expiration = headers.get('expiration');
  if (expiration !== undefined && !/^\d{1,10}$/.test(expiration)) {
    throw new HeaderMappingError(`header 'expiration' must be milliseconds, got '${expiration}'`);
  }
  const properties: MessageProperties = {
    contentType: headers.get('content-type'),
    contentEncoding: headers.get('content-encoding'),
    persistent: headers.get('persistent') === 'true' ? true : undefined,
    priority: integer(headers, 'priority', 255),
    correlationId: headers.get('correlation-id'),
    replyTo,
    expiration,
    messageId: headers.get('amqp-message-id'),
    timestamp: integer(headers, 'timestamp', Number.MAX_SAFE_INTEGER),
    type: headers.get('type'),
    userId,
    appId: headers.get('app-id'),
  };
  const table: Record<string, HeaderValue> = {};
  for (const [name, value] of headers) {
    if (
      FRAME_HEADERS.has(name) ||
      SERVER_HEADERS.has(name) ||
      PROPERTY_HEADERS.has(name) ||
      QUEUE_DECLARE_HEADERS.has(name)
    ) {
      continue;
    }
    table[name] = value;
  }
  return { properties: dropUndefined(properties), headers: table };
}

function dropUndefined(p: MessageProperties): MessageProperties {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined) out[k] = v;
  return out;
}

const INTEGER_TYPES = new Set([
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'signedint',
  'long',
]);

/** RabbitMQ emits only `longstr`, `signedint` and `long` header values on MESSAGE; the others
 * (tables, arrays, binary, floats, booleans, timestamps) are dropped. */
function headerText(value: HeaderValue): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : undefined;
  if (value !== null && typeof value === 'object' && '!' in value && !Array.isArray(value)) {
    const typed = value as { readonly '!': string; readonly value: unknown };
    const inner = typed.value;
    if (typed['!'] === 'longstr' && typeof inner === 'string') return inner;
    if (INTEGER_TYPES.has(typed['!']) && (typeof inner === 'number' || typeof inner === 'bigint')) {
      return inner.toString();
    }
  }
  return undefined;
}

/** Core message -> MESSAGE headers after the server's own (anchors 2.6, right to left). */
export function messageHeaders(message: Message, reserved: ReadonlySet<string>): HeaderList {
  const p = message.properties;
  const out: [string, string][] = [];
  const add = (name: string, value: string | number | undefined): void => {
    if (value !== undefined) out.push([name, String(value)]);
  };
  add('content-type', p.contentType);
  add('content-encoding', p.contentEncoding);
  if (p.persistent === true) add('persistent', 'true');
  add('priority', p.priority);
  add('correlation-id', p.correlationId);
  // A bare queue name is a reply queue (anchors 2.6).
  add(
    'reply-to',
    p.replyTo === undefined || p.replyTo.startsWith('/')
      ? p.replyTo
      : REPLY_QUEUE_PREFIX + p.replyTo,
  );
  add('expiration', p.expiration);
  add('amqp-message-id', p.messageId);
  add('timestamp', p.timestamp);
  add('type', p.type);
  add('user-id', p.userId);
  add('app-id', p.appId);
  for (const [name, value] of Object.entries(message.headers)) {
    // A header named like a server or property header would shadow it (first wins).
    if (reserved.has(name) || PROPERTY_HEADERS.has(name) || name === 'content-length') continue;
    const text = headerText(value);
    if (text !== undefined) out.push([name, text]);
  }
  return out;
}
