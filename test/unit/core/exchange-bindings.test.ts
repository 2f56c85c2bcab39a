/** Exchange-to-exchange bindings, alternate exchanges and auto-delete exchanges (RabbitMQ
 * extensions to AMQP 0-9-1; routing is rabbit_exchange:route/3's worklist). */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import { drainBodies, expectBrokerError, msg, newVhost } from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vhost = newVhost();
});

describe('exchange-to-exchange bindings', () => {
  it('RabbitMQ e2e: a message flows source -> destination exchange -> its queues, filtered by each binding', () => {
    vhost.declareExchange({ name: 'src', type: 'topic' });
    vhost.declareExchange({ name: 'dst', type: 'direct' });
    vhost.declareQueue({ name: 'q' });
    vhost.bindExchange('dst', 'src', 'orders.#');
    vhost.bindQueue('q', 'dst', 'orders.eu');
    expect(
      vhost.publish(msg({ exchange: 'src', routingKey: 'orders.eu', body: 'eu' })).status,
    ).toBe('routed');
    expect(vhost.publish(msg({ exchange: 'src', routingKey: 'orders.us' })).status).toBe(
      'unroutable',
    );
    expect(vhost.publish(msg({ exchange: 'src', routingKey: 'other.eu' })).status).toBe(
      'unroutable',
    );
    expect(drainBodies(vhost, 'q')).toEqual(['eu']);
  });

  it('a queue reachable along several paths gets the message once', () => {
    vhost.declareExchange({ name: 'a', type: 'fanout' });
    vhost.declareExchange({ name: 'b', type: 'fanout' });
    vhost.declareExchange({ name: 'c', type: 'fanout' });
    vhost.declareQueue({ name: 'q' });
    vhost.bindExchange('b', 'a', '');
    vhost.bindExchange('c', 'a', '');
    vhost.bindQueue('q', 'a', '');
    vhost.bindQueue('q', 'b', '');
    vhost.bindQueue('q', 'c', '');
    expect(vhost.publish(msg({ exchange: 'a', body: 'one' }))).toEqual({
      status: 'routed',
      queues: 1,
    });
    expect(drainBodies(vhost, 'q')).toEqual(['one']);
  });

  it('a cycle of exchanges terminates and each queue gets the message once', () => {
    for (const name of ['x1', 'x2', 'x3']) vhost.declareExchange({ name, type: 'fanout' });
    vhost.bindExchange('x2', 'x1', '');
    vhost.bindExchange('x3', 'x2', '');
    vhost.bindExchange('x1', 'x3', '');
    vhost.bindExchange('x1', 'x1', '');
    for (const q of ['q1', 'q2', 'q3']) vhost.declareQueue({ name: q });
    vhost.bindQueue('q1', 'x1', '');
    vhost.bindQueue('q2', 'x2', '');
    vhost.bindQueue('q3', 'x3', '');
    for (const start of ['x1', 'x2', 'x3']) {
      expect(vhost.publish(msg({ exchange: start, body: start }))).toEqual({
        status: 'routed',
        queues: 3,
      });
    }
    for (const q of ['q1', 'q2', 'q3']) expect(drainBodies(vhost, q)).toEqual(['x1', 'x2', 'x3']);
  });

  it('binding from or to a missing exchange -> NOT_FOUND', () => {
    vhost.declareExchange({ name: 'x', type: 'fanout' });
    expectBrokerError(() => {
      vhost.bindExchange('x', 'missing', '');
    }, 'GW_ERR_NOT_FOUND');
    expectBrokerError(() => {
      vhost.bindExchange('missing', 'x', '');
    }, 'GW_ERR_NOT_FOUND');
    expectBrokerError(() => {
      vhost.bindQueue('missing-q', 'x', '');
    }, 'GW_ERR_NOT_FOUND');
    vhost.declareQueue({ name: 'q' });
    expectBrokerError(() => {
      vhost.bindQueue('q', 'missing', '');
    }, 'GW_ERR_NOT_FOUND');
  });

  it('unbindExchange stops the flow; deleting the destination exchange drops the binding', () => {
    vhost.declareExchange({ name: 'src', type: 'fanout' });
    vhost.declareExchange({ name: 'dst', type: 'fanout' });
    vhost.declareQueue({ name: 'q' });
    vhost.bindQueue('q', 'dst', '');
    vhost.bindExchange('dst', 'src', '');
    vhost.unbindExchange('dst', 'src', '');
    expect(vhost.publish(msg({ exchange: 'src' })).status).toBe('unroutable');
    vhost.bindExchange('dst', 'src', '');
    vhost.deleteExchange('dst');
    expect(vhost.exchange('src')?.bindings.size).toBe(0);
    expect(vhost.publish(msg({ exchange: 'src' })).status).toBe('unroutable');
  });
});

