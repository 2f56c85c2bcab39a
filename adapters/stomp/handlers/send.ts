import { randomBytes } from 'node:crypto';
import { AMQ_TOPIC, DEFAULT_EXCHANGE, QueueRefusedError, type Message } from '../../../src/spi.js';
import type { StompConnection } from '../connection.js';
import type { StompFrame } from '../frame.js';
import { parseDestination, TEMP_QUEUE_PREFIX, type Destination } from '../destination.js';
import { StompProtocolError } from '../errors.js';
import { propertiesFromSend } from '../header-mapping.js';
import { queueHeaders } from '../queue-arguments.js';
import { checkSubscriptionLimit, openSubscription } from './subscribe.js';
import { declareSharedQueue, requireQueue } from './queues.js';

interface Target {
  readonly exchange: string;
  readonly routingKey: string;
}

/** Where a SEND goes (anchors 2.4), declaring a `/queue/` on its first use in this session. */
function sendTarget(conn: StompConnection, dest: Destination, frame: StompFrame): Target {
  switch (dest.kind) {
    case 'topic':
      return { exchange: AMQ_TOPIC, routingKey: dest.key };
    case 'exchange':
      return { exchange: dest.exchange, routingKey: dest.key };
    case 'queue':
      if (!conn.declaredQueues.has(dest.queue)) {
        declareSharedQueue(conn, dest.queue, queueHeaders(frame.headers, false));
        conn.declaredQueues.add(dest.queue);
      }
      return { exchange: DEFAULT_EXCHANGE, routingKey: dest.queue };
    case 'amq-queue':
    case 'reply-queue':
      requireQueue(conn, dest.queue);
      return { exchange: DEFAULT_EXCHANGE, routingKey: dest.queue };
    case 'temp-queue':
      throw new StompProtocolError(
        'Invalid destination',
        `${TEMP_QUEUE_PREFIX} is only valid in reply-to`,
      );
  }
}

/** `reply-to: /temp-queue/<name>` creates a private auto-delete queue with an implicit auto-ack
 * subscription whose id is the temp destination; the receiver sees the real queue name. */
function resolveReplyTo(conn: StompConnection, replyTo: string | undefined): string | undefined {
  if (replyTo === undefined || !replyTo.startsWith(TEMP_QUEUE_PREFIX)) return replyTo;
  const dest = parseDestination(replyTo);
  if (dest.kind !== 'temp-queue') return replyTo;
  const existing = conn.tempQueues.get(dest.name);
  if (existing !== undefined) return existing;
  checkSubscriptionLimit(conn);
  const queue = `stomp-reply-${randomBytes(12).toString('base64url')}`;
  conn.vhost.declareQueue(
    { name: queue, exclusiveOwner: conn.id, autoDelete: true },
    { connectionId: conn.id },
  );
  openSubscription(conn, { id: replyTo, ackMode: 'auto', queue, durable: false }, 0);
  conn.tempQueues.set(dest.name, queue);
  return queue;
}

/** STOMP 1.2 SEND. The RECEIPT waits until the core has taken the message (store commit). */
export function handleSend(conn: StompConnection, frame: StompFrame): void {
  const destination = conn.required(frame, 'destination');
  const target = sendTarget(conn, parseDestination(destination), frame);
  const replyTo = resolveReplyTo(conn, frame.headers.get('reply-to'));
  const mapped = propertiesFromSend(frame.headers, replyTo, conn.username);
  const message: Message = {
    exchange: target.exchange,
    routingKey: target.routingKey,
    headers: mapped.headers,
    properties: mapped.properties,
    body: frame.body,
    origin: { protocol: 'stomp', connectionId: conn.id },
  };
  const wantsReceipt = frame.headers.has('receipt');
  const publish = (): Promise<void> | undefined => {
    conn.authorize('write', 'exchange', target.exchange, target.routingKey);
    const result = conn.vhost.publish(message);
    conn.ctx.metrics.messagesIn('stomp');
    conn.publishGate.published();
    // A full reject-publish queue is a negative confirm (RabbitMQ): only a publisher that asked
    // for a receipt can be told; without one the message is dropped, as with AMQP sans confirms.
    if (result.status === 'refused' && wantsReceipt) {
      throw new QueueRefusedError(result.refusedBy ?? '');
    }
    // A refusal known only after the commit (a shared queue in a cluster) likewise.
    if (wantsReceipt || !result.committed) return result.committed;
    return result.committed.catch((err: unknown) => {
      if (!(err instanceof QueueRefusedError)) throw err;
    });
  };
  const transaction = frame.headers.get('transaction');
  if (transaction !== undefined) {
    conn.transactions.add(transaction, publish);
    conn.receipt(frame);
    return;
  }
  conn.receiptAfter(frame, [publish()]);
}
