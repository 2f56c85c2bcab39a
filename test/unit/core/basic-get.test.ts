/** Pulling one message (AMQP 0-9-1 basic.get). */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import { bodyOf, expectBrokerError, newVhost, RecordingSink, sendTo } from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vhost = newVhost();
  vhost.declareQueue({ name: 'q' });
});

describe('get', () => {
  it('AMQP 0-9-1 basic.get-empty: undefined when the queue is empty', () => {
    expect(vhost.get('q')).toBeUndefined();
    expect(vhost.get('q', { noAck: true })).toBeUndefined();
  });

  it('AMQP 0-9-1 basic.get-ok: one message at a time, in order, with the count left', () => {
    for (const b of ['a', 'b', 'c']) sendTo(vhost, 'q', b);
    const first = vhost.get('q', { noAck: true });
    expect(first && bodyOf(first.delivery)).toBe('a');
    expect(first?.messageCount).toBe(2);
    const second = vhost.get('q', { noAck: true });
    expect(second && bodyOf(second.delivery)).toBe('b');
    expect(second?.messageCount).toBe(1);
  });

  it('without no-ack the message is held until acked', () => {
    sendTo(vhost, 'q', 'a');
    const r = vhost.get('q');
    if (!r) throw new Error('empty');
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
    expect(r.delivery.redelivered).toBe(false);
    r.delivery.ack();
    expectBrokerError(() => {
      r.delivery.ack();
    }, 'GW_ERR_PRECONDITION_FAILED');
    expect(vhost.get('q')).toBeUndefined();
  });

  it('a got message nacked with requeue comes back first, redelivered', () => {
    sendTo(vhost, 'q', 'a');
    sendTo(vhost, 'q', 'b');
    vhost.get('q')?.delivery.nack(true);
    const again = vhost.get('q');
    expect(
      again && [bodyOf(again.delivery), again.delivery.redelivered, again.delivery.deliveryCount],
    ).toEqual(['a', true, 1]);
  });

  it('a requeued got message goes to a waiting consumer', () => {
    sendTo(vhost, 'q', 'a');
    const r = vhost.get('q');
    const sink = new RecordingSink();
    vhost.consume('q', sink);
    expect(sink.deliveries).toHaveLength(0);
    r?.delivery.nack(true);
    expect(sink.bodies()).toEqual(['a']);
  });

  it('a no-ack get needs no settle and cannot be settled', () => {
    sendTo(vhost, 'q', 'a');
    const r = vhost.get('q', { noAck: true });
    expectBrokerError(() => {
      r?.delivery.nack(true);
    }, 'GW_ERR_PRECONDITION_FAILED');
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
  });

  it('get from a missing queue -> NOT_FOUND', () => {
    expectBrokerError(() => vhost.get('nope'), 'GW_ERR_NOT_FOUND');
  });
});
