import { BrokerError } from '../../../src/spi.js';
import type { StompConnection } from '../connection.js';
import type { QueueHeaders } from '../queue-arguments.js';

/** `/queue/<q>` on SEND or SUBSCRIBE: a shared queue, durable and kept by default (RabbitMQ),
 * shaped by the frame's queue headers. */
export function declareSharedQueue(conn: StompConnection, name: string, q: QueueHeaders): void {
  conn.authorize('configure', 'queue', name);
  conn.vhost.declareQueue(
    {
      name,
      durable: q.durable ?? true,
      autoDelete: q.autoDelete ?? false,
      exclusiveOwner: q.exclusive === true ? conn.id : undefined,
      arguments: q.arguments,
    },
    { connectionId: conn.id },
  );
}

/** `/amq/queue/<q>` and `/reply-queue/<q>` never declare: the queue must exist. Another
 * connection's exclusive queue is fine to publish to (a reply queue is one); consuming from it
 * is refused by the core. */
export function requireQueue(conn: StompConnection, name: string): void {
  if (conn.vhost.queueInfo(name) === undefined) {
    throw new BrokerError('GW_ERR_NOT_FOUND', `no queue '${name}' in vhost '${conn.vhost.name}'`);
  }
}
