/**
 * AMQP 0-9-1 adapter with the real amqplib client: topology, publish/consume, acks, qos,
 * confirms, transactions, direct reply-to, channel errors, backpressure.
 */
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
} from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeInto, eventually, nextEvent } from './helpers/amqp091-client.js';
import { defs, RawPeer } from './helpers/amqp091-raw.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
let url: string;
let conn: ChannelModel;

beforeAll(async () => {
  gw = await startTestGateway();
  url = `amqp://guest:guest@127.0.0.1:${gw.port('amqp091')}`;
  conn = await connect(url);
});

afterAll(async () => {
  await conn.close();
  await gw.stop();
});

let seq = 0;
const unique = (p: string): string => `${p}-${++seq}`;

async function channel(): Promise<Channel> {
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  return ch;
}

async function confirmChannel(): Promise<ConfirmChannel> {
  const ch = await conn.createConfirmChannel();
  ch.on('error', () => undefined);
  return ch;
}

/** The channel closes with `code`; the connection stays usable. */
async function expectChannelError(ch: Channel, op: Promise<unknown>, code: number): Promise<void> {
  const closed = nextEvent(ch, 'close');
  await expect(op).rejects.toThrow(new RegExp(`\\b${code}\\b`));
  await closed;
  const probe = await channel();
  await probe.checkExchange('amq.topic');
  await probe.close();
}

