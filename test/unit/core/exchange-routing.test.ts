/** Direct, fanout, topic and default-exchange routing through a vhost. */
import { beforeEach, describe, expect, it } from 'vitest';
import { coreLimitsSchema } from '../../../src/config/core-limits.js';
import { Broker } from '../../../src/core/broker.js';
import type { Vhost } from '../../../src/core/vhost.js';
import { drainBodies, expectBrokerError, msg, newVhost } from './helpers.js';

let vhost: Vhost;

function queues(...names: string[]): void {
  for (const name of names) vhost.declareQueue({ name });
}

/** Which of `names` got the message published just before (drains them). */
function receivers(...names: string[]): string[] {
  return names.filter((n) => drainBodies(vhost, n).length > 0);
}

beforeEach(() => {
  vhost = newVhost();
});

describe('direct exchange', () => {
  it('AMQP 0-9-1 direct: routes on routing-key equality, to every queue bound with that key', () => {
    queues('q1', 'q2', 'q3');
    vhost.declareExchange({ name: 'd', type: 'direct' });
    vhost.bindQueue('q1', 'd', 'red');
    vhost.bindQueue('q2', 'd', 'red');
    vhost.bindQueue('q3', 'd', 'blue');
    const r = vhost.publish(msg({ exchange: 'd', routingKey: 'red' }));
    expect(r).toEqual({ status: 'routed', queues: 2 });
    expect(receivers('q1', 'q2', 'q3')).toEqual(['q1', 'q2']);
    vhost.publish(msg({ exchange: 'd', routingKey: 'blue' }));
    expect(receivers('q1', 'q2', 'q3')).toEqual(['q3']);
  });

  it('no wildcard meaning and no prefix matching', () => {
    queues('q');
    vhost.bindQueue('q', 'amq.direct', 'a.*');
    expect(vhost.publish(msg({ exchange: 'amq.direct', routingKey: 'a.b' })).status).toBe(
      'unroutable',
    );
    expect(vhost.publish(msg({ exchange: 'amq.direct', routingKey: 'a' })).status).toBe(
      'unroutable',
    );
    expect(vhost.publish(msg({ exchange: 'amq.direct', routingKey: 'a.*' })).status).toBe('routed');
  });

  it('a queue bound twice with two keys that both match gets the message once', () => {
    queues('q');
    vhost.declareExchange({ name: 'f', type: 'fanout' });
    vhost.bindQueue('q', 'f', 'k1');
    vhost.bindQueue('q', 'f', 'k2');
    expect(vhost.publish(msg({ exchange: 'f', body: 'once' })).queues).toBe(1);
    expect(drainBodies(vhost, 'q')).toEqual(['once']);
  });

  it('binding the same (queue, key, args) twice is idempotent; unbind removes it', () => {
    queues('q');
    vhost.bindQueue('q', 'amq.direct', 'k');
    vhost.bindQueue('q', 'amq.direct', 'k');
    vhost.unbindQueue('q', 'amq.direct', 'k');
    expect(vhost.publish(msg({ exchange: 'amq.direct', routingKey: 'k' })).status).toBe(
      'unroutable',
    );
    // Unbinding what is not bound is a no-op (RabbitMQ).
    vhost.unbindQueue('q', 'amq.direct', 'k');
  });
});

describe('fanout exchange', () => {
  it('AMQP 0-9-1 fanout: routes to every bound queue whatever the routing key', () => {
    queues('q1', 'q2', 'q3');
    vhost.bindQueue('q1', 'amq.fanout', '');
    vhost.bindQueue('q2', 'amq.fanout', 'ignored');
    const r = vhost.publish(msg({ exchange: 'amq.fanout', routingKey: 'anything' }));
    expect(r).toEqual({ status: 'routed', queues: 2 });
    expect(receivers('q1', 'q2', 'q3')).toEqual(['q1', 'q2']);
  });

  it('with no binding the message is unroutable', () => {
    expect(vhost.publish(msg({ exchange: 'amq.fanout' }))).toEqual({
      status: 'unroutable',
      queues: 0,
    });
  });
});

