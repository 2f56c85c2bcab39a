/** Settling deliveries: ack, nack with and without requeue, double settle, cancel. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import {
  drainBodies,
  expectBrokerError,
  getOne,
  newVhost,
  RecordingSink,
  sendTo,
} from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vhost = newVhost();
  vhost.declareQueue({ name: 'q' });
});

function publish(...bodies: string[]): void {
  for (const b of bodies) sendTo(vhost, 'q', b);
}

describe('ack', () => {
  it('AMQP 0-9-1 basic.ack: an acked message leaves the queue for good', () => {
    publish('a', 'b');
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink);
    expect(c.unsettled).toBe(2);
    sink.at(0).ack();
    expect(c.unsettled).toBe(1);
    c.cancel();
    // Only the unacked one came back.
    expect(drainBodies(vhost, 'q')).toEqual(['b']);
  });

  it('AMQP 0-9-1: settling a delivery twice -> PRECONDITION_FAILED (unknown delivery tag)', () => {
    publish('a', 'b', 'c');
    const sink = new RecordingSink();
    vhost.consume('q', sink);
    sink.at(0).ack();
    expectBrokerError(() => {
      sink.at(0).ack();
    }, 'GW_ERR_PRECONDITION_FAILED');
    expectBrokerError(() => {
      sink.at(0).nack(true);
    }, 'GW_ERR_PRECONDITION_FAILED');
    sink.at(1).nack(false);
    expectBrokerError(() => {
      sink.at(1).ack();
    }, 'GW_ERR_PRECONDITION_FAILED');
    // The failed settles changed nothing: c is still held, nothing was requeued.
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
    sink.at(2).ack();
  });

  it('AMQP 0-9-1 no-ack: deliveries are settled already; acking one -> PRECONDITION_FAILED', () => {
    publish('a');
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink, { noAck: true });
    expect(c.unsettled).toBe(0);
    expectBrokerError(() => {
      sink.at(0).ack();
    }, 'GW_ERR_PRECONDITION_FAILED');
    c.cancel();
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
  });
});

describe('nack', () => {
  it('AMQP 0-9-1 basic.nack requeue: back at its original position, redelivered, deliveryCount + 1', () => {
    publish('a', 'b', 'c');
    const ra = vhost.get('q');
    const rb = vhost.get('q');
    if (!ra || !rb) throw new Error('expected two messages');
    rb.delivery.nack(true);
    ra.delivery.nack(true);
    const sink = new RecordingSink();
    vhost.consume('q', sink);
    expect(sink.bodies()).toEqual(['a', 'b', 'c']);
    expect(sink.deliveries.map((d) => [d.redelivered, d.deliveryCount])).toEqual([
      [true, 1],
      [true, 1],
      [false, 0],
    ]);
  });

  it('AMQP 0-9-1 basic.reject requeue: redelivered to a consumer with room, counting deliveries', () => {
    publish('a');
    const sink = new RecordingSink((d) => {
      if (d.deliveryCount < 3) d.nack(true);
      else d.ack();
    });
    vhost.consume('q', sink);
    expect(sink.deliveries.map((d) => [d.redelivered, d.deliveryCount])).toEqual([
      [false, 0],
      [true, 1],
      [true, 2],
      [true, 3],
    ]);
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
  });

  it('AMQP 0-9-1 basic.nack without requeue: dead-lettered with reason rejected', () => {
    vhost.declareQueue({ name: 'dlq' });
    vhost.declareQueue({
      name: 'work',
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq' },
    });
    sendTo(vhost, 'work', 'bad');
    const sink = new RecordingSink();
    vhost.consume('work', sink);
    sink.at(0).nack(false);
    expect(vhost.queueInfo('work')?.messageCount).toBe(0);
    const dead = getOne(vhost, 'dlq');
    expect(dead.body.toString()).toBe('bad');
    expect(dead.headers['x-first-death-reason']).toBe('rejected');
  });

  it('AMQP 0-9-1 basic.nack without requeue and no DLX: dropped', () => {
    publish('a');
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink);
    sink.at(0).nack(false);
    c.cancel();
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
  });
});

describe('cancel', () => {
  it('cancel() requeues the unsettled deliveries at their original positions, marked redelivered', () => {
    publish('a', 'b', 'c', 'd');
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink, { prefetch: 2 });
    sink.at(1).ack(); // frees a slot: c is delivered; d stays ready
    expect(sink.bodies()).toEqual(['a', 'b', 'c']);
    c.cancel();
    expect(vhost.queueInfo('q')).toEqual({ name: 'q', messageCount: 3, consumerCount: 0 });
    const next = new RecordingSink();
    vhost.consume('q', next);
    expect(next.bodies()).toEqual(['a', 'c', 'd']);
    expect(next.deliveries.map((d) => d.redelivered)).toEqual([true, true, false]);
  });

  it('after cancel() requeued them, the old deliveries cannot be settled any more', () => {
    publish('a');
    const sink = new RecordingSink();
    vhost.consume('q', sink).cancel();
    expectBrokerError(() => {
      sink.at(0).ack();
    }, 'GW_ERR_PRECONDITION_FAILED');
    expect(vhost.queueInfo('q')?.messageCount).toBe(1);
  });

  it('cancel(false) keeps the unsettled deliveries settle-able (AMQP 0-9-1 basic.cancel keeps unacked on the channel)', () => {
    publish('a', 'b', 'c');
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink);
    c.cancel(false);
    expect(vhost.queueInfo('q')).toEqual({ name: 'q', messageCount: 0, consumerCount: 0 });
    sink.at(0).ack();
    sink.at(1).nack(true);
    sink.at(2).nack(false);
    expect(drainBodies(vhost, 'q')).toEqual(['b']);
    // Nothing more reaches the cancelled consumer.
    publish('d');
    expect(sink.deliveries).toHaveLength(3);
  });

  it('cancelling twice is harmless', () => {
    publish('a');
    const c = vhost.consume('q', new RecordingSink());
    c.cancel();
    c.cancel();
    expect(vhost.queueInfo('q')?.messageCount).toBe(1);
  });
});