describe('AMQP 0-9-1 publish and consume', () => {
  it('routes through amq.topic with wildcards and delivers properties unchanged', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, 'amq.topic', 'sensors.*.temp');
    const inbox = await consumeInto(ch, q.queue, { noAck: true });
    const properties = {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      persistent: true,
      priority: 3,
      correlationId: 'c-1',
      replyTo: 'reply-q',
      expiration: '60000',
      messageId: 'm-1',
      timestamp: 1_700_000_000,
      type: 'reading',
      userId: 'guest',
      appId: 'test',
    };
    ch.publish('amq.topic', 'sensors.a.temp', Buffer.from('{"t":21}'), properties);
    ch.publish('amq.topic', 'sensors.a.humidity', Buffer.from('no'));
    const m = await inbox.one();
    expect(m.content.toString()).toBe('{"t":21}');
    expect(m.fields).toMatchObject({
      exchange: 'amq.topic',
      routingKey: 'sensors.a.temp',
      redelivered: false,
    });
    const { persistent: _persistent, ...rest } = properties;
    expect(m.properties).toMatchObject({ ...rest, deliveryMode: 2 });
    await ch.close();
  });

  it('keeps header field tables of every type (AMQP 0-9-1 §4.2.5.5) for amqplib consumers', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    const inbox = await consumeInto(ch, q.queue, { noAck: true });
    const headers = {
      str: 'text',
      byte: 5,
      short: 1000,
      int: 100_000,
      long: 2 ** 40,
      double: 1.5,
      bool: true,
      nil: null,
      bytes: Buffer.from([1, 2, 3]),
      decimal: { '!': 'decimal', value: { places: 2, digits: 12345 } },
      timestamp: { '!': 'timestamp', value: 1_700_000_000 },
      float: { '!': 'float', value: 0.5 },
      nested: { a: [1, 'two', { b: false }] },
    };
    ch.sendToQueue(q.queue, Buffer.from('x'), { headers });
    const m = await inbox.one();
    expect(m.properties.headers).toEqual({ ...headers, float: 0.5 });
    await ch.close();
  });

  it('delivers the publisher\u2019s property bytes byte-for-byte to an AMQP 0-9-1 consumer', async () => {
    const peer = await RawPeer.open(gw.port('amqp091'));
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: false, autoDelete: true });
    peer.method(defs.BasicConsume as number, 1, { queue: q.queue, noAck: true });
    await peer.expectMethod('BasicConsumeOk');
    const headers = {
      i32: { '!': 'int32', value: 7 },
      u8: { '!': 'uint8', value: 9 },
      s: 'x',
      l: { '!': 'int64', value: 1 },
    };
    // Raw publisher: exactly these bytes, including a deprecated cluster-id and delivery-mode 7.
    const published = defs.encodeProperties(60, 1, 1, {
      headers,
      contentType: 'a/b',
      clusterId: 'legacy',
      deliveryMode: 7,
    });
    const publisher = await RawPeer.open(gw.port('amqp091'));
    publisher.method(defs.BasicPublish as number, 1, { exchange: '', routingKey: q.queue });
    publisher.socket.write(published);
    publisher.frame(3, 1, Buffer.from('z'));
    await peer.expectMethod('BasicDeliver');
    const header = await peer.until(() => peer.frames.find((f) => f.type === 2), 'content header');
    expect(header.payload.subarray(12).equals(published.subarray(19, -1))).toBe(true);
    publisher.close();
    peer.close();
    await ch.close();
  });

  it('splits bodies larger than frame-max into body frames and reassembles them', async () => {
    const small = await connect(`${url}?frameMax=4096`);
    const ch = await small.createChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    const inbox = await consumeInto(ch, q.queue, { noAck: true });
    const body = Buffer.alloc(300_000);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    ch.sendToQueue(q.queue, body);
    const m = await inbox.one();
    expect(m.content.equals(body)).toBe(true);
    await small.close();
  });

  it('delivers empty bodies', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.alloc(0));
    const inbox = await consumeInto(ch, q.queue, { noAck: true });
    const m = await inbox.one();
    expect(m.content.length).toBe(0);
    await ch.close();
  });

  it('returns unroutable mandatory messages with 312 NO_ROUTE', async () => {
    const ch = await channel();
    const returned = nextEvent<{ fields: Record<string, unknown>; content: Buffer }>(ch, 'return');
    ch.publish('amq.direct', unique('nowhere'), Buffer.from('lost'), { mandatory: true });
    const r = await returned;
    expect(r.fields).toMatchObject({
      replyCode: 312,
      replyText: 'NO_ROUTE',
      exchange: 'amq.direct',
    });
    expect(r.content.toString()).toBe('lost');
    await ch.close();
  });

  it('uses many channels on one connection independently', async () => {
    const chans = await Promise.all(Array.from({ length: 20 }, () => channel()));
    const first = await channel();
    const q = await first.assertQueue('', { exclusive: true });
    const inbox = await consumeInto(first, q.queue, { noAck: true });
    for (const c of chans) c.sendToQueue(q.queue, Buffer.from('x'));
    await inbox.take(20);
    await Promise.all([first, ...chans].map((c) => c.close()));
  });
});

