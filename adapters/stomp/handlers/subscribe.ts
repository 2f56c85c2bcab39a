import { createHash, randomBytes } from 'node:crypto';
import { AMQ_TOPIC, BrokerError } from '../../../src/spi.js';
import type { StompConnection } from '../connection.js';
import type { StompFrame } from '../frame.js';
import { parseDestination, TEMP_QUEUE_PREFIX, type Destination } from '../destination.js';
import { StompProtocolError } from '../errors.js';
import { queueHeaders } from '../queue-arguments.js';
import { declareSharedQueue, requireQueue } from './queues.js';
import { ACK_MODES, Subscription, type AckMode, type SubscriptionSpec } from '../subscription.js';

interface SubscribeQueue {
  readonly queue: string;
  readonly durable: boolean;
}

/** Declare (or find) the queue a SUBSCRIBE consumes from (anchors 2.4). */
function subscribeQueue(
  conn: StompConnection,
  dest: Destination,
  id: string,
  frame: StompFrame,
): SubscribeQueue {
  const vhost = conn.vhost;
  const q = queueHeaders(frame.headers, true);
  switch (dest.kind) {
    case 'topic':
    case 'exchange': {
      const exchange = dest.kind === 'topic' ? AMQ_TOPIC : dest.exchange;
      if (!vhost.exchangeExists(exchange)) {
        throw new BrokerError(
          'GW_ERR_NOT_FOUND',
          `no exchange '${exchange}' in vhost '${vhost.name}'`,
        );
      }
      // RabbitMQ: durable:true + auto-delete:false makes a shared durable queue per
      // (destination, id) that survives the connection.
      const durable = q.durable === true && q.autoDelete === false;
      const destination = frame.headers.get('destination') ?? '';
      const name =
        q.name ??
        (durable
          ? `stomp-subscription-${createHash('md5').update(`${destination}\0${id}`).digest('base64url')}`
          : `stomp-subscription-${randomBytes(12).toString('base64url')}`);
      conn.authorize('configure', 'queue', name);
      vhost.declareQueue(
        durable
          ? { name, durable: true, autoDelete: false, arguments: q.arguments }
          : { name, exclusiveOwner: conn.id, autoDelete: true, arguments: q.arguments },
        { connectionId: conn.id },
      );
      conn.authorize('read', 'exchange', exchange, dest.key);
      vhost.bindQueue(name, exchange, dest.key);
      return { queue: name, durable };
    }
    case 'queue':
      declareSharedQueue(conn, dest.queue, q);
      return { queue: dest.queue, durable: false };
    case 'amq-queue':
    case 'reply-queue':
      requireQueue(conn, dest.queue);
      return { queue: dest.queue, durable: false };
    case 'temp-queue':
      throw new StompProtocolError(
        'Invalid destination',
        `${TEMP_QUEUE_PREFIX} cannot be subscribed to`,
      );
  }
}

/** `maxSubscriptions`, checked before any queue is declared; implicit /temp-queue/
 * subscriptions count too, so reply queues are limited as well. */
export function checkSubscriptionLimit(conn: StompConnection): void {
  if (conn.subscriptions.size >= conn.options.maxSubscriptions) {
    throw new StompProtocolError(
      'Too many subscriptions',
      `at most ${conn.options.maxSubscriptions} subscriptions`,
    );
  }
}

/** Register the subscription and start its core consumer; deliveries may start at once. */
export function openSubscription(
  conn: StompConnection,
  spec: SubscriptionSpec,
  prefetch: number,
): Subscription {
  conn.authorize('read', 'queue', spec.queue);
  const sub = new Subscription(spec, conn);
  conn.subscriptions.set(spec.id, sub);
  try {
    sub.consumer = conn.vhost.consume(spec.queue, sub, {
      noAck: spec.ackMode === 'auto',
      prefetch: spec.ackMode === 'auto' ? 0 : prefetch,
      connectionId: conn.id,
    });
  } catch (err) {
    conn.subscriptions.delete(spec.id);
    throw err;
  }
  return sub;
}

function prefetchCount(conn: StompConnection, frame: StompFrame): number {
  const value = frame.headers.get('prefetch-count');
  if (value === undefined) return conn.options.defaultPrefetch;
  if (!/^\d{1,9}$/.test(value)) {
    throw new StompProtocolError(
      'Invalid header',
      `prefetch-count must be a non-negative integer, got '${value}'`,
    );
  }
  return Number(value);
}

/** STOMP 1.2 SUBSCRIBE: `id` (1.0: optional, the destination stands in), `ack`, plus
 * RabbitMQ's `prefetch-count` and queue headers. */
export function handleSubscribe(conn: StompConnection, frame: StompFrame): void {
  const destination = conn.required(frame, 'destination');
  const id =
    conn.version === '1.0' ? (frame.headers.get('id') ?? destination) : conn.required(frame, 'id');
  if (conn.subscriptions.has(id)) {
    throw new StompProtocolError(
      'Duplicated subscription identifier',
      `subscription '${id}' already exists`,
    );
  }
  checkSubscriptionLimit(conn);
  const ack = frame.headers.get('ack') ?? 'auto';
  if (!ACK_MODES.has(ack))
    throw new StompProtocolError('Invalid header', `invalid ack mode '${ack}'`);
  const prefetch = prefetchCount(conn, frame);
  const { queue, durable } = subscribeQueue(conn, parseDestination(destination), id, frame);
  openSubscription(conn, { id, ackMode: ack as AckMode, queue, durable }, prefetch);
}

/** STOMP 1.2 UNSUBSCRIBE. A durable subscription's queue is deleted only when the frame
 * repeats `durable:true` (RabbitMQ); otherwise it keeps collecting messages. */
export function handleUnsubscribe(conn: StompConnection, frame: StompFrame): void {
  const id =
    conn.version === '1.0'
      ? (frame.headers.get('id') ?? conn.required(frame, 'destination'))
      : conn.required(frame, 'id');
  const sub = conn.subscriptions.get(id);
  if (!sub) throw new StompProtocolError('Unknown subscription', `no subscription '${id}'`);
  conn.subscriptions.delete(id);
  sub.cancel();
  if (sub.spec.durable && queueHeaders(frame.headers, true).durable === true) {
    conn.vhost.deleteQueue(sub.spec.queue, { connectionId: conn.id });
  }
}
