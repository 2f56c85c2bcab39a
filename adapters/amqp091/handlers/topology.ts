/**
 * exchange.* and queue.* methods (AMQP 0-9-1 §1.6, §1.7, RabbitMQ's exchange.bind/unbind):
 * one-to-one calls into the core, with the authorization hooks where RabbitMQ checks
 * permissions (configure to declare/delete, write on the destination and read on the source to
 * bind, read to purge).
 */
import type { ExchangeTypeName } from '../../../src/spi.js';
import { AmqpError, REPLY } from '../amqp-error.js';
import type { Amqp091Channel } from '../channel.js';
import type { ClientMethod } from '../codec/defs.js';

const EXCHANGE_TYPES: readonly string[] = [
  'direct',
  'fanout',
  'topic',
  'headers',
] satisfies ExchangeTypeName[];

function isExchangeType(t: string): t is ExchangeTypeName {
  return EXCHANGE_TYPES.includes(t);
}

type ExchangeMethod = Extract<ClientMethod, { name: `Exchange${string}` }>;
type QueueMethod = Extract<ClientMethod, { name: `Queue${string}` }>;

export function onExchangeMethod(ch: Amqp091Channel, m: ExchangeMethod): void {
  const vhost = ch.vhost;
  switch (m.name) {
    case 'ExchangeDeclare': {
      const f = m.fields;
      if (!f.passive && !isExchangeType(f.type)) {
        // RabbitMQ: a hard error, the type is not known to the broker.
        throw new AmqpError(REPLY.COMMAND_INVALID, `unknown exchange type '${f.type}'`, {
          methodId: m.id,
        });
      }
      if (!f.passive) ch.authorize('configure', 'exchange', f.exchange);
      vhost.declareExchange(
        {
          name: f.exchange,
          type: f.type as ExchangeTypeName,
          durable: f.durable,
          autoDelete: f.autoDelete,
          internal: f.internal,
          arguments: f.arguments,
        },
        { passive: f.passive, connectionId: ch.conn.id },
      );
      if (f.nowait) return;
      if (f.passive) ch.reply('ExchangeDeclareOk', {});
      else ch.replyWhenStored('ExchangeDeclareOk', {}, m.id);
      return;
    }
    case 'ExchangeDelete':
      ch.authorize('configure', 'exchange', m.fields.exchange);
      vhost.deleteExchange(m.fields.exchange, { ifUnused: m.fields.ifUnused });
      if (!m.fields.nowait) ch.replyWhenStored('ExchangeDeleteOk', {}, m.id);
      return;
    case 'ExchangeBind':
    case 'ExchangeUnbind': {
      const f = m.fields;
      ch.authorize('write', 'exchange', f.destination);
      ch.authorize('read', 'exchange', f.source, f.routingKey);
      if (m.name === 'ExchangeBind') {
        vhost.bindExchange(f.destination, f.source, f.routingKey, f.arguments);
        if (!f.nowait) ch.replyWhenStored('ExchangeBindOk', {}, m.id);
      } else {
        vhost.unbindExchange(f.destination, f.source, f.routingKey, f.arguments);
        if (!f.nowait) ch.replyWhenStored('ExchangeUnbindOk', {}, m.id);
      }
      return;
    }
  }
}

export function onQueueMethod(ch: Amqp091Channel, m: QueueMethod): void {
  const vhost = ch.vhost;
  const connectionId = ch.conn.id;
  switch (m.name) {
    case 'QueueDeclare': {
      const f = m.fields;
      const serverNamed = f.queue === '';
      if (!f.passive && !serverNamed) ch.authorize('configure', 'queue', f.queue);
      const info = vhost.declareQueue(
        {
          name: f.queue,
          durable: f.durable,
          exclusiveOwner: f.exclusive ? connectionId : undefined,
          autoDelete: f.autoDelete,
          arguments: f.arguments,
        },
        { passive: f.passive, connectionId },
      );
      if (serverNamed) {
        // RabbitMQ checks the generated name (amq.gen-...): only the core knows it.
        try {
          ch.authorize('configure', 'queue', info.name);
        } catch (err) {
          vhost.deleteQueue(info.name, { connectionId });
          throw err;
        }
      }
      ch.lastQueue = info.name;
      if (!f.nowait) {
        const ok = {
          queue: info.name,
          messageCount: info.messageCount,
          consumerCount: info.consumerCount,
        };
        if (f.passive) ch.reply('QueueDeclareOk', ok);
        else ch.replyWhenStored('QueueDeclareOk', ok, m.id);
      }
      return;
    }
    case 'QueueBind':
    case 'QueueUnbind': {
      const f = m.fields;
      const queue = ch.queueName(f.queue);
      // §1.7.2.3: an empty queue and routing key bind with the queue's name as the key.
      const routingKey = f.queue === '' && f.routingKey === '' ? queue : f.routingKey;
      ch.authorize('write', 'queue', queue);
      ch.authorize('read', 'exchange', f.exchange, routingKey);
      if (m.name === 'QueueBind') {
        vhost.bindQueue(queue, f.exchange, routingKey, f.arguments, { connectionId: ch.conn.id });
        if (!m.fields.nowait) ch.replyWhenStored('QueueBindOk', {}, m.id);
      } else {
        vhost.unbindQueue(queue, f.exchange, routingKey, f.arguments, { connectionId: ch.conn.id });
        ch.replyWhenStored('QueueUnbindOk', {}, m.id);
      }
      return;
    }
    case 'QueuePurge': {
      const queue = ch.queueName(m.fields.queue);
      ch.authorize('read', 'queue', queue);
      const messageCount = vhost.purgeQueue(queue, { connectionId });
      if (!m.fields.nowait) ch.replyWhenStored('QueuePurgeOk', { messageCount }, m.id);
      return;
    }
    case 'QueueDelete': {
      const f = m.fields;
      const queue = ch.queueName(f.queue);
      ch.authorize('configure', 'queue', queue);
      const messageCount = vhost.deleteQueue(queue, {
        ifUnused: f.ifUnused,
        ifEmpty: f.ifEmpty,
        connectionId,
      });
      if (!f.nowait) ch.replyWhenStored('QueueDeleteOk', { messageCount }, m.id);
      return;
    }
  }
}
