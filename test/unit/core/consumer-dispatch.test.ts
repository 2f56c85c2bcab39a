/** Which consumer gets which message: round-robin, single active consumer, exclusive consumers,
 * consumer tags, server-side cancel. */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import { expectBrokerError, newBroker, newVhost, RecordingSink, sendTo } from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vhost = newVhost();
  vhost.declareQueue({ name: 'q' });
});

function publishN(n: number, queue = 'q'): void {
  for (let i = 0; i < n; i++) sendTo(vhost, queue, `m${i}`);
}

describe('round-robin', () => {
  it('AMQP 0-9-1 competing consumers: messages go round-robin, in order per consumer', () => {
    const sinks = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    for (const s of sinks) vhost.consume('q', s);
    publishN(6);
    expect(sinks.map((s) => s.bodies())).toEqual([
      ['m0', 'm3'],
      ['m1', 'm4'],
      ['m2', 'm5'],
    ]);
  });

  it('a backlog is shared out round-robin when consumers arrive', () => {
    publishN(4);
    const a = new RecordingSink();
    const b = new RecordingSink();
    vhost.consume('q', a, { prefetch: 1 });
    vhost.consume('q', b, { prefetch: 1 });
    expect([a.bodies(), b.bodies()]).toEqual([['m0'], ['m1']]);
    a.at(0).ack();
    b.at(0).ack();
    expect([a.bodies(), b.bodies()]).toEqual([
      ['m0', 'm2'],
      ['m1', 'm3'],
    ]);
  });

  it('a consumer without room is skipped, not waited for', () => {
    const full = new RecordingSink();
    const free = new RecordingSink();
    vhost.consume('q', full, { prefetch: 1 });
    vhost.consume('q', free);
    publishN(4);
    expect(full.bodies()).toEqual(['m0']);
    expect(free.bodies()).toEqual(['m1', 'm2', 'm3']);
  });

  it('each delivery names its queue and carries the published message', () => {
    const sink = new RecordingSink();
    vhost.consume('q', sink);
    sendTo(vhost, 'q', 'hello', { headers: { h: 1 }, properties: { contentType: 'text/plain' } });
    const d = sink.at(0);
    expect(d.queue).toBe('q');
    expect(d.redelivered).toBe(false);
    expect(d.deliveryCount).toBe(0);
    expect(d.message.body.toString()).toBe('hello');
    expect(d.message.headers).toEqual({ h: 1 });
    expect(d.message.properties.contentType).toBe('text/plain');
  });
});

describe('single active consumer', () => {
  it('RabbitMQ x-single-active-consumer: only the first consumer gets messages; the next takes over when it goes', () => {
    vhost.declareQueue({ name: 'sac', arguments: { 'x-single-active-consumer': true } });
    const first = new RecordingSink();
    const second = new RecordingSink();
    const c1 = vhost.consume('sac', first, { prefetch: 2 });
    vhost.consume('sac', second);
    publishN(4, 'sac');
    // The second one waits even though the first has no room.
    expect(first.bodies()).toEqual(['m0', 'm1']);
    expect(second.bodies()).toEqual([]);
    first.at(0).ack();
    expect(first.bodies()).toEqual(['m0', 'm1', 'm2']);
    c1.cancel(); // m1 and m2 go back, in order, and the second consumer takes over
    expect(second.bodies()).toEqual(['m1', 'm2', 'm3']);
    expect(second.at(0).redelivered).toBe(true);
  });
});

describe('exclusive consumers', () => {
  it('AMQP 0-9-1 basic.consume exclusive: a second consumer -> ACCESS_REFUSED', () => {
    const c = vhost.consume('q', new RecordingSink(), { exclusive: true });
    expectBrokerError(() => vhost.consume('q', new RecordingSink()), 'GW_ERR_ACCESS_REFUSED');
    expectBrokerError(
      () => vhost.consume('q', new RecordingSink(), { exclusive: true }),
      'GW_ERR_ACCESS_REFUSED',
    );
    c.cancel();
    vhost.consume('q', new RecordingSink());
  });

  it('AMQP 0-9-1 basic.consume exclusive: refused while the queue has other consumers', () => {
    vhost.consume('q', new RecordingSink());
    expectBrokerError(
      () => vhost.consume('q', new RecordingSink(), { exclusive: true }),
      'GW_ERR_ACCESS_REFUSED',
    );
    expect(vhost.queueInfo('q')?.consumerCount).toBe(1);
  });
});

describe('consumer tags and limits', () => {
  it('AMQP 0-9-1 basic.consume: a generated tag is amq.ctag-…, unique', () => {
    const a = vhost.consume('q', new RecordingSink());
    const b = vhost.consume('q', new RecordingSink());
    expect(a.tag).toMatch(/^amq\.ctag-/);
    expect(a.tag).not.toBe(b.tag);
    expect(a.queue).toBe('q');
  });

  it('AMQP 0-9-1 basic.consume: a tag already in use -> NOT_ALLOWED', () => {
    vhost.consume('q', new RecordingSink(), { tag: 'mine' });
    expectBrokerError(
      () => vhost.consume('q', new RecordingSink(), { tag: 'mine' }),
      'GW_ERR_NOT_ALLOWED',
    );
  });

  it('CoreLimits.maxConsumersPerQueue -> RESOURCE_ERROR', () => {
    const small = newVhost({ maxConsumersPerQueue: 2 });
    small.declareQueue({ name: 'q' });
    small.consume('q', new RecordingSink());
    small.consume('q', new RecordingSink());
    expectBrokerError(() => small.consume('q', new RecordingSink()), 'GW_ERR_RESOURCE_ERROR');
  });

  it('consuming from a missing queue -> NOT_FOUND', () => {
    expectBrokerError(() => vhost.consume('nope', new RecordingSink()), 'GW_ERR_NOT_FOUND');
  });
});

describe('server-side cancel', () => {
  it('RabbitMQ consumer cancel notification: deleting the queue cancels its consumers once', () => {
    const a = new RecordingSink();
    const b = new RecordingSink();
    const ca = vhost.consume('q', a);
    vhost.consume('q', b);
    publishN(1);
    vhost.deleteQueue('q');
    expect(a.cancellations).toHaveLength(1);
    expect(b.cancellations).toHaveLength(1);
    expect(a.cancellations[0]).toContain('q');
    // Cancelling and settling afterwards are harmless no-ops.
    ca.cancel();
    a.at(0).ack();
    expect(a.cancellations).toHaveLength(1);
  });

  it('Broker.close (shutdown) cancels every consumer of every vhost', () => {
    const broker = newBroker();
    broker.vhost('/').declareQueue({ name: 'x' });
    const sink = new RecordingSink();
    broker.vhost('/').consume('x', sink);
    broker.close();
    expect(sink.cancellations).toHaveLength(1);
  });
});