describe('AMQP 0-9-1 basic.ack / nack / reject / recover / get', () => {
  it('nack with requeue redelivers with the redelivered flag; ack removes', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('a'));
    const inbox = await consumeInto(ch, q.queue);
    const first = await inbox.one();
    ch.nack(first, false, true);
    const again = await inbox.one();
    expect(again.fields.redelivered).toBe(true);
    ch.ack(again);
    await eventually(
      () => gw.gateway.broker.vhost('/').queueInfo(q.queue)?.messageCount === 0,
      'empty queue',
    );
    await ch.close();
  });

  it('multiple ack settles every earlier delivery', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q.queue, Buffer.from(String(i)));
    await ch.prefetch(5);
    const inbox = await consumeInto(ch, q.queue);
    const ms = await inbox.take(5);
    ch.ack(ms[3] as ConsumeMessage, true);
    ch.sendToQueue(q.queue, Buffer.from('5'));
    // Prefetch 5 with one unacked left: the next one flows.
    const next = await inbox.one();
    expect(next.content.toString()).toBe('5');
    await ch.close();
  });

  it('reject without requeue dead-letters through x-dead-letter-exchange', async () => {
    const ch = await channel();
    const dlq = await ch.assertQueue('', { exclusive: true });
    const q = await ch.assertQueue('', {
      exclusive: true,
      deadLetterExchange: '',
      deadLetterRoutingKey: dlq.queue,
    });
    ch.sendToQueue(q.queue, Buffer.from('bad'));
    const inbox = await consumeInto(ch, q.queue);
    const m = await inbox.one();
    ch.reject(m, false);
    const dead = await consumeInto(ch, dlq.queue, { noAck: true });
    const d = await dead.one();
    expect(d.content.toString()).toBe('bad');
    const deaths = d.properties.headers?.['x-death'] as unknown as Record<string, unknown>[];
    expect(deaths[0]).toMatchObject({ reason: 'rejected', queue: q.queue, count: 1 });
    await ch.close();
  });

  it('406 PRECONDITION_FAILED for an unknown delivery tag closes only the channel', async () => {
    const ch = await channel();
    const closed = nextEvent(ch, 'close');
    ch.ack({ fields: { deliveryTag: 999 } } as never);
    await closed;
  });

  it('basic.get returns messages with the remaining count, then get-empty', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('1'));
    ch.sendToQueue(q.queue, Buffer.from('2'));
    await eventually(
      () => gw.gateway.broker.vhost('/').queueInfo(q.queue)?.messageCount === 2,
      'two ready',
    );
    const a = await ch.get(q.queue);
    expect(a && a.fields.messageCount).toBe(1);
    expect(a && a.content.toString()).toBe('1');
    ch.ack(a as never);
    const b = await ch.get(q.queue, { noAck: true });
    expect(b && b.content.toString()).toBe('2');
    expect(await ch.get(q.queue)).toBe(false);
    await ch.close();
  });

  it('basic.recover requeues unacked messages as redelivered', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('r'));
    const inbox = await consumeInto(ch, q.queue);
    await inbox.take(1);
    await ch.recover();
    const again = await inbox.one();
    expect(again.fields.redelivered).toBe(true);
    await ch.close();
  });

  it('closing a channel requeues its unacked messages for other consumers', async () => {
    const a = await channel();
    const b = await channel();
    const q = await a.assertQueue(unique('shared'), { autoDelete: false });
    a.sendToQueue(q.queue, Buffer.from('held'));
    const inboxA = await consumeInto(a, q.queue);
    await inboxA.take(1);
    await a.close();
    const inboxB = await consumeInto(b, q.queue);
    const m = await inboxB.one();
    expect(m.fields.redelivered).toBe(true);
    b.ack(m);
    await b.deleteQueue(q.queue);
    await b.close();
  });

  it('acks after basic.cancel still settle (RabbitMQ semantics)', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('c'));
    const inbox = await consumeInto(ch, q.queue);
    const m = await inbox.one();
    await ch.cancel(inbox.tag);
    ch.ack(m);
    await eventually(
      () => gw.gateway.broker.vhost('/').queueInfo(q.queue)?.messageCount === 0,
      'acked',
    );
    expect(await ch.get(q.queue)).toBe(false);
    await ch.close();
  });
});

