/** JSON views in the shape of RabbitMQ's management API (snake_case fields). */
import type { Binding } from '../core/binding.js';
import type { Exchange } from '../core/exchange.js';
import type { Queue } from '../core/queues/queue.js';
import type { Delivery } from '../spi.js';

export function exchangeView(vhost: string, x: Exchange): Record<string, unknown> {
  return {
    name: x.name,
    vhost,
    type: x.type,
    durable: x.durable,
    auto_delete: x.autoDelete,
    internal: x.internal,
    arguments: x.args,
  };
}

export function queueView(vhost: string, q: Queue): Record<string, unknown> {
  const o = q.options;
  return {
    name: q.name,
    vhost,
    durable: o.durable,
    auto_delete: o.autoDelete,
    exclusive: o.exclusiveOwner !== undefined,
    arguments: o.rawArgs,
    messages: q.messageCount + q.unackedCount,
    messages_ready: q.messageCount,
    messages_unacknowledged: q.unackedCount,
    consumers: q.consumerCount,
    message_stats: { ...q.stats },
  };
}

export function bindingView(vhost: string, b: Binding): Record<string, unknown> {
  return {
    vhost,
    source: b.source,
    destination: b.destination.name,
    destination_type: b.destination.kind,
    routing_key: b.routingKey,
    arguments: b.args,
  };
}

export function deliveryView(d: Delivery, messageCount: number): Record<string, unknown> {
  const m = d.message;
  const utf8 = Buffer.from(m.body.toString('utf8'), 'utf8').equals(m.body);
  return {
    exchange: m.exchange,
    routing_key: m.routingKey,
    redelivered: d.redelivered,
    message_count: messageCount,
    properties: { ...m.properties, headers: m.headers },
    payload: utf8 ? m.body.toString('utf8') : m.body.toString('base64'),
    payload_encoding: utf8 ? 'string' : 'base64',
    payload_bytes: m.body.length,
  };
}
