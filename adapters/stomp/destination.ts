import { AMQ_TOPIC, DEFAULT_EXCHANGE } from '../../src/spi.js';

/**
 * RabbitMQ's STOMP destinations (rabbit_routing_parser; anchors.md 2.4). Names and keys are
 * percent-decoded, so `%2F` carries a `/` inside a queue name or routing key.
 */
export type Destination =
  | { readonly kind: 'topic'; readonly key: string }
  | { readonly kind: 'queue'; readonly queue: string }
  | { readonly kind: 'exchange'; readonly exchange: string; readonly key: string }
  | { readonly kind: 'amq-queue'; readonly queue: string }
  | { readonly kind: 'temp-queue'; readonly name: string }
  | { readonly kind: 'reply-queue'; readonly queue: string };

export class DestinationError extends Error {
  override readonly name = 'DestinationError';
}

export const TEMP_QUEUE_PREFIX = '/temp-queue/';
export const REPLY_QUEUE_PREFIX = '/reply-queue/';

function decode(part: string, dest: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new DestinationError(`'${dest}' has a malformed percent-encoding`);
  }
}

/** One name after the prefix: non-empty, no further `/`. */
function single(rest: string, dest: string): string {
  if (rest.length === 0 || rest.includes('/'))
    throw new DestinationError(`'${dest}' is not a valid destination`);
  return decode(rest, dest);
}

export function parseDestination(dest: string): Destination {
  if (dest.startsWith('/topic/')) return { kind: 'topic', key: single(dest.slice(7), dest) };
  if (dest.startsWith('/queue/')) return { kind: 'queue', queue: single(dest.slice(7), dest) };
  if (dest.startsWith('/amq/queue/'))
    return { kind: 'amq-queue', queue: single(dest.slice(11), dest) };
  if (dest.startsWith(TEMP_QUEUE_PREFIX)) {
    return { kind: 'temp-queue', name: single(dest.slice(TEMP_QUEUE_PREFIX.length), dest) };
  }
  if (dest.startsWith(REPLY_QUEUE_PREFIX)) {
    // The name may contain '/' (RabbitMQ: reply queue names are taken verbatim).
    const queue = decode(dest.slice(REPLY_QUEUE_PREFIX.length), dest);
    if (queue.length === 0) throw new DestinationError(`'${dest}' is not a valid destination`);
    return { kind: 'reply-queue', queue };
  }
  if (dest.startsWith('/exchange/')) {
    const parts = dest.slice(10).split('/');
    const [exchange = '', key = '', ...extra] = parts;
    if (exchange.length === 0 || extra.length > 0)
      throw new DestinationError(`'${dest}' is not a valid destination`);
    return { kind: 'exchange', exchange: decode(exchange, dest), key: decode(key, dest) };
  }
  // RabbitMQ: a destination without a known '/' prefix names a queue.
  if (!dest.startsWith('/')) return { kind: 'queue', queue: single(dest, dest) };
  throw new DestinationError(`'${dest}' is not a valid destination`);
}

/** `/`, `%` and non-ASCII bytes are percent-encoded (RabbitMQ `rabbit_routing_parser:unparse`). */
function encode(part: string): string {
  return /^[\x20-\x24\x26-\x2e\x30-\x7e]*$/.test(part)
    ? part
    : Array.from(Buffer.from(part, 'utf8'), (b) =>
        b >= 0x20 && b < 0x7f && b !== 0x25 && b !== 0x2f
          ? String.fromCharCode(b)
          : '%' + b.toString(16).toUpperCase().padStart(2, '0'),
      ).join('');
}

/** The MESSAGE `destination`, re-derived from where the message was published (anchors 2.4). */
export function messageDestination(exchange: string, routingKey: string): string {
  if (exchange === DEFAULT_EXCHANGE) return `/queue/${encode(routingKey)}`;
  if (exchange === AMQ_TOPIC) return `/topic/${encode(routingKey)}`;
  return `/exchange/${encode(exchange)}/${encode(routingKey)}`;
}