describe('alternate exchange', () => {
  beforeEach(() => {
    vhost.declareExchange({ name: 'ae', type: 'fanout' });
    vhost.declareExchange({ name: 'x', type: 'direct', arguments: { 'alternate-exchange': 'ae' } });
    vhost.declareQueue({ name: 'matched' });
    vhost.declareQueue({ name: 'unrouted' });
    vhost.bindQueue('matched', 'x', 'k');
    vhost.bindQueue('unrouted', 'ae', '');
  });

  it('RabbitMQ alternate-exchange: a message nothing matched goes to the AE', () => {
    const r = vhost.publish(msg({ exchange: 'x', routingKey: 'other', body: 'lost' }));
    expect(r).toEqual({ status: 'routed', queues: 1 });
    expect(drainBodies(vhost, 'unrouted')).toEqual(['lost']);
    expect(drainBodies(vhost, 'matched')).toEqual([]);
  });

  it('RabbitMQ alternate-exchange: the AE is not used when a binding matched', () => {
    vhost.publish(msg({ exchange: 'x', routingKey: 'k', body: 'hit' }));
    expect(drainBodies(vhost, 'matched')).toEqual(['hit']);
    expect(drainBodies(vhost, 'unrouted')).toEqual([]);
  });

  it('an AE that is missing or routes nowhere leaves the message unroutable', () => {
    vhost.unbindQueue('unrouted', 'ae', '');
    expect(vhost.publish(msg({ exchange: 'x', routingKey: 'other' })).status).toBe('unroutable');
    vhost.declareExchange({
      name: 'x2',
      type: 'direct',
      arguments: { 'alternate-exchange': 'never-declared' },
    });
    expect(vhost.publish(msg({ exchange: 'x2', routingKey: 'other' })).status).toBe('unroutable');
  });

  it('RabbitMQ alternate-exchange: the AE may be internal', () => {
    vhost.declareExchange({ name: 'ae-internal', type: 'fanout', internal: true });
    vhost.declareExchange({
      name: 'x3',
      type: 'direct',
      arguments: { 'alternate-exchange': 'ae-internal' },
    });
    vhost.bindQueue('unrouted', 'ae-internal', '');
    vhost.publish(msg({ exchange: 'x3', routingKey: 'nothing', body: 'via-internal-ae' }));
    expect(drainBodies(vhost, 'unrouted')).toEqual(['via-internal-ae']);
  });

  it('AEs chain, and a cycle of AEs terminates', () => {
    vhost.declareExchange({ name: 'ae2', type: 'fanout' });
    vhost.declareExchange({
      name: 'a1',
      type: 'direct',
      arguments: { 'alternate-exchange': 'a2' },
    });
    vhost.declareExchange({
      name: 'a2',
      type: 'direct',
      arguments: { 'alternate-exchange': 'a1' },
    });
    expect(vhost.publish(msg({ exchange: 'a1', routingKey: 'k' })).status).toBe('unroutable');
    vhost.declareExchange({ name: 'a3', type: 'direct', arguments: { 'alternate-exchange': 'x' } });
    vhost.publish(msg({ exchange: 'a3', routingKey: 'nothing', body: 'via-x-to-ae' }));
    expect(drainBodies(vhost, 'unrouted')).toEqual(['via-x-to-ae']);
  });
});

describe('auto-delete exchange', () => {
  it('RabbitMQ auto_delete exchange: removed when its last binding goes, not before it had one', () => {
    vhost.declareExchange({ name: 'ad', type: 'fanout', autoDelete: true });
    vhost.declareQueue({ name: 'q1' });
    vhost.declareQueue({ name: 'q2' });
    expect(vhost.exchangeExists('ad')).toBe(true);
    vhost.bindQueue('q1', 'ad', '');
    vhost.bindQueue('q2', 'ad', '');
    vhost.unbindQueue('q1', 'ad', '');
    expect(vhost.exchangeExists('ad')).toBe(true);
    vhost.unbindQueue('q2', 'ad', '');
    expect(vhost.exchangeExists('ad')).toBe(false);
  });

  it('also when the last binding goes because its queue was deleted', () => {
    vhost.declareExchange({ name: 'ad', type: 'fanout', autoDelete: true });
    vhost.declareQueue({ name: 'q' });
    vhost.bindQueue('q', 'ad', '');
    vhost.deleteQueue('q');
    expect(vhost.exchangeExists('ad')).toBe(false);
  });
});