describe('AMQP 0-9-1 basic.qos', () => {
  it('limits unacked deliveries per consumer (global=false)', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.prefetch(2);
    for (let i = 0; i < 6; i++) ch.sendToQueue(q.queue, Buffer.from(String(i)));
    const inbox = await consumeInto(ch, q.queue);
    const first = await inbox.one();
    await inbox.one();
    await eventually(
      () => gw.gateway.broker.vhost('/').queueInfo(q.queue)?.messageCount === 4,
      'four left',
    );
    expect(inbox.received).toHaveLength(2);
    ch.ack(first);
    await inbox.take(1);
    expect(inbox.received).toHaveLength(3);
    await ch.close();
  });

  it('limits unacked deliveries across the channel\u2019s consumers (global=true)', async () => {
    const ch = await channel();
    const q1 = await ch.assertQueue('', { exclusive: true });
    const q2 = await ch.assertQueue('', { exclusive: true });
    await ch.prefetch(3, true);
    for (let i = 0; i < 5; i++) {
      ch.sendToQueue(q1.queue, Buffer.from('a'));
      ch.sendToQueue(q2.queue, Buffer.from('b'));
    }
    const i1 = await consumeInto(ch, q1.queue);
    const i2 = await consumeInto(ch, q2.queue);
    const vhost = gw.gateway.broker.vhost('/');
    await eventually(() => i1.received.length + i2.received.length === 3, 'three deliveries');
    // A round trip on the channel: a fourth delivery would have arrived before its reply.
    await ch.checkQueue(q1.queue);
    expect(i1.received.length + i2.received.length).toBe(3);
    // Nothing more arrives while three are unacked: the queues still hold the rest.
    expect(
      (vhost.queueInfo(q1.queue)?.messageCount ?? 0) +
        (vhost.queueInfo(q2.queue)?.messageCount ?? 0),
    ).toBeGreaterThanOrEqual(5);
    ch.ackAll();
    await eventually(() => i1.received.length + i2.received.length === 6, 'three more');
    await ch.close();
  });
});

describe('AMQP 0-9-1 publisher confirms and transactions', () => {
  it('acks confirmed publishes with delivery tags in order', async () => {
    const ch = await confirmChannel();
    const q = await ch.assertQueue('', { exclusive: true });
    const acks: number[] = [];
    for (let i = 0; i < 50; i++) {
      ch.sendToQueue(q.queue, Buffer.from(String(i)), {}, (err) => {
        if (!err) acks.push(i);
      });
    }
    await ch.waitForConfirms();
    expect(acks).toHaveLength(50);
    await ch.close();
  });

  it('confirms a batch of publishes with one multiple ack', async () => {
    const ch = await channel();
    const q = await ch.assertQueue(unique('confirm-batch'));
    const peer = await RawPeer.open(gw.port('amqp091'));
    peer.method(defs.ConfirmSelect as number, 1, {});
    await peer.expectMethod('ConfirmSelectOk');
    const frames: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      frames.push(
        defs.encodeMethod(defs.BasicPublish as number, 1, { exchange: '', routingKey: q.queue }),
      );
      frames.push(defs.encodeProperties(60, 1, 0, {}));
    }
    peer.socket.write(Buffer.concat(frames));
    const ack = await peer.expectMethod('BasicAck');
    expect(ack.fields).toMatchObject({ deliveryTag: 3, multiple: true });
    peer.close();
    await ch.deleteQueue(q.queue);
    await ch.close();
  });

  it('nacks a publish refused by x-overflow reject-publish', async () => {
    const ch = await confirmChannel();
    const q = await ch.assertQueue('', {
      exclusive: true,
      maxLength: 1,
      arguments: { 'x-overflow': 'reject-publish' },
    });
    const outcomes: boolean[] = [];
    const done = new Promise<void>((resolve) => {
      ch.sendToQueue(q.queue, Buffer.from('1'), {}, (err) => outcomes.push(!err));
      ch.sendToQueue(q.queue, Buffer.from('2'), {}, (err) => {
        outcomes.push(!err);
        resolve();
      });
    });
    await done;
    expect(outcomes).toEqual([true, false]);
    await ch.close();
  });

  it('tx.commit makes publishes visible; tx.rollback discards them', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    const raw = ch as unknown as { rpc(m: number, f: object, expect: number): Promise<unknown> };
    await raw.rpc(defs.TxSelect as number, {}, defs.TxSelectOk as number);
    ch.sendToQueue(q.queue, Buffer.from('rolled back'));
    await raw.rpc(defs.TxRollback as number, {}, defs.TxRollbackOk as number);
    ch.sendToQueue(q.queue, Buffer.from('committed'));
    expect((await ch.checkQueue(q.queue)).messageCount).toBe(0);
    await raw.rpc(defs.TxCommit as number, {}, defs.TxCommitOk as number);
    const m = await ch.get(q.queue, { noAck: true });
    expect(m && m.content.toString()).toBe('committed');
    expect(await ch.get(q.queue)).toBe(false);
    await ch.close();
  });

  it('406 PRECONDITION_FAILED for tx.commit on a non-transactional channel', async () => {
    const ch = await channel();
    const raw = ch as unknown as { rpc(m: number, f: object, expect: number): Promise<unknown> };
    await expectChannelError(
      ch,
      raw.rpc(defs.TxCommit as number, {}, defs.TxCommitOk as number),
      406,
    );
  });
});

