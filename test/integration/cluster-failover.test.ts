/**
 * Scale-out (issue 11) under failure: a node SIGKILLed with unacknowledged messages in flight
 * (they are redelivered on another node, nothing acknowledged is lost), and a Redis restart
 * (publishers get refusals while it is down, then service resumes).
 */
import amqplib, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../helpers/redis-server.js';
import { consumeInto } from './helpers/amqp091-client.js';
import { startCluster, type ClusterNode, type TestCluster } from './helpers/cluster-nodes.js';
import { connectMqtt, Inbox } from './helpers/mqtt-clients.js';

let cluster: TestCluster | undefined;
const conns: ChannelModel[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) await c.close().catch(() => undefined);
  await cluster?.stop();
  cluster = undefined;
});

async function amqp(node: ClusterNode): Promise<ChannelModel> {
  const conn = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${node.amqp}`);
  conn.on('error', () => undefined);
  conns.push(conn);
  return conn;
}

/** Publishes with confirms; resolves true when acked, false when nacked. */
function confirmed(ch: ConfirmChannel, queue: string, body: string): Promise<boolean> {
  return confirmedTo(ch, '', queue, body);
}

function confirmedTo(
  ch: ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: string,
): Promise<boolean> {
  return new Promise((resolve) => {
    ch.publish(exchange, routingKey, Buffer.from(body), { persistent: true }, (err) => {
      resolve(err === null || err === undefined);
    });
  });
}

describe('cluster: node failure', () => {
  it('SIGKILL of a node holding unacked messages: another node gets them redelivered, none lost', async () => {
    cluster = await startCluster(['a', 'b']);
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const onA = await (await amqp(a)).createChannel();
    await onA.assertQueue('tasks', { durable: true });
    await onA.prefetch(5);
    const held = await consumeInto(onA, 'tasks'); // never acks
    const connB = await amqp(b);
    const pub = await connB.createConfirmChannel();
    const n = 20;
    for (let i = 0; i < n; i++) {
      // Retried until B knows the queue (topology propagates over pub/sub).
      while (!(await confirmed(pub, 'tasks', String(i)))) await onA.checkQueue('tasks');
    }
    const heldBodies = (await held.take(5)).map((m) => m.content.toString());
    const worker = await connB.createChannel();
    await worker.prefetch(50);
    const done = await consumeInto(worker, 'tasks');
    const first = await done.take(n - 5);
    for (const m of first) worker.ack(m);
    expect(first.every((m) => !m.fields.redelivered)).toBe(true);

    await a.kill('SIGKILL');
    // Within the node timeout (1 s here) plus two presence passes.
    const back = await done.take(5, 10_000);
    for (const m of back) worker.ack(m);
    expect(back.every((m) => m.fields.redelivered)).toBe(true);
    expect(back.map((m) => m.content.toString()).sort()).toEqual([...heldBodies].sort());
    const all = [...first, ...back].map((m) => Number(m.content.toString()));
    expect(new Set(all).size).toBe(n);
    expect(all).toHaveLength(n);
  });
});

describe('cluster: node shutdown', () => {
  it('SIGTERM of a node holding unacked messages gives them back at once (long before the node timeout)', async () => {
    cluster = await startCluster(['a', 'b'], { nodeTimeoutMs: 60_000 });
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const onA = await (await amqp(a)).createConfirmChannel();
    await onA.assertQueue('graceful', { durable: true });
    await onA.prefetch(3);
    const held = await consumeInto(onA, 'graceful'); // never acks
    for (let i = 0; i < 3; i++) onA.sendToQueue('graceful', Buffer.from(String(i)));
    await onA.waitForConfirms();
    await held.take(3);
    const onB = await (await amqp(b)).createChannel();
    await onB.checkQueue('graceful');
    const inbox = await consumeInto(onB, 'graceful', { noAck: true });
    await a.kill('SIGTERM');
    const back = await inbox.take(3);
    expect(back.every((m) => m.fields.redelivered)).toBe(true);
    expect(back.map((m) => m.content.toString()).sort()).toEqual(['0', '1', '2']);
  });
});

describe('cluster: Redis restart', () => {
  it('publishes are refused (basic.nack) while Redis is down, and served again once it is back; topology made meanwhile spreads', async () => {
    cluster = await startCluster(['a', 'b']);
    const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
    const pub = await (await amqp(a)).createConfirmChannel();
    await pub.assertQueue('orders', { durable: true });
    const onB = await (await amqp(b)).createChannel();
    await onB.prefetch(10);
    while (!(await confirmed(pub, 'orders', 'before'))) await pub.checkQueue('orders');
    const inbox = await consumeInto(onB, 'orders', { noAck: true });
    expect((await inbox.one()).content.toString()).toBe('before');
    const sub = await connectMqtt(b.mqtt, { clientId: 'after-restart' });
    const mqttInbox = new Inbox(sub);
    await sub.subscribeAsync('alerts/#');

    const local = await pub.assertQueue('', { exclusive: true });
    await pub.bindQueue(local.queue, 'amq.topic', 'local.#');
    // B's MQTT subscription is known on A before Redis goes: a mandatory publish is not
    // returned (AMQP 0-9-1 basic.return comes before the ack).
    let returned = 0;
    pub.on('return', () => returned++);
    for (let sent = 1; ; sent++) {
      const before = returned;
      pub.publish('amq.topic', 'alerts.warm', Buffer.from('routed'), { mandatory: true });
      await pub.waitForConfirms();
      if (returned === before) {
        await mqttInbox.count(sent - returned);
        break;
      }
    }
    const seen = mqttInbox.messages.length;

    const { port } = cluster.redis;
    await cluster.redis.stop();
    expect(await confirmed(pub, 'orders', 'during')).toBe(false);
    // Fan-out: refused when a subscriber on another node wants the message (it cannot get
    // there), confirmed when only this node's queues do or nothing matches.
    expect(await confirmedTo(pub, 'amq.topic', 'alerts.fire', 'during')).toBe(false);
    expect(await confirmedTo(pub, 'amq.topic', 'local.only', 'during')).toBe(true);
    expect(await confirmedTo(pub, 'amq.topic', 'nobody.listens', 'during')).toBe(true);
    // Declared while Redis is down: applied on A at once, on B once Redis is back.
    await pub.assertQueue('made-offline', { durable: false });

    const restarted = await startRedis(port);
    try {
      // Reconnects are backed off up to 1 s: publish until one is accepted.
      const deadline = Date.now() + 10_000;
      while (!(await confirmed(pub, 'orders', 'after'))) {
        expect(Date.now()).toBeLessThan(deadline);
        await pub.checkQueue('orders');
      }
      const after = await inbox.one(10_000);
      expect(after.content.toString()).toBe('after');
      const onB2 = await (await amqp(b)).createConfirmChannel();
      while (!(await confirmed(onB2, 'made-offline', 'x'))) {
        expect(Date.now()).toBeLessThan(deadline);
        await onB2.checkQueue('orders');
      }
      // Cross-node fan-out resumes too (the subscriber connection resubscribed).
      const mqttPub = await connectMqtt(a.mqtt, { clientId: 'alerter' });
      // Each QoS 1 publish is a round trip: the loop is paced by the gateway, not a timer.
      while (mqttInbox.messages.length === seen) {
        expect(Date.now()).toBeLessThan(deadline);
        await mqttPub.publishAsync('alerts/fire', 'x', { qos: 1 });
      }
      await mqttPub.endAsync();
      await sub.endAsync();
    } finally {
      await restarted.stop();
    }
  });
});
