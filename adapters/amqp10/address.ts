/**
 * AMQP 1.0 addresses, RabbitMQ 4 "v2" form (names percent-encoded, RFC 3986) plus the short v1
 * forms. Pure functions: resolving against the broker (existence) is the link's job.
 */

/** Where a sending client's messages go. `routingKey` undefined: take it from `subject`. */
export type TargetAddress =
  | {
      readonly kind: 'exchange';
      readonly exchange: string;
      readonly routingKey: string | undefined;
    }
  | { readonly kind: 'queue'; readonly queue: string; readonly declare: boolean };

/** What a receiving client consumes: a named queue, or a private queue bound to an exchange
 * for the link's life. `declare`: v1 `/queue/q` creates the queue like RabbitMQ and STOMP do. */
export type SourceAddress =
  | { readonly kind: 'queue'; readonly queue: string; readonly declare: boolean }
  | { readonly kind: 'exchange'; readonly exchange: string; readonly bindingKey: string };

export const TOPIC_EXCHANGE = 'amq.topic';

export class AddressError extends Error {
  override readonly name = 'AddressError';
}

function decode(segment: string, address: string): string {
  if (segment === '') throw new AddressError(`empty name in address '${address}'`);
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AddressError(`bad percent-encoding in address '${address}'`);
  }
}

/** Percent-encode a name for an address (what RabbitMQ clients do with `encodeURIComponent`). */
export function encodeName(name: string): string {
  return encodeURIComponent(name);
}

/** A v1 short form: the rest of the address taken literally (not percent-encoded). */
function rest(address: string, prefix: string): string | undefined {
  if (!address.startsWith(prefix)) return undefined;
  const name = address.slice(prefix.length);
  if (name === '') throw new AddressError(`empty name in address '${address}'`);
  return name;
}

export function parseTarget(address: string): TargetAddress {
  const parts = address.split('/');
  if (parts[0] === '' && parts[1] === 'exchanges' && (parts.length === 3 || parts.length === 4)) {
    const exchange = decode(parts[2] ?? '', address);
    const key = parts[3];
    // An empty key segment is the empty routing key (`/exchanges/amq.fanout/`).
    return {
      kind: 'exchange',
      exchange,
      routingKey: key === undefined ? undefined : key === '' ? '' : decode(key, address),
    };
  }
  if (parts[0] === '' && parts[1] === 'queues' && parts.length === 3) {
    return { kind: 'queue', queue: decode(parts[2] ?? '', address), declare: false };
  }
  return parseTargetV1(address);
}

function parseTargetV1(address: string): TargetAddress {
  const topic = rest(address, '/topic/');
  if (topic !== undefined) return { kind: 'exchange', exchange: TOPIC_EXCHANGE, routingKey: topic };
  const amqQueue = rest(address, '/amq/queue/');
  if (amqQueue !== undefined) return { kind: 'queue', queue: amqQueue, declare: false };
  const queue = rest(address, '/queue/');
  if (queue !== undefined) return { kind: 'queue', queue, declare: true };
  const exchange = rest(address, '/exchange/');
  if (exchange !== undefined) {
    const slash = exchange.indexOf('/');
    return slash < 0
      ? { kind: 'exchange', exchange, routingKey: undefined }
      : {
          kind: 'exchange',
          exchange: exchange.slice(0, slash),
          routingKey: exchange.slice(slash + 1),
        };
  }
  throw new AddressError(`unsupported address '${address}'`);
}

export function parseSource(address: string): SourceAddress {
  const target = parseTarget(address);
  if (target.kind === 'queue') return target;
  return { kind: 'exchange', exchange: target.exchange, bindingKey: target.routingKey ?? '' };
}

/** AMQP 0-9-1 `reply_to` (a queue name) <-> AMQP 1.0 `reply-to` address (anchors 2.9). */
export function replyToFromAmqp10(replyTo: string): {
  readonly replyTo: string;
  readonly replyTopic?: string;
} {
  try {
    const parsed = parseTarget(replyTo);
    if (parsed.kind === 'queue') return { replyTo: parsed.queue };
    // An MQTT 5 responder needs a Response Topic (anchors 2.8): the key of an amq.topic address.
    if (parsed.exchange === TOPIC_EXCHANGE && parsed.routingKey !== undefined) {
      return { replyTo, replyTopic: parsed.routingKey };
    }
  } catch {
    // Not an address of ours: passed on untouched.
  }
  return { replyTo };
}

export function replyToForAmqp10(
  replyTo: string | undefined,
  replyTopic: string | undefined,
): string | undefined {
  if (replyTo !== undefined)
    return replyTo.startsWith('/') ? replyTo : `/queues/${encodeName(replyTo)}`;
  if (replyTopic !== undefined) return `/exchanges/${TOPIC_EXCHANGE}/${encodeName(replyTopic)}`;
  return undefined;
}
