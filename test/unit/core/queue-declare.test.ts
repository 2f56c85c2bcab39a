/** queue.declare / queue.delete / queue.purge and queue lifetimes (AMQP 0-9-1 + RabbitMQ). */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Vhost } from '../../../src/core/vhost.js';
import type { QueueSpec } from '../../../src/spi.js';
import { expectBrokerError, newVhost, RecordingSink, sendTo } from './helpers.js';

let vhost: Vhost;

beforeEach(() => {
  vhost = newVhost();
});

describe('queue declare', () => {
  it('AMQP 0-9-1 queue.declare: an empty name gets a server-generated unique amq.gen- name', () => {
    const a = vhost.declareQueue({ name: '' });
    const b = vhost.declareQueue({ name: '' });
    expect(a.name).toMatch(/^amq\.gen-[A-Za-z0-9_-]{8,}$/);
    expect(b.name).toMatch(/^amq\.gen-/);
    expect(a.name).not.toBe(b.name);
    expect(vhost.queueInfo(a.name)).toEqual({ name: a.name, messageCount: 0, consumerCount: 0 });
    // Usable like any other queue.
    sendTo(vhost, a.name, 'x');
    expect(vhost.queueInfo(a.name)?.messageCount).toBe(1);
  });

  it('AMQP 0-9-1 queue.declare: names starting with "amq." are reserved -> ACCESS_REFUSED', () => {
    expectBrokerError(() => vhost.declareQueue({ name: 'amq.mine' }), 'GW_ERR_ACCESS_REFUSED');
    expect(vhost.queueInfo('amq.mine')).toBeUndefined();
  });

  it('AMQP 0-9-1 queue.declare: redeclare with the same properties is idempotent and reports the counts', () => {
    const spec: QueueSpec = {
      name: 'q',
      durable: true,
      arguments: { 'x-message-ttl': 60_000, 'x-max-length': 10 },
    };
    vhost.declareQueue(spec);
    sendTo(vhost, 'q', 'a');
    sendTo(vhost, 'q', 'b');
    vhost.consume('q', new RecordingSink(), { prefetch: 1 });
    expect(vhost.declareQueue(spec)).toEqual({ name: 'q', messageCount: 1, consumerCount: 1 });
  });

  it('typed and plain argument values are equivalent ({"!": "long", value: 1000} = 1000)', () => {
    vhost.declareQueue({ name: 'q', arguments: { 'x-message-ttl': { '!': 'long', value: 1000 } } });
    vhost.declareQueue({ name: 'q', arguments: { 'x-message-ttl': 1000 } });
    expectBrokerError(
      () => vhost.declareQueue({ name: 'q', arguments: { 'x-message-ttl': 999 } }),
      'GW_ERR_PRECONDITION_FAILED',
    );
  });

  it.each<[string, QueueSpec]>([
    ['durable', { name: 'q' }],
    ['auto-delete', { name: 'q', durable: true, autoDelete: true }],
    ['exclusive', { name: 'q', durable: true, exclusiveOwner: 'c1' }],
    ['x-message-ttl', { name: 'q', durable: true, arguments: { 'x-message-ttl': 5 } }],
    ['x-max-length', { name: 'q', durable: true, arguments: { 'x-max-length': 2 } }],
    [
      'x-dead-letter-exchange',
      { name: 'q', durable: true, arguments: { 'x-dead-letter-exchange': 'dlx' } },
    ],
    ['x-overflow', { name: 'q', durable: true, arguments: { 'x-overflow': 'reject-publish' } }],
  ])(
    'AMQP 0-9-1 queue.declare: redeclare with another %s -> PRECONDITION_FAILED',
    (_what, spec) => {
      vhost.declareQueue({ name: 'q', durable: true });
      expectBrokerError(() => vhost.declareQueue(spec), 'GW_ERR_PRECONDITION_FAILED');
    },
  );

  it('AMQP 0-9-1 queue.declare: redeclare without an argument the queue has -> PRECONDITION_FAILED', () => {
    vhost.declareQueue({ name: 'q', arguments: { 'x-message-ttl': 5 } });
    expectBrokerError(() => vhost.declareQueue({ name: 'q' }), 'GW_ERR_PRECONDITION_FAILED');
  });

  it.each([
    ['x-message-ttl', -1],
    ['x-message-ttl', 'soon'],
    ['x-message-ttl', 1.5],
    ['x-expires', 0],
    ['x-max-length', -1],
    ['x-max-length-bytes', 'big'],
    ['x-overflow', 'drop-tail'],
    ['x-max-priority', 256],
    ['x-single-active-consumer', 'yes'],
    ['x-dead-letter-exchange', 5],
  ] as const)(
    'RabbitMQ queue arguments: %s = %j is invalid -> PRECONDITION_FAILED',
    (name, value) => {
      expectBrokerError(
        () => vhost.declareQueue({ name: 'q', arguments: { [name]: value } }),
        'GW_ERR_PRECONDITION_FAILED',
      );
      expect(vhost.queueInfo('q')).toBeUndefined();
    },
  );

  it('AMQP 0-9-1 queue.declare passive: a missing queue -> NOT_FOUND, nothing created', () => {
    expectBrokerError(
      () => vhost.declareQueue({ name: 'nope' }, { passive: true }),
      'GW_ERR_NOT_FOUND',
    );
    expect(vhost.queueInfo('nope')).toBeUndefined();
  });

  it('passive declare ignores the other properties and reports the counts', () => {
    vhost.declareQueue({ name: 'q', durable: true });
    sendTo(vhost, 'q', 'a');
    expect(vhost.declareQueue({ name: 'q', autoDelete: true }, { passive: true })).toEqual({
      name: 'q',
      messageCount: 1,
      consumerCount: 0,
    });
  });

  it('CoreLimits.maxQueues caps the queues of a vhost -> RESOURCE_ERROR', () => {
    const small = newVhost({ maxQueues: 2 });
    small.declareQueue({ name: 'a' });
    small.declareQueue({ name: 'b' });
    expectBrokerError(() => small.declareQueue({ name: 'c' }), 'GW_ERR_RESOURCE_ERROR');
    small.declareQueue({ name: 'a' });
    small.deleteQueue('a');
    small.declareQueue({ name: 'c' });
  });
});