describe('AMQP 0-9-1 topology', () => {
  it('declares, binds exchange-to-exchange, unbinds and deletes', async () => {
    const ch = await channel();
    const src = unique('src');
    const dst = unique('dst');
    await ch.assertExchange(src, 'topic', { durable: false });
    await ch.assertExchange(dst, 'fanout', { durable: false });
    await ch.bindExchange(dst, src, 'a.#');
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, dst, '');
    const inbox = await consumeInto(ch, q.queue, { noAck: true });
    ch.publish(src, 'a.b.c', Buffer.from('via e2e'));
    await inbox.take(1);
    await ch.unbindExchange(dst, src, 'a.#');
    await ch.deleteExchange(src);
    await ch.deleteExchange(dst);
    expect(gw.gateway.broker.vhost('/').exchangeExists(src)).toBe(false);
    await ch.close();
  });

  it('routes unroutable messages to the alternate-exchange (no basic.return then)', async () => {
    const ch = await channel();
    const ae = unique('ae');
    const main = unique('main');
    await ch.assertExchange(ae, 'fanout', { autoDelete: false });
    await ch.assertExchange(main, 'direct', { alternateExchange: ae });
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, ae, '');
    let returned = false;
    ch.on('return', () => (returned = true));
    const inbox = await consumeInto(ch, q.queue, { noAck: true });
    ch.publish(main, 'nobody', Buffer.from('to ae'), { mandatory: true });
    expect((await inbox.one()).content.toString()).toBe('to ae');
    expect(returned).toBe(false);
    await ch.deleteExchange(main);
    await ch.deleteExchange(ae);
    await ch.close();
  });

  it('purges and deletes queues, returning message counts', async () => {
    const ch = await channel();
    const q = await ch.assertQueue(unique('pq'));
    ch.sendToQueue(q.queue, Buffer.from('1'));
    ch.sendToQueue(q.queue, Buffer.from('2'));
    await eventually(
      () => gw.gateway.broker.vhost('/').queueInfo(q.queue)?.messageCount === 2,
      'two',
    );
    expect((await ch.purgeQueue(q.queue)).messageCount).toBe(2);
    ch.sendToQueue(q.queue, Buffer.from('3'));
    expect((await ch.deleteQueue(q.queue)).messageCount).toBe(1);
    await ch.close();
  });

  it('applies queue arguments: x-message-ttl dead-letters expired messages', async () => {
    const ch = await channel();
    const dlq = await ch.assertQueue('', { exclusive: true });
    const q = await ch.assertQueue('', {
      exclusive: true,
      messageTtl: 20,
      deadLetterExchange: '',
      deadLetterRoutingKey: dlq.queue,
    });
    ch.sendToQueue(q.queue, Buffer.from('old'));
    const dead = await consumeInto(ch, dlq.queue, { noAck: true });
    const d = await dead.one();
    expect(d.properties.headers?.['x-first-death-reason']).toBe('expired');
    await ch.close();
  });

  it('applies x-max-length (drop-head) and x-expires', async () => {
    const ch = await confirmChannel();
    const vhost = gw.gateway.broker.vhost('/');
    const q = await ch.assertQueue('', { exclusive: true, maxLength: 2 });
    for (const body of ['1', '2', '3']) ch.sendToQueue(q.queue, Buffer.from(body));
    await ch.waitForConfirms();
    const kept: string[] = [];
    for (
      let m = await ch.get(q.queue, { noAck: true });
      m;
      m = await ch.get(q.queue, { noAck: true })
    ) {
      kept.push(m.content.toString());
    }
    expect(kept).toEqual(['2', '3']);
    const expiring = await ch.assertQueue('', { exclusive: true, expires: 30 });
    await eventually(
      () => vhost.queueInfo(expiring.queue) === undefined,
      'x-expires deleted the unused queue',
    );
    await ch.close();
  });

  it('applies x-max-priority: higher priorities are delivered first', async () => {
    const ch = await confirmChannel();
    const q = await ch.assertQueue('', { exclusive: true, maxPriority: 5 });
    for (const p of [1, 5, 3]) ch.sendToQueue(q.queue, Buffer.from(String(p)), { priority: p });
    await ch.waitForConfirms();
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await ch.get(q.queue, { noAck: true });
      if (m) order.push(m.content.toString());
    }
    expect(order).toEqual(['5', '3', '1']);
    await ch.close();
  });

  it('applies x-single-active-consumer: only the first consumer receives', async () => {
    const ch = await confirmChannel();
    const q = await ch.assertQueue('', {
      exclusive: true,
      arguments: { 'x-single-active-consumer': true },
    });
    const first = await consumeInto(ch, q.queue, { noAck: true });
    const second = await consumeInto(ch, q.queue, { noAck: true });
    for (let i = 0; i < 4; i++) ch.sendToQueue(q.queue, Buffer.from(String(i)));
    await ch.waitForConfirms();
    await first.take(4);
    expect(second.received).toHaveLength(0);
    await ch.close();
  });

  it('answers nothing to nowait methods (queue.declare, queue.bind, exchange.declare)', async () => {
    const peer = await RawPeer.open(gw.port('amqp091'));
    const name = unique('nowait');
    peer.method(defs.ExchangeDeclare as number, 1, {
      exchange: name,
      type: 'fanout',
      nowait: true,
      autoDelete: true,
    });
    peer.method(defs.QueueDeclare as number, 1, { queue: name, exclusive: true, nowait: true });
    peer.method(defs.QueueBind as number, 1, { queue: name, exchange: name, nowait: true });
    peer.method(defs.BasicQos as number, 1, { prefetchCount: 1 });
    const next = await peer.until(() => peer.frames[0], 'a reply');
    expect(next.method).toBe('BasicQosOk');
    expect(gw.gateway.broker.vhost('/').queueInfo(name)).toBeDefined();
    peer.close();
  });

  it('404 NOT_FOUND for a passive declare of a missing queue closes only the channel', async () => {
    const ch = await channel();
    await expectChannelError(ch, ch.checkQueue(unique('missing')), 404);
  });

  it('406 PRECONDITION_FAILED for a redeclare with other arguments', async () => {
    const ch = await channel();
    const name = unique('args');
    await ch.assertQueue(name, { exclusive: true, messageTtl: 1000 });
    await expectChannelError(ch, ch.assertQueue(name, { exclusive: true, messageTtl: 2000 }), 406);
  });

  it('405 RESOURCE_LOCKED for another connection\u2019s exclusive queue', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    const other = await connect(url);
    const och = await other.createChannel();
    och.on('error', () => undefined);
    await expect(och.consume(q.queue, () => undefined)).rejects.toThrow(/405/);
    await other.close();
    await ch.close();
  });

  it('405 RESOURCE_LOCKED for binding another connection\u2019s exclusive queue (RabbitMQ)', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, 'amq.topic', 'own.binding');
    const other = await connect(url);
    const och = await other.createChannel();
    och.on('error', () => undefined);
    await expect(och.bindQueue(q.queue, 'amq.topic', 'stolen.#')).rejects.toThrow(/405/);
    await other.close();
    await ch.close();
  });

  it('403 ACCESS_REFUSED for a second consumer on an exclusively consumed queue', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    await consumeInto(ch, q.queue, { exclusive: true });
    const ch2 = await channel();
    await expectChannelError(
      ch2,
      ch2.consume(q.queue, () => undefined),
      403,
    );
    await ch.close();
  });

  it('403 ACCESS_REFUSED for declaring an amq.* exchange', async () => {
    const ch = await channel();
    await expectChannelError(ch, ch.assertExchange('amq.custom', 'direct'), 403);
  });

  it('503 COMMAND_INVALID for an unknown exchange type closes the connection', async () => {
    const other = await connect(url);
    other.on('error', () => undefined);
    const ch = await other.createChannel();
    ch.on('error', () => undefined);
    const closed = nextEvent<Error | undefined>(other, 'close');
    await expect(ch.assertExchange(unique('x'), 'x-custom')).rejects.toThrow();
    expect(String(await closed)).toMatch(/503/);
  });

  it('sends basic.cancel to consumers of a deleted queue', async () => {
    const ch = await channel();
    const q = await ch.assertQueue(unique('gone'));
    const inbox = await consumeInto(ch, q.queue);
    const other = await channel();
    await other.deleteQueue(q.queue);
    await eventually(() => inbox.cancelled, 'server-sent basic.cancel');
    await other.close();
    await ch.close();
  });

  it('uses the last declared queue for an empty queue name', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    ch.sendToQueue(q.queue, Buffer.from('x'));
    await eventually(
      () => gw.gateway.broker.vhost('/').queueInfo(q.queue)?.messageCount === 1,
      'one',
    );
    const m = await ch.get('', { noAck: true });
    expect(m && m.content.toString()).toBe('x');
    await ch.close();
  });
});

