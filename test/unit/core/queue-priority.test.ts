/** Priority queues (RabbitMQ x-max-priority). */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import { drainBodies, newVhost, RecordingSink, sendTo } from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vhost = newVhost();
  vhost.declareQueue({ name: 'pq', arguments: { 'x-max-priority': 5 } });
});

function send(queue: string, body: string, priority: number | undefined): void {
  sendTo(vhost, queue, body, priority === undefined ? {} : { properties: { priority } });
}

describe('x-max-priority', () => {
  it('RabbitMQ priority queue: higher priority first, FIFO within a priority, no priority = 0', () => {
    send('pq', 'p1', 1);
    send('pq', 'p5a', 5);
    send('pq', 'none', undefined);
    send('pq', 'p3', 3);
    send('pq', 'p5b', 5);
    send('pq', 'p0', 0);
    expect(drainBodies(vhost, 'pq')).toEqual(['p5a', 'p5b', 'p3', 'p1', 'none', 'p0']);
  });

  it('RabbitMQ: a priority above x-max-priority counts as the maximum', () => {
    send('pq', 'p5', 5);
    send('pq', 'p200', 200);
    send('pq', 'p4', 4);
    expect(drainBodies(vhost, 'pq')).toEqual(['p5', 'p200', 'p4']);
  });

  it('a queue without x-max-priority ignores priorities', () => {
    vhost.declareQueue({ name: 'fifo' });
    send('fifo', 'a', 0);
    send('fifo', 'b', 9);
    send('fifo', 'c', 3);
    expect(drainBodies(vhost, 'fifo')).toEqual(['a', 'b', 'c']);
  });

  it('consumers get the highest priority ready message', () => {
    const sink = new RecordingSink();
    vhost.consume('pq', sink, { prefetch: 1 });
    send('pq', 'low', 1); // delivered at once: the consumer was idle
    send('pq', 'low2', 1);
    send('pq', 'high', 4);
    sink.at(0).ack();
    expect(sink.bodies()).toEqual(['low', 'high']);
  });

  it('a requeued message goes back to its place within its priority', () => {
    send('pq', 'h1', 4);
    send('pq', 'h2', 4);
    send('pq', 'l1', 1);
    const r = vhost.get('pq');
    expect(r?.delivery.message.body.toString()).toBe('h1');
    r?.delivery.nack(true);
    expect(drainBodies(vhost, 'pq')).toEqual(['h1', 'h2', 'l1']);
  });

  it('a negative, fractional or NaN priority from an adapter is clamped into 0..max, not fatal', () => {
    send('pq', 'neg', -3);
    send('pq', 'frac', 2.5);
    send('pq', 'nan', Number.NaN);
    send('pq', 'p3', 3);
    expect(drainBodies(vhost, 'pq')).toEqual(['p3', 'frac', 'neg', 'nan']);
    vhost.declareQueue({ name: 'fifo' });
    send('fifo', 'nan', Number.NaN);
    send('fifo', 'frac', 0.5);
    expect(drainBodies(vhost, 'fifo')).toEqual(['nan', 'frac']);
  });
});