describe('topic exchange', () => {
  it('AMQP 0-9-1 topic: `*` one word, `#` zero or more, per binding', () => {
    queues('all', 'usd', 'nyse', 'exact');
    vhost.bindQueue('all', 'amq.topic', '#');
    vhost.bindQueue('usd', 'amq.topic', 'stock.usd.*');
    vhost.bindQueue('nyse', 'amq.topic', '#.nyse');
    vhost.bindQueue('exact', 'amq.topic', 'stock.eur.xetra');
    vhost.publish(msg({ exchange: 'amq.topic', routingKey: 'stock.usd.nyse' }));
    expect(receivers('all', 'usd', 'nyse', 'exact')).toEqual(['all', 'usd', 'nyse']);
    vhost.publish(msg({ exchange: 'amq.topic', routingKey: 'stock.eur.xetra' }));
    expect(receivers('all', 'usd', 'nyse', 'exact')).toEqual(['all', 'exact']);
    vhost.publish(msg({ exchange: 'amq.topic', routingKey: 'nyse' }));
    expect(receivers('all', 'usd', 'nyse', 'exact')).toEqual(['all', 'nyse']);
  });

  it('unbinding a pattern stops its routing (the match cache follows)', () => {
    queues('q');
    vhost.bindQueue('q', 'amq.topic', 'a.#');
    expect(vhost.publish(msg({ exchange: 'amq.topic', routingKey: 'a.b' })).status).toBe('routed');
    vhost.unbindQueue('q', 'amq.topic', 'a.#');
    expect(vhost.publish(msg({ exchange: 'amq.topic', routingKey: 'a.b' })).status).toBe(
      'unroutable',
    );
  });

  it('deleting a queue drops its bindings (cached keys included)', () => {
    queues('q', 'other');
    vhost.bindQueue('q', 'amq.topic', 'a.*');
    vhost.bindQueue('other', 'amq.topic', 'b');
    expect(vhost.publish(msg({ exchange: 'amq.topic', routingKey: 'a.b' })).status).toBe('routed');
    vhost.deleteQueue('q');
    expect(vhost.publish(msg({ exchange: 'amq.topic', routingKey: 'a.b' })).status).toBe(
      'unroutable',
    );
    // A new queue with the same name starts unbound.
    queues('q');
    expect(vhost.publish(msg({ exchange: 'amq.topic', routingKey: 'a.b' })).status).toBe(
      'unroutable',
    );
  });
});

describe('default exchange', () => {
  it('AMQP 0-9-1 §3.1.3.1 default exchange: routes to the queue named by the routing key', () => {
    queues('orders', 'other');
    expect(vhost.publish(msg({ exchange: '', routingKey: 'orders', body: 'o1' }))).toEqual({
      status: 'routed',
      queues: 1,
    });
    expect(drainBodies(vhost, 'orders')).toEqual(['o1']);
    expect(drainBodies(vhost, 'other')).toEqual([]);
  });

  it('a routing key naming no queue is unroutable, not an error', () => {
    expect(vhost.publish(msg({ exchange: '', routingKey: 'nope' }))).toEqual({
      status: 'unroutable',
      queues: 0,
    });
  });

  it('AMQP 0-9-1 basic.publish: a missing exchange -> NOT_FOUND', () => {
    expectBrokerError(
      () => vhost.publish(msg({ exchange: 'missing', routingKey: 'k' })),
      'GW_ERR_NOT_FOUND',
    );
  });

  it('a routing key longer than CoreLimits.maxRoutingKeyLength (255, AMQP shortstr) is refused', () => {
    queues('q');
    expectBrokerError(
      () => vhost.publish(msg({ exchange: '', routingKey: 'k'.repeat(256) })),
      'GW_ERR_INVALID_ARGUMENT',
    );
    expect(vhost.publish(msg({ exchange: '', routingKey: 'k'.repeat(255) })).status).toBe(
      'unroutable',
    );
  });

  it('the routing-key limit counts UTF-8 bytes, as the AMQP 0-9-1 shortstr it must fit in', () => {
    const twoByteChars = 'é'.repeat(128); // 128 characters, 256 bytes
    expectBrokerError(
      () => vhost.publish(msg({ exchange: 'amq.topic', routingKey: twoByteChars })),
      'GW_ERR_INVALID_ARGUMENT',
    );
    expect(vhost.publish(msg({ exchange: 'amq.topic', routingKey: 'é'.repeat(127) })).status).toBe(
      'unroutable',
    );
  });
});

describe('virtual hosts', () => {
  it('are isolated: the same names in two vhosts are different queues', () => {
    const broker = new Broker({ limits: coreLimitsSchema.parse({}), vhosts: ['/', 'dev'] });
    broker.vhost('/').declareQueue({ name: 'q' });
    broker.vhost('dev').declareQueue({ name: 'q' });
    broker.vhost('/').publish(msg({ exchange: '', routingKey: 'q', body: 'root' }));
    expect(broker.vhost('dev').queueInfo('q')?.messageCount).toBe(0);
    expect(broker.vhost('/').queueInfo('q')?.messageCount).toBe(1);
    expectBrokerError(() => broker.vhost('nope'), 'GW_ERR_NOT_FOUND');
    expect(broker.vhostNames().sort()).toEqual(['/', 'dev']);
  });
});