describe('AMQP 0-9-1 direct reply-to (amq.rabbitmq.reply-to)', () => {
  it('answers an RPC through the reply-to pseudo-queue', async () => {
    const server = await channel();
    const rpcQueue = (await server.assertQueue('', { exclusive: true })).queue;
    await server.consume(rpcQueue, (req) => {
      if (!req) return;
      server.sendToQueue(
        req.properties.replyTo as string,
        Buffer.from(`re:${req.content.toString()}`),
        {
          correlationId: req.properties.correlationId as string,
        },
      );
      server.ack(req);
    });
    const client = await channel();
    const replies = await consumeInto(client, 'amq.rabbitmq.reply-to', { noAck: true });
    client.sendToQueue(rpcQueue, Buffer.from('ping'), {
      replyTo: 'amq.rabbitmq.reply-to',
      correlationId: 'k1',
    });
    const reply = await replies.one();
    expect(reply.content.toString()).toBe('re:ping');
    expect(reply.properties.correlationId).toBe('k1');
    await client.close();
    await server.close();
  });

  it('406 PRECONDITION_FAILED when publishing with reply-to but no reply consumer', async () => {
    const ch = await channel();
    const closed = nextEvent(ch, 'close');
    ch.sendToQueue('anything', Buffer.from('x'), { replyTo: 'amq.rabbitmq.reply-to' });
    await closed;
  });
});

