/** exchange.declare / exchange.delete semantics (AMQP 0-9-1 + RabbitMQ). */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import type { ExchangeSpec } from '../../../src/spi.js';
import { expectBrokerError, msg, newVhost } from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vhost = newVhost();
});

describe('exchange declare', () => {
  it.each([
    ['amq.direct', 'direct'],
    ['amq.fanout', 'fanout'],
    ['amq.topic', 'topic'],
    ['amq.headers', 'headers'],
    ['amq.match', 'headers'],
  ] as const)('AMQP 0-9-1 §3.1.3.2: %s is predeclared (durable %s)', (name, type) => {
    expect(vhost.exchangeExists(name)).toBe(true);
    expect(vhost.exchange(name)?.type).toBe(type);
    expect(vhost.exchange(name)?.durable).toBe(true);
    // Redeclaring it with the same properties is fine (RabbitMQ).
    vhost.declareExchange({ name, type, durable: true });
    vhost.declareExchange({ name, type }, { passive: true });
  });

  it('the default exchange "" exists', () => {
    expect(vhost.exchangeExists('')).toBe(true);
    vhost.declareExchange({ name: '', type: 'direct' }, { passive: true });
  });

  it('AMQP 0-9-1 exchange.declare: declaring twice with the same properties is idempotent', () => {
    const spec: ExchangeSpec = {
      name: 'x',
      type: 'topic',
      durable: true,
      arguments: { 'alternate-exchange': 'ae' },
    };
    vhost.declareExchange(spec);
    vhost.declareQueue({ name: 'q' });
    vhost.bindQueue('q', 'x', '#');
    vhost.declareExchange(spec);
    // The redeclare kept the bindings.
    expect(vhost.publish(msg({ exchange: 'x', routingKey: 'a' })).status).toBe('routed');
  });

  it.each<[string, ExchangeSpec]>([
    ['type', { name: 'x', type: 'fanout', durable: true }],
    ['durable', { name: 'x', type: 'direct' }],
    ['auto-delete', { name: 'x', type: 'direct', durable: true, autoDelete: true }],
    ['internal', { name: 'x', type: 'direct', durable: true, internal: true }],
    [
      'alternate-exchange',
      { name: 'x', type: 'direct', durable: true, arguments: { 'alternate-exchange': 'ae' } },
    ],
  ])(
    'AMQP 0-9-1 exchange.declare: redeclare with another %s -> PRECONDITION_FAILED',
    (_what, spec) => {
      vhost.declareExchange({ name: 'x', type: 'direct', durable: true });
      expectBrokerError(() => {
        vhost.declareExchange(spec);
      }, 'GW_ERR_PRECONDITION_FAILED');
      // The original is unchanged.
      expect(vhost.exchange('x')?.type).toBe('direct');
    },
  );

  it('AMQP 0-9-1 exchange.declare passive: a missing exchange -> NOT_FOUND, and nothing is created', () => {
    expectBrokerError(() => {
      vhost.declareExchange({ name: 'nope', type: 'direct' }, { passive: true });
    }, 'GW_ERR_NOT_FOUND');
    expect(vhost.exchangeExists('nope')).toBe(false);
  });

  it('passive declare ignores the other properties of an existing exchange', () => {
    vhost.declareExchange({ name: 'x', type: 'topic', durable: true });
    vhost.declareExchange({ name: 'x', type: 'fanout' }, { passive: true });
    expect(vhost.exchange('x')?.type).toBe('topic');
  });

  it('AMQP 0-9-1 exchange.declare: names starting with "amq." are reserved -> ACCESS_REFUSED', () => {
    expectBrokerError(() => {
      vhost.declareExchange({ name: 'amq.custom', type: 'direct' });
    }, 'GW_ERR_ACCESS_REFUSED');
    expect(vhost.exchangeExists('amq.custom')).toBe(false);
  });

  it('AMQP 0-9-1: declaring the default exchange -> ACCESS_REFUSED', () => {
    expectBrokerError(() => {
      vhost.declareExchange({ name: '', type: 'direct' });
    }, 'GW_ERR_ACCESS_REFUSED');
  });

  it('CoreLimits.maxExchanges caps the exchanges of a vhost -> RESOURCE_ERROR', () => {
    const small = newVhost({ maxExchanges: 7 });
    small.declareExchange({ name: 'x1', type: 'direct' });
    small.declareExchange({ name: 'x2', type: 'direct' });
    expectBrokerError(() => {
      small.declareExchange({ name: 'x3', type: 'direct' });
    }, 'GW_ERR_RESOURCE_ERROR');
    // Redeclaring an existing one is still fine at the limit.
    small.declareExchange({ name: 'x1', type: 'direct' });
  });
});

