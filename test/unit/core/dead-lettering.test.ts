/** Dead-lettering (RabbitMQ DLX): x-dead-letter-exchange / -routing-key, the x-death header,
 * x-first-death-*, and cycle detection. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import type { HeaderTable, HeaderValue } from '../../../src/spi.js';
import { drainBodies, getOne, msg, newVhost, RecordingSink } from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vhost = newVhost();
});

afterEach(() => {
  vi.useRealTimers();
});

function deaths(headers: HeaderTable): HeaderTable[] {
  const v: HeaderValue | undefined = headers['x-death'];
  if (!Array.isArray(v)) throw new Error('no x-death array');
  return v as HeaderTable[];
}

/** Take the only ready message of `queue` with a consumer and nack it without requeue. */
function rejectOne(queue: string): void {
  const r = vhost.get(queue);
  if (!r) throw new Error(`queue '${queue}' is empty`);
  r.delivery.nack(false);
}

describe('dead-letter routing', () => {
  it('RabbitMQ DLX: a rejected message goes to x-dead-letter-exchange with its original routing key', () => {
    vhost.declareExchange({ name: 'dlx', type: 'topic' });
    vhost.declareQueue({ name: 'dlq' });
    vhost.bindQueue('dlq', 'dlx', 'orders.#');
    vhost.declareQueue({ name: 'work', arguments: { 'x-dead-letter-exchange': 'dlx' } });
    vhost.bindQueue('work', 'amq.topic', 'orders.*');
    vhost.publish(msg({ exchange: 'amq.topic', routingKey: 'orders.eu', body: 'o1' }));
    rejectOne('work');
    const dead = getOne(vhost, 'dlq');
    expect(dead.body.toString()).toBe('o1');
    expect(dead.exchange).toBe('dlx');
    expect(dead.routingKey).toBe('orders.eu');
  });

  it('RabbitMQ DLX: x-dead-letter-routing-key replaces the routing key', () => {
    vhost.declareQueue({ name: 'dlq' });
    vhost.declareQueue({
      name: 'work',
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' },
    });
    vhost.publish(msg({ exchange: '', routingKey: 'work', body: 'a' }));
    rejectOne('work');
    const dead = getOne(vhost, 'dlq');
    expect(dead.routingKey).toBe('dlq');
    expect(dead.body.toString()).toBe('a');
  });

  it('without a DLX, a rejected message is dropped', () => {
    vhost.declareQueue({ name: 'work' });
    vhost.publish(msg({ exchange: '', routingKey: 'work' }));
    rejectOne('work');
    expect(vhost.queueInfo('work')?.messageCount).toBe(0);
  });

  it('a DLX that does not exist drops the message without an error', () => {
    vhost.declareQueue({ name: 'work', arguments: { 'x-dead-letter-exchange': 'missing' } });
    vhost.publish(msg({ exchange: '', routingKey: 'work' }));
    expect(() => {
      rejectOne('work');
    }).not.toThrow();
    expect(vhost.queueInfo('work')?.messageCount).toBe(0);
  });

  it('RabbitMQ DLX: the dead-letter exchange may be internal (only client publishes are refused)', () => {
    vhost.declareExchange({ name: 'dlx', type: 'fanout', internal: true });
    vhost.declareQueue({ name: 'dlq' });
    vhost.bindQueue('dlq', 'dlx', '');
    vhost.declareQueue({ name: 'work', arguments: { 'x-dead-letter-exchange': 'dlx' } });
    vhost.publish(msg({ exchange: '', routingKey: 'work', body: 'a' }));
    rejectOne('work');
    expect(drainBodies(vhost, 'dlq')).toEqual(['a']);
  });

  it('deleting a queue does not dead-letter its messages (RabbitMQ)', () => {
    vhost.declareQueue({ name: 'dlq' });
    vhost.declareQueue({
      name: 'work',
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' },
    });
    vhost.publish(msg({ exchange: '', routingKey: 'work' }));
    vhost.deleteQueue('work');
    expect(vhost.queueInfo('dlq')?.messageCount).toBe(0);
  });

  it('body, properties and headers are kept', () => {
    vhost.declareQueue({ name: 'dlq' });
    vhost.declareQueue({
      name: 'work',
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' },
    });
    vhost.publish(
      msg({
        exchange: '',
        routingKey: 'work',
        body: 'payload',
        headers: { app: 'x', n: 1 },
        properties: { correlationId: 'c-1', persistent: true, priority: 3 },
      }),
    );
    rejectOne('work');
    const dead = getOne(vhost, 'dlq');
    expect(dead.body.toString()).toBe('payload');
    expect(dead.headers['app']).toBe('x');
    expect(dead.headers['n']).toBe(1);
    expect(dead.properties).toMatchObject({ correlationId: 'c-1', persistent: true, priority: 3 });
  });
});