describe('AMQP 0-9-1 backpressure', () => {
  it('a consumer whose socket is not read stops; other consumers go on', async () => {
    const vhost = gw.gateway.broker.vhost('/');
    const ch = await channel();
    const slowQ = await ch.assertQueue(unique('slow'));
    const fastQ = await ch.assertQueue('', { exclusive: true });
    const slow = await RawPeer.open(gw.port('amqp091'));
    slow.method(defs.BasicConsume as number, 1, { queue: slowQ.queue, noAck: true });
    await slow.expectMethod('BasicConsumeOk');
    slow.socket.pause();
    const body = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 400; i++) ch.sendToQueue(slowQ.queue, body);
    // The slow consumer's socket fills and the queue keeps the rest.
    await eventually(
      () => (vhost.queueInfo(slowQ.queue)?.messageCount ?? 0) > 0,
      'messages held back in the queue',
    );
    const fast = await consumeInto(ch, fastQ.queue, { noAck: true });
    ch.sendToQueue(fastQ.queue, Buffer.from('fast'));
    await fast.take(1);
    slow.socket.resume();
    await eventually(
      () => vhost.queueInfo(slowQ.queue)?.messageCount === 0,
      'slow queue drained',
      10_000,
    );
    slow.close();
    await ch.deleteQueue(slowQ.queue);
    await ch.close();
  });
});