describe('exchange delete', () => {
  it('deletes the exchange and its bindings', () => {
    vhost.declareExchange({ name: 'x', type: 'fanout' });
    vhost.declareQueue({ name: 'q' });
    vhost.bindQueue('q', 'x', '');
    vhost.deleteExchange('x');
    expect(vhost.exchangeExists('x')).toBe(false);
    expectBrokerError(() => vhost.publish(msg({ exchange: 'x' })), 'GW_ERR_NOT_FOUND');
    // Declared again, it starts with no binding.
    vhost.declareExchange({ name: 'x', type: 'fanout' });
    expect(vhost.publish(msg({ exchange: 'x' })).status).toBe('unroutable');
  });

  it('deleting a missing exchange is a no-op (RabbitMQ 3.x+)', () => {
    expect(() => {
      vhost.deleteExchange('nope');
    }).not.toThrow();
  });

  it('AMQP 0-9-1 exchange.delete if-unused: an exchange with bindings -> PRECONDITION_FAILED', () => {
    vhost.declareExchange({ name: 'x', type: 'direct' });
    vhost.declareQueue({ name: 'q' });
    vhost.bindQueue('q', 'x', 'k');
    expectBrokerError(() => {
      vhost.deleteExchange('x', { ifUnused: true });
    }, 'GW_ERR_PRECONDITION_FAILED');
    expect(vhost.exchangeExists('x')).toBe(true);
    vhost.unbindQueue('q', 'x', 'k');
    vhost.deleteExchange('x', { ifUnused: true });
    expect(vhost.exchangeExists('x')).toBe(false);
  });

  it('if-unused counts only bindings where the exchange is the source', () => {
    vhost.declareExchange({ name: 'x', type: 'direct' });
    vhost.bindExchange('x', 'amq.fanout', '');
    vhost.deleteExchange('x', { ifUnused: true });
    expect(vhost.exchangeExists('x')).toBe(false);
    // Its binding as a destination went with it.
    expect(vhost.exchange('amq.fanout')?.bindings.size).toBe(0);
  });

  it.each(['', 'amq.direct', 'amq.topic'])('deleting %j -> ACCESS_REFUSED', (name) => {
    expectBrokerError(() => {
      vhost.deleteExchange(name);
    }, 'GW_ERR_ACCESS_REFUSED');
    expect(vhost.exchangeExists(name)).toBe(true);
  });
});

describe('default exchange', () => {
  it('AMQP 0-9-1 §3.1.3.1: the default exchange cannot be bound or unbound -> ACCESS_REFUSED', () => {
    vhost.declareQueue({ name: 'q' });
    expectBrokerError(() => {
      vhost.bindQueue('q', '', 'other');
    }, 'GW_ERR_ACCESS_REFUSED');
    expectBrokerError(() => {
      vhost.unbindQueue('q', '', 'q');
    }, 'GW_ERR_ACCESS_REFUSED');
    vhost.declareExchange({ name: 'x', type: 'direct' });
    expectBrokerError(() => {
      vhost.bindExchange('x', '', 'k');
    }, 'GW_ERR_ACCESS_REFUSED');
  });

  it('RabbitMQ exchange.bind: the default exchange cannot be a destination either -> ACCESS_REFUSED', () => {
    expectBrokerError(() => {
      vhost.bindExchange('', 'amq.fanout', '');
    }, 'GW_ERR_ACCESS_REFUSED');
    expectBrokerError(() => {
      vhost.unbindExchange('', 'amq.fanout', '');
    }, 'GW_ERR_ACCESS_REFUSED');
  });
});

describe('internal exchange', () => {
  it('AMQP 0-9-1 exchange.declare internal: cannot be published to -> ACCESS_REFUSED, but routes from another exchange', () => {
    vhost.declareExchange({ name: 'inner', type: 'fanout', internal: true });
    vhost.declareQueue({ name: 'q' });
    vhost.bindQueue('q', 'inner', '');
    expectBrokerError(() => vhost.publish(msg({ exchange: 'inner' })), 'GW_ERR_ACCESS_REFUSED');
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
    vhost.bindExchange('inner', 'amq.fanout', '');
    expect(vhost.publish(msg({ exchange: 'amq.fanout' })).status).toBe('routed');
    expect(vhost.queueInfo('q')?.messageCount).toBe(1);
  });
});