describe('exclusive queues', () => {
  beforeEach(() => {
    vhost.declareQueue({ name: 'ex', exclusiveOwner: 'c1' });
  });

  it('AMQP 0-9-1 exclusive: the owner uses it freely', () => {
    vhost.declareQueue({ name: 'ex', exclusiveOwner: 'c1' }, { connectionId: 'c1' });
    vhost.declareQueue({ name: 'ex' }, { passive: true, connectionId: 'c1' });
    sendTo(vhost, 'ex', 'a');
    expect(vhost.get('ex', { noAck: true, connectionId: 'c1' })?.messageCount).toBe(0);
    vhost.consume('ex', new RecordingSink(), { connectionId: 'c1' });
    expect(vhost.purgeQueue('ex', { connectionId: 'c1' })).toBe(0);
  });

  it('AMQP 0-9-1 exclusive: another connection -> RESOURCE_LOCKED for declare, passive declare, consume, get, purge, delete', () => {
    const other = { connectionId: 'c2' };
    expectBrokerError(
      () => vhost.declareQueue({ name: 'ex', exclusiveOwner: 'c2' }, other),
      'GW_ERR_RESOURCE_LOCKED',
    );
    expectBrokerError(
      () => vhost.declareQueue({ name: 'ex' }, { passive: true, ...other }),
      'GW_ERR_RESOURCE_LOCKED',
    );
    expectBrokerError(
      () => vhost.consume('ex', new RecordingSink(), other),
      'GW_ERR_RESOURCE_LOCKED',
    );
    expectBrokerError(() => vhost.get('ex', other), 'GW_ERR_RESOURCE_LOCKED');
    expectBrokerError(() => vhost.purgeQueue('ex', other), 'GW_ERR_RESOURCE_LOCKED');
    expectBrokerError(() => vhost.deleteQueue('ex', other), 'GW_ERR_RESOURCE_LOCKED');
    expect(vhost.queueInfo('ex')).toBeDefined();
  });

  it('publishing to it through the default exchange is allowed from anywhere (RabbitMQ)', () => {
    sendTo(vhost, 'ex', 'a');
    expect(vhost.queueInfo('ex')?.messageCount).toBe(1);
  });

  it('AMQP 0-9-1 exclusive: deleted when its connection goes (releaseConnection), with its consumers cancelled', () => {
    const sink = new RecordingSink();
    vhost.consume('ex', sink, { connectionId: 'c1' });
    vhost.declareQueue({ name: 'ex-other', exclusiveOwner: 'c2' });
    vhost.releaseConnection('c1');
    expect(vhost.queueInfo('ex')).toBeUndefined();
    expect(vhost.queueInfo('ex-other')).toBeDefined();
    expect(sink.cancellations).toHaveLength(1);
  });
});