describe('AMQP 0-9-1 consumer tags and channel.flow', () => {
  it('lets two connections use the same consumer tag on one queue (§1.8.3.3: unique per channel)', async () => {
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: false, autoDelete: true });
    const other = await connect(url);
    const och = await other.createChannel();
    const a = await consumeInto(ch, q.queue, { consumerTag: 'worker', noAck: true });
    const b = await consumeInto(och, q.queue, { consumerTag: 'worker', noAck: true });
    expect([a.tag, b.tag]).toEqual(['worker', 'worker']);
    ch.sendToQueue(q.queue, Buffer.from('1'));
    ch.sendToQueue(q.queue, Buffer.from('2'));
    await a.one();
    await b.one();
    await other.close();
    await ch.close();
  });

  it('channel.flow active=false stops deliveries on the channel until active=true', async () => {
    const ch = await confirmChannel();
    const q = await ch.assertQueue(unique('flow'));
    const peer = await RawPeer.open(gw.port('amqp091'));
    peer.method(defs.ChannelFlow as number, 1, { active: false });
    expect((await peer.expectMethod('ChannelFlowOk')).fields?.['active']).toBe(false);
    peer.method(defs.BasicConsume as number, 1, { queue: q.queue, noAck: true });
    await peer.expectMethod('BasicConsumeOk');
    ch.sendToQueue(q.queue, Buffer.from('held'));
    await ch.waitForConfirms();
    // The core handed the message to the channel (routed, and the queue is empty)...
    expect(gw.gateway.broker.vhost('/').queueInfo(q.queue)?.messageCount).toBe(0);
    // ...and a round trip on the same connection shows nothing was sent before it.
    peer.method(defs.BasicQos as number, 1, { prefetchCount: 0 });
    await peer.until(() => peer.frames.find((f) => f.method === 'BasicQosOk'), 'qos-ok');
    expect(peer.frames.some((f) => f.method === 'BasicDeliver')).toBe(false);
    peer.method(defs.ChannelFlow as number, 1, { active: true });
    await peer.expectMethod('ChannelFlowOk');
    await peer.expectMethod('BasicDeliver');
    peer.close();
    await ch.deleteQueue(q.queue);
    await ch.close();
  });
});

describe('AMQP 0-9-1 consumers of other protocols\u2019 messages', () => {
  it('receives an MQTT 3.1.1 QoS 1 publish on amq.topic as a persistent message', async () => {
    const { connectAsync } = await import('mqtt');
    const ch = await channel();
    const q = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(q.queue, 'amq.topic', 'devices.*.state');
    const inbox = await consumeInto(ch, q.queue, { noAck: true });
    const device = await connectAsync(`mqtt://127.0.0.1:${gw.port('mqtt')}`);
    await device.publishAsync('devices/d1/state', 'on', { qos: 1 });
    const m = await inbox.one();
    expect(m.content.toString()).toBe('on');
    expect(m.fields).toMatchObject({ exchange: 'amq.topic', routingKey: 'devices.d1.state' });
    // [RabbitMQ mc_mqtt] QoS 1 -> delivery_mode 2
    expect(m.properties.deliveryMode).toBe(2);
    await device.endAsync();
    await ch.close();
  });
});
