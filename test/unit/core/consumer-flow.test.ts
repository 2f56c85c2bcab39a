/** Flow control of a consumer: prefetch, no-ack, credit and drain, sink backpressure, and a sink
 * that settles inside deliver. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import { newVhost, RecordingSink, sendTo } from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vhost = newVhost();
  vhost.declareQueue({ name: 'q' });
});

function publishN(n: number, from = 0): void {
  for (let i = from; i < from + n; i++) sendTo(vhost, 'q', `m${i}`);
}

describe('prefetch', () => {
  it('AMQP 0-9-1 basic.qos prefetch-count: never more than N unsettled; an ack frees one slot', () => {
    publishN(5);
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink, { prefetch: 2 });
    expect(sink.bodies()).toEqual(['m0', 'm1']);
    expect(c.unsettled).toBe(2);
    sink.at(0).ack();
    expect(sink.bodies()).toEqual(['m0', 'm1', 'm2']);
    expect(c.unsettled).toBe(2);
    sink.at(1).nack(false);
    sink.at(2).ack();
    expect(sink.bodies()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
  });

  it('holds for messages published after the consumer started', () => {
    const sink = new RecordingSink();
    vhost.consume('q', sink, { prefetch: 1 });
    publishN(3);
    expect(sink.bodies()).toEqual(['m0']);
    expect(vhost.queueInfo('q')?.messageCount).toBe(2);
  });

  it('setPrefetch raises (or removes, with 0) the limit at once', () => {
    publishN(5);
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink, { prefetch: 1 });
    c.setPrefetch(3);
    expect(sink.deliveries).toHaveLength(3);
    c.setPrefetch(0);
    expect(sink.deliveries).toHaveLength(5);
  });

  it('AMQP 0-9-1: prefetch does not apply to a no-ack consumer', () => {
    publishN(4);
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink, { prefetch: 1, noAck: true });
    expect(sink.deliveries).toHaveLength(4);
    expect(c.unsettled).toBe(0);
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
  });
});

describe('credit (AMQP 1.0 link credit)', () => {
  it('each delivery uses one credit; nothing flows at 0 credit', () => {
    publishN(5);
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink, { credit: 2 });
    expect(sink.bodies()).toEqual(['m0', 'm1']);
    // Acks free prefetch slots, not credit.
    sink.at(0).ack();
    sink.at(1).ack();
    expect(sink.deliveries).toHaveLength(2);
    c.setCredit(0);
    expect(sink.deliveries).toHaveLength(2);
    c.setCredit(2);
    expect(sink.bodies()).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('a consumer that starts with 0 credit gets nothing until credit is granted', () => {
    publishN(2);
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink, { credit: 0 });
    expect(sink.deliveries).toHaveLength(0);
    c.setCredit(10);
    expect(sink.deliveries).toHaveLength(2);
  });

  it('AMQP 1.0 drain: delivers what is ready within the credit, returns the unused credit, then 0', () => {
    publishN(2);
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink, { credit: 0 });
    c.setCredit(5);
    expect(c.drain()).toBe(3);
    expect(sink.deliveries).toHaveLength(2);
    publishN(1, 2);
    expect(sink.deliveries).toHaveLength(2);
    expect(c.drain()).toBe(0);
    c.setCredit(1);
    expect(sink.bodies()).toEqual(['m0', 'm1', 'm2']);
  });

  it('credit and prefetch both apply', () => {
    publishN(5);
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink, { credit: 10, prefetch: 2 });
    expect(sink.deliveries).toHaveLength(2);
    sink.at(0).ack();
    expect(sink.deliveries).toHaveLength(3);
    expect(c.drain()).toBe(7);
  });
});

describe('backpressure', () => {
  it('a sink that returns false gets no more until resume(); the others keep receiving', () => {
    const slow = new RecordingSink();
    slow.accept = false;
    const fast = new RecordingSink();
    const slowConsumer = vhost.consume('q', slow);
    vhost.consume('q', fast, { prefetch: 2 });
    publishN(5);
    // The slow sink took one (it was accepted), then stopped; the fast one filled its prefetch.
    expect(slow.bodies()).toEqual(['m0']);
    expect(fast.bodies()).toEqual(['m1', 'm2']);
    expect(vhost.queueInfo('q')?.messageCount).toBe(2);
    fast.at(0).ack();
    expect(fast.bodies()).toEqual(['m1', 'm2', 'm3']);
    expect(slow.deliveries).toHaveLength(1);
    // The delivery handed over with `false` is still held and can be settled.
    slow.at(0).ack();
    expect(slow.deliveries).toHaveLength(1);
    slow.accept = true;
    slowConsumer.resume();
    expect(slow.bodies()).toEqual(['m0', 'm4']);
  });

  it('resume() on a consumer that was not blocked changes nothing', () => {
    publishN(2);
    const sink = new RecordingSink();
    const c = vhost.consume('q', sink, { prefetch: 1 });
    c.resume();
    expect(sink.deliveries).toHaveLength(1);
  });

  it('a blocked consumer does not stall other queues', () => {
    vhost.declareQueue({ name: 'other' });
    const slow = new RecordingSink();
    slow.accept = false;
    vhost.consume('q', slow);
    const sink = new RecordingSink();
    vhost.consume('other', sink);
    publishN(3);
    sendTo(vhost, 'other', 'x');
    expect(sink.bodies()).toEqual(['x']);
  });
});

describe('re-entrancy', () => {
  it('a sink that acks synchronously inside deliver drains the queue in order, without recursion', () => {
    publishN(500);
    const sink = new RecordingSink((d) => {
      d.ack();
    });
    const c = vhost.consume('q', sink, { prefetch: 1 });
    expect(sink.deliveries).toHaveLength(500);
    expect(sink.at(499).message.body.toString()).toBe('m499');
    expect(sink.bodies()).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
    expect(c.unsettled).toBe(0);
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
  });

  it('a sink that acks inside deliver keeps receiving what is published later', () => {
    const sink = new RecordingSink((d) => {
      d.ack();
    });
    vhost.consume('q', sink, { prefetch: 1 });
    publishN(3);
    expect(sink.bodies()).toEqual(['m0', 'm1', 'm2']);
  });

  it('a sink that cancels its consumer inside deliver gets nothing more; the message goes back', () => {
    publishN(3);
    const sink = new RecordingSink();
    const consumer = vhost.consume('q', sink, { credit: 0 });
    sink.onDeliver = () => {
      consumer.cancel();
    };
    consumer.setCredit(10);
    expect(sink.bodies()).toEqual(['m0']);
    const other = new RecordingSink();
    vhost.consume('q', other);
    expect(other.bodies()).toEqual(['m0', 'm1', 'm2']);
    expect(other.at(0).redelivered).toBe(true);
  });

  it('a sink that publishes inside deliver (RPC reply) sees the reply routed', () => {
    vhost.declareQueue({ name: 'replies' });
    const replies = new RecordingSink();
    vhost.consume('replies', replies);
    const server = new RecordingSink((d) => {
      sendTo(vhost, 'replies', `re:${d.message.body.toString()}`);
      d.ack();
    });
    vhost.consume('q', server);
    publishN(2);
    expect(replies.bodies()).toEqual(['re:m0', 're:m1']);
  });
});
