/** x-max-length / x-max-length-bytes with x-overflow drop-head | reject-publish |
 * reject-publish-dlx (RabbitMQ maxlength semantics). */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import type { Arguments } from '../../../src/spi.js';
import { drainBodies, getOne, msg, newVhost, RecordingSink } from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vhost = newVhost();
  vhost.declareQueue({ name: 'dlq' });
});

function limited(name: string, args: Arguments): void {
  vhost.declareQueue({
    name,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq', ...args },
  });
}

function publish(queue: string, body: string) {
  return vhost.publish(msg({ exchange: '', routingKey: queue, body }));
}

describe('drop-head (the default)', () => {
  it('RabbitMQ x-max-length: the oldest messages make room and are dead-lettered with reason maxlen', () => {
    limited('q', { 'x-max-length': 2 });
    for (const b of ['1', '2', '3', '4']) expect(publish('q', b).status).toBe('routed');
    expect(drainBodies(vhost, 'q')).toEqual(['3', '4']);
    const dropped = [getOne(vhost, 'dlq'), getOne(vhost, 'dlq')];
    expect(dropped.map((m) => m.body.toString())).toEqual(['1', '2']);
    expect(dropped[0]?.headers['x-death']).toEqual([
      expect.objectContaining({ reason: 'maxlen', queue: 'q' }),
    ]);
  });

  it('RabbitMQ x-max-length-bytes: counts body bytes', () => {
    limited('q', { 'x-max-length-bytes': 10 });
    publish('q', 'aaaa');
    publish('q', 'bbbb');
    publish('q', 'cc');
    expect(vhost.queueInfo('q')?.messageCount).toBe(3);
    publish('q', 'd');
    expect(drainBodies(vhost, 'q')).toEqual(['bbbb', 'cc', 'd']);
    expect(drainBodies(vhost, 'dlq')).toEqual(['aaaa']);
  });

  it('a message larger than x-max-length-bytes on its own does not stay', () => {
    limited('q', { 'x-max-length-bytes': 3 });
    publish('q', 'ok');
    publish('q', 'far-too-big');
    expect(drainBodies(vhost, 'q')).toEqual([]);
    expect(drainBodies(vhost, 'dlq')).toEqual(['ok', 'far-too-big']);
  });

  it('RabbitMQ: only ready messages count, not unacked ones', () => {
    limited('q', { 'x-max-length': 1 });
    const sink = new RecordingSink();
    vhost.consume('q', sink, { prefetch: 1 });
    publish('q', 'held');
    publish('q', 'ready');
    expect(sink.bodies()).toEqual(['held']);
    expect(vhost.queueInfo('q')?.messageCount).toBe(1);
    expect(drainBodies(vhost, 'dlq')).toEqual([]);
  });
});

describe('reject-publish', () => {
  it('RabbitMQ x-overflow reject-publish: a full queue refuses the message, names itself, and does not dead-letter it', () => {
    limited('q', { 'x-max-length': 1, 'x-overflow': 'reject-publish' });
    expect(publish('q', 'first')).toEqual({ status: 'routed', queues: 1 });
    expect(publish('q', 'second')).toEqual({ status: 'refused', queues: 0, refusedBy: 'q' });
    expect(drainBodies(vhost, 'q')).toEqual(['first']);
    expect(drainBodies(vhost, 'dlq')).toEqual([]);
    // Room again after a consume.
    expect(publish('q', 'third').status).toBe('routed');
  });

  it('RabbitMQ reject-publish: the other queues the message was routed to still got it', () => {
    limited('full', { 'x-max-length': 0, 'x-overflow': 'reject-publish' });
    vhost.declareQueue({ name: 'ok1' });
    vhost.declareQueue({ name: 'ok2' });
    for (const q of ['ok1', 'full', 'ok2']) vhost.bindQueue(q, 'amq.fanout', '');
    const r = vhost.publish(msg({ exchange: 'amq.fanout', body: 'x' }));
    expect(r).toEqual({ status: 'refused', queues: 2, refusedBy: 'full' });
    expect(drainBodies(vhost, 'ok1')).toEqual(['x']);
    expect(drainBodies(vhost, 'ok2')).toEqual(['x']);
  });

  it('x-max-length-bytes with reject-publish', () => {
    limited('q', { 'x-max-length-bytes': 5, 'x-overflow': 'reject-publish' });
    expect(publish('q', 'abc').status).toBe('routed');
    expect(publish('q', 'def').status).toBe('refused');
    expect(publish('q', 'gh').status).toBe('routed');
    expect(drainBodies(vhost, 'q')).toEqual(['abc', 'gh']);
  });
});

describe('reject-publish-dlx', () => {
  it('RabbitMQ x-overflow reject-publish-dlx: refused and dead-lettered with reason maxlen', () => {
    limited('q', { 'x-max-length': 1, 'x-overflow': 'reject-publish-dlx' });
    publish('q', 'first');
    expect(publish('q', 'second')).toEqual({ status: 'refused', queues: 0, refusedBy: 'q' });
    expect(drainBodies(vhost, 'q')).toEqual(['first']);
    const dead = getOne(vhost, 'dlq');
    expect(dead.body.toString()).toBe('second');
    expect(dead.headers['x-death']).toEqual([
      expect.objectContaining({ reason: 'maxlen', queue: 'q' }),
    ]);
  });
});
