/** Message TTL: x-message-ttl and per-message expiration (RabbitMQ TTL semantics), on fake
 * timers (Queue uses Date.now and setTimeout). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import {
  drainBodies,
  expectBrokerError,
  getOne,
  msg,
  newVhost,
  RecordingSink,
  sendTo,
} from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vi.useFakeTimers();
  vhost = newVhost();
  vhost.declareQueue({ name: 'dlq' });
});

afterEach(() => {
  vi.useRealTimers();
});

function withDlx(name: string, args: Record<string, number | string> = {}): void {
  vhost.declareQueue({
    name,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq', ...args },
  });
}

describe('x-message-ttl', () => {
  it('RabbitMQ x-message-ttl: a message left unconsumed for the TTL leaves the queue', () => {
    vhost.declareQueue({ name: 'q', arguments: { 'x-message-ttl': 1000 } });
    sendTo(vhost, 'q', 'a');
    vi.advanceTimersByTime(999);
    expect(vhost.queueInfo('q')?.messageCount).toBe(1);
    vi.advanceTimersByTime(1);
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
  });

  it('RabbitMQ DLX: an expired message is dead-lettered with reason expired', () => {
    withDlx('q', { 'x-message-ttl': 1000 });
    sendTo(vhost, 'q', 'a');
    sendTo(vhost, 'q', 'b');
    vi.advanceTimersByTime(1000);
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
    const dead = [getOne(vhost, 'dlq'), getOne(vhost, 'dlq')];
    expect(dead.map((m) => m.body.toString())).toEqual(['a', 'b']);
    for (const m of dead) {
      expect(m.headers['x-first-death-reason']).toBe('expired');
      expect(m.headers['x-death']).toEqual([
        expect.objectContaining({ reason: 'expired', queue: 'q', count: 1 }),
      ]);
    }
  });

  it('each message has its own deadline, counted from its enqueue', () => {
    withDlx('q', { 'x-message-ttl': 1000 });
    sendTo(vhost, 'q', 'early');
    vi.advanceTimersByTime(600);
    sendTo(vhost, 'q', 'late');
    vi.advanceTimersByTime(400);
    expect(drainBodies(vhost, 'dlq')).toEqual(['early']);
    expect(vhost.queueInfo('q')?.messageCount).toBe(1);
    vi.advanceTimersByTime(600);
    expect(drainBodies(vhost, 'dlq')).toEqual(['late']);
  });

  it('an expired message is never handed to a consumer that comes later', () => {
    vhost.declareQueue({ name: 'q', arguments: { 'x-message-ttl': 100 } });
    sendTo(vhost, 'q', 'a');
    vi.advanceTimersByTime(100);
    const sink = new RecordingSink();
    vhost.consume('q', sink);
    expect(sink.deliveries).toHaveLength(0);
    expect(vhost.get('q')).toBeUndefined();
  });

  it('RabbitMQ x-message-ttl = 0: delivered at once to a waiting consumer, else expires at once', () => {
    withDlx('q', { 'x-message-ttl': 0 });
    sendTo(vhost, 'q', 'nobody-there');
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
    expect(drainBodies(vhost, 'dlq')).toEqual(['nobody-there']);
    const sink = new RecordingSink();
    vhost.consume('q', sink);
    sendTo(vhost, 'q', 'consumer-waiting');
    expect(sink.bodies()).toEqual(['consumer-waiting']);
    expect(drainBodies(vhost, 'dlq')).toEqual([]);
  });

  it('a delivered (unacked) message does not expire; requeued after its deadline it is dead-lettered', () => {
    withDlx('q', { 'x-message-ttl': 1000 });
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink);
    sendTo(vhost, 'q', 'a');
    vi.advanceTimersByTime(5000);
    expect(drainBodies(vhost, 'dlq')).toEqual([]);
    c.cancel(); // requeues it, long past its deadline
    vi.advanceTimersByTime(0);
    expect(vhost.get('q')).toBeUndefined();
    expect(drainBodies(vhost, 'dlq')).toEqual(['a']);
  });
});

describe('per-message expiration', () => {
  it('AMQP 0-9-1 basic.properties expiration (ms as a string) expires the message', () => {
    withDlx('q');
    sendTo(vhost, 'q', 'a', { properties: { expiration: '500' } });
    sendTo(vhost, 'q', 'forever');
    vi.advanceTimersByTime(500);
    expect(drainBodies(vhost, 'dlq')).toEqual(['a']);
    expect(drainBodies(vhost, 'q')).toEqual(['forever']);
  });

  it('RabbitMQ: the lower of x-message-ttl and expiration applies', () => {
    withDlx('q', { 'x-message-ttl': 1000 });
    sendTo(vhost, 'q', 'short', { properties: { expiration: '200' } });
    vi.advanceTimersByTime(200);
    expect(drainBodies(vhost, 'dlq')).toEqual(['short']);
    sendTo(vhost, 'q', 'long', { properties: { expiration: '5000' } });
    vi.advanceTimersByTime(1000);
    expect(drainBodies(vhost, 'dlq')).toEqual(['long']);
  });

  it('RabbitMQ: a message that expired behind a longer-lived head is never delivered', () => {
    withDlx('q');
    sendTo(vhost, 'q', 'head', { properties: { expiration: '10000' } });
    sendTo(vhost, 'q', 'behind', { properties: { expiration: '100' } });
    vi.advanceTimersByTime(200);
    const sink = new RecordingSink((d) => {
      d.ack();
    });
    vhost.consume('q', sink);
    expect(sink.bodies()).toEqual(['head']);
    expect(drainBodies(vhost, 'dlq')).toEqual(['behind']);
  });

  it('the dead-lettered copy loses its expiration and keeps it as x-death original-expiration', () => {
    withDlx('q');
    sendTo(vhost, 'q', 'a', { properties: { expiration: '300', contentType: 'text/plain' } });
    vi.advanceTimersByTime(300);
    // It does not expire again in the dead-letter queue.
    vi.advanceTimersByTime(10_000);
    expect(vhost.queueInfo('dlq')?.messageCount).toBe(1);
    const dead = getOne(vhost, 'dlq');
    expect(dead.properties.expiration).toBeUndefined();
    expect(dead.properties.contentType).toBe('text/plain');
    expect(dead.headers['x-death']).toEqual([
      expect.objectContaining({ 'original-expiration': '300' }),
    ]);
  });

  it.each(['-1', 'soon', '1.5', ''])(
    'AMQP 0-9-1: an invalid expiration %j -> PRECONDITION_FAILED',
    (expiration) => {
      vhost.declareQueue({ name: 'q' });
      expectBrokerError(
        () => vhost.publish(msg({ exchange: '', routingKey: 'q', properties: { expiration } })),
        'GW_ERR_PRECONDITION_FAILED',
      );
      expect(vhost.queueInfo('q')?.messageCount).toBe(0);
    },
  );

  it('AMQP 0-9-1 basic.publish (RabbitMQ check_expiration): an invalid expiration is refused before routing, even when unroutable', () => {
    expectBrokerError(
      () =>
        vhost.publish(
          msg({ exchange: 'amq.direct', routingKey: 'nobody', properties: { expiration: 'soon' } }),
        ),
      'GW_ERR_PRECONDITION_FAILED',
    );
    // A full reject-publish queue first in line does not hide it from the queues after it.
    vhost.declareQueue({
      name: 'full',
      arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' },
    });
    vhost.declareQueue({ name: 'open' });
    vhost.bindQueue('full', 'amq.fanout', '');
    vhost.bindQueue('open', 'amq.fanout', '');
    expectBrokerError(
      () => vhost.publish(msg({ exchange: 'amq.fanout', properties: { expiration: '-5' } })),
      'GW_ERR_PRECONDITION_FAILED',
    );
    expect(vhost.queueInfo('open')?.messageCount).toBe(0);
  });

  it('expiration "0" expires at once unless a consumer is waiting', () => {
    withDlx('q');
    sendTo(vhost, 'q', 'a', { properties: { expiration: '0' } });
    expect(drainBodies(vhost, 'dlq')).toEqual(['a']);
  });
});