describe('auto-delete queues', () => {
  it('AMQP 0-9-1 auto-delete: not deleted before it had a consumer', () => {
    vhost.declareQueue({ name: 'ad', autoDelete: true });
    sendTo(vhost, 'ad', 'a');
    expect(vhost.get('ad', { noAck: true })).toBeDefined();
    expect(vhost.queueInfo('ad')).toBeDefined();
  });

  it('AMQP 0-9-1 auto-delete: deleted when the last consumer is cancelled, not before', () => {
    vhost.declareQueue({ name: 'ad', autoDelete: true });
    const c1 = vhost.consume('ad', new RecordingSink());
    const c2 = vhost.consume('ad', new RecordingSink());
    c1.cancel();
    expect(vhost.queueInfo('ad')?.consumerCount).toBe(1);
    c2.cancel();
    expect(vhost.queueInfo('ad')).toBeUndefined();
    // A declare now makes a fresh queue.
    expect(vhost.declareQueue({ name: 'ad', autoDelete: true })).toEqual({
      name: 'ad',
      messageCount: 0,
      consumerCount: 0,
    });
  });
});

describe('x-expires', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('RabbitMQ x-expires: an unused queue is deleted after the period', () => {
    vhost.declareQueue({ name: 'tmp', arguments: { 'x-expires': 1000 } });
    sendTo(vhost, 'tmp', 'a'); // publishing does not count as use
    vi.advanceTimersByTime(999);
    expect(vhost.queueInfo('tmp')).toBeDefined();
    vi.advanceTimersByTime(1);
    expect(vhost.queueInfo('tmp')).toBeUndefined();
  });

  it('RabbitMQ x-expires: a consumer keeps it alive; the period restarts when the last one goes', () => {
    vhost.declareQueue({ name: 'tmp', arguments: { 'x-expires': 1000 } });
    const c = vhost.consume('tmp', new RecordingSink());
    vi.advanceTimersByTime(5000);
    expect(vhost.queueInfo('tmp')).toBeDefined();
    c.cancel();
    vi.advanceTimersByTime(999);
    expect(vhost.queueInfo('tmp')).toBeDefined();
    vi.advanceTimersByTime(1);
    expect(vhost.queueInfo('tmp')).toBeUndefined();
  });

  it('RabbitMQ x-expires: a redeclare or a basic.get restarts the period', () => {
    vhost.declareQueue({ name: 'tmp', arguments: { 'x-expires': 1000 } });
    vi.advanceTimersByTime(800);
    vhost.declareQueue({ name: 'tmp', arguments: { 'x-expires': 1000 } });
    vi.advanceTimersByTime(800);
    vhost.get('tmp');
    vi.advanceTimersByTime(800);
    expect(vhost.queueInfo('tmp')).toBeDefined();
    vi.advanceTimersByTime(200);
    expect(vhost.queueInfo('tmp')).toBeUndefined();
  });

  it('a deleted queue leaves no timer behind', () => {
    vhost.declareQueue({ name: 'tmp', arguments: { 'x-expires': 1000, 'x-message-ttl': 500 } });
    sendTo(vhost, 'tmp', 'a');
    vhost.deleteQueue('tmp');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('queue delete and purge', () => {
  it('delete returns the number of ready messages and drops the bindings', () => {
    vhost.declareQueue({ name: 'q' });
    vhost.bindQueue('q', 'amq.fanout', '');
    sendTo(vhost, 'q', 'a');
    sendTo(vhost, 'q', 'b');
    expect(vhost.deleteQueue('q')).toBe(2);
    expect(vhost.queueInfo('q')).toBeUndefined();
    expect(vhost.exchange('amq.fanout')?.bindings.size).toBe(0);
  });

  it('deleting a missing queue returns 0 (idempotent, RabbitMQ 3.x+)', () => {
    expect(vhost.deleteQueue('nope')).toBe(0);
  });

  it('AMQP 0-9-1 queue.delete if-unused: a queue with consumers -> PRECONDITION_FAILED', () => {
    vhost.declareQueue({ name: 'q' });
    const c = vhost.consume('q', new RecordingSink());
    expectBrokerError(
      () => vhost.deleteQueue('q', { ifUnused: true }),
      'GW_ERR_PRECONDITION_FAILED',
    );
    expect(vhost.queueInfo('q')).toBeDefined();
    c.cancel();
    vhost.deleteQueue('q', { ifUnused: true });
    expect(vhost.queueInfo('q')).toBeUndefined();
  });

  it('AMQP 0-9-1 queue.delete if-empty: a queue with messages -> PRECONDITION_FAILED', () => {
    vhost.declareQueue({ name: 'q' });
    sendTo(vhost, 'q', 'a');
    expectBrokerError(
      () => vhost.deleteQueue('q', { ifEmpty: true }),
      'GW_ERR_PRECONDITION_FAILED',
    );
    expect(vhost.queueInfo('q')?.messageCount).toBe(1);
    vhost.get('q', { noAck: true });
    vhost.deleteQueue('q', { ifEmpty: true });
    expect(vhost.queueInfo('q')).toBeUndefined();
  });

  it('AMQP 0-9-1 queue.purge: removes ready messages, returns their count, keeps unacked ones', () => {
    vhost.declareQueue({ name: 'q' });
    for (const b of ['a', 'b', 'c']) sendTo(vhost, 'q', b);
    const sink = new RecordingSink();
    vhost.consume('q', sink, { prefetch: 1 });
    expect(vhost.purgeQueue('q')).toBe(2);
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
    // The unacked one survives and comes back when nacked.
    sink.at(0).nack(true);
    expect(sink.bodies()).toEqual(['a', 'a']);
    expect(vhost.purgeQueue('q')).toBe(0);
  });

  it('purging a missing queue -> NOT_FOUND', () => {
    expectBrokerError(() => vhost.purgeQueue('nope'), 'GW_ERR_NOT_FOUND');
  });

  it('messageCount counts ready messages, not unacked ones', () => {
    vhost.declareQueue({ name: 'q' });
    for (const b of ['a', 'b', 'c']) sendTo(vhost, 'q', b);
    expect(vhost.queueInfo('q')?.messageCount).toBe(3);
    const sink = new RecordingSink();
    vhost.consume('q', sink, { prefetch: 2 });
    expect(vhost.queueInfo('q')).toEqual({ name: 'q', messageCount: 1, consumerCount: 1 });
    sink.at(0).ack();
    expect(vhost.queueInfo('q')?.messageCount).toBe(0);
  });
});