describe('x-death', () => {
  it('RabbitMQ x-death: count, reason, queue, time, exchange and routing-keys; x-first-death-*', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-02T03:04:05.678Z'));
    vhost.declareQueue({ name: 'dlq' });
    vhost.declareQueue({
      name: 'work',
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' },
    });
    vhost.bindQueue('work', 'amq.direct', 'rk');
    vhost.publish(msg({ exchange: 'amq.direct', routingKey: 'rk' }));
    rejectOne('work');
    const dead = getOne(vhost, 'dlq');
    expect(deaths(dead.headers)).toEqual([
      {
        count: 1,
        reason: 'rejected',
        queue: 'work',
        time: new Date('2026-01-02T03:04:05.000Z'),
        exchange: 'amq.direct',
        'routing-keys': ['rk'],
      },
    ]);
    expect(dead.headers['x-first-death-reason']).toBe('rejected');
    expect(dead.headers['x-first-death-queue']).toBe('work');
    expect(dead.headers['x-first-death-exchange']).toBe('amq.direct');
  });

  it('RabbitMQ x-death: a second death in the same queue for the same reason increments count; newest first; x-first-death-* stay', () => {
    vi.useFakeTimers();
    // The retry pattern: work --reject--> retry (TTL) --expire--> work.
    vhost.declareQueue({
      name: 'work',
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'retry' },
    });
    vhost.declareQueue({
      name: 'retry',
      arguments: {
        'x-message-ttl': 100,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'work',
      },
    });
    vhost.publish(msg({ exchange: '', routingKey: 'work', body: 'job' }));
    rejectOne('work');
    vi.advanceTimersByTime(100);
    const once = vhost.get('work');
    if (!once) throw new Error('the job did not come back');
    expect(
      deaths(once.delivery.message.headers).map((d) => [d['queue'], d['reason'], d['count']]),
    ).toEqual([
      ['retry', 'expired', 1],
      ['work', 'rejected', 1],
    ]);
    once.delivery.nack(false);
    vi.advanceTimersByTime(100);
    const twice = getOne(vhost, 'work');
    expect(deaths(twice.headers).map((d) => [d['queue'], d['reason'], d['count']])).toEqual([
      ['retry', 'expired', 2],
      ['work', 'rejected', 2],
    ]);
    expect(twice.headers['x-first-death-reason']).toBe('rejected');
    expect(twice.headers['x-first-death-queue']).toBe('work');
    expect(twice.body.toString()).toBe('job');
  });
});

describe('dead-letter cycles', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  it('RabbitMQ DLX cycle: a message expiring in a queue that dead-letters to itself is dropped', () => {
    vhost.declareQueue({
      name: 'loop',
      arguments: {
        'x-message-ttl': 100,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'loop',
      },
    });
    vhost.publish(msg({ exchange: '', routingKey: 'loop', body: 'a' }));
    vi.advanceTimersByTime(100);
    expect(vhost.queueInfo('loop')?.messageCount).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RabbitMQ DLX cycle: q1 -> q2 -> q1 by expiry is dropped before it reaches q1 again', () => {
    vhost.declareQueue({
      name: 'q1',
      arguments: {
        'x-message-ttl': 100,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'q2',
      },
    });
    vhost.declareQueue({
      name: 'q2',
      arguments: {
        'x-message-ttl': 100,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'q1',
      },
    });
    const sink = new RecordingSink();
    vhost.publish(msg({ exchange: '', routingKey: 'q1', body: 'a' }));
    vi.advanceTimersByTime(100);
    expect(vhost.queueInfo('q2')?.messageCount).toBe(1);
    vhost.consume('q1', sink);
    vi.advanceTimersByTime(100);
    expect(sink.deliveries).toHaveLength(0);
    expect(vhost.queueInfo('q1')?.messageCount).toBe(0);
    expect(vhost.queueInfo('q2')?.messageCount).toBe(0);
  });

  it('RabbitMQ DLX: a cycle with a rejection in it is not a cycle (the client asked for it)', () => {
    vhost.declareQueue({
      name: 'self',
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'self' },
    });
    vhost.publish(msg({ exchange: '', routingKey: 'self', body: 'a' }));
    rejectOne('self');
    rejectOne('self');
    const m = getOne(vhost, 'self');
    expect(deaths(m.headers)).toEqual([
      expect.objectContaining({ queue: 'self', reason: 'rejected', count: 2 }),
    ]);
  });

  it('a fanout DLX drops only the cycling destination; other dead-letter queues still get it', () => {
    vhost.declareExchange({ name: 'dlx', type: 'fanout' });
    vhost.declareQueue({ name: 'audit' });
    vhost.declareQueue({
      name: 'q',
      arguments: { 'x-message-ttl': 100, 'x-dead-letter-exchange': 'dlx' },
    });
    vhost.bindQueue('audit', 'dlx', '');
    vhost.bindQueue('q', 'dlx', '');
    vhost.publish(msg({ exchange: '', routingKey: 'q', body: 'a' }));
    vi.advanceTimersByTime(100);
    expect(drainBodies(vhost, 'audit')).toEqual(['a']);
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
  });
});
