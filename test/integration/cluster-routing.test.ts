/**
 * Scale-out (issue 11): three gateway processes on one redis-server. Topology declared on one
 * node is used on another; a message published on one node reaches subscribers of every
 * protocol on the others exactly once; a shared queue's consumers on different nodes compete
 * for its messages (each delivered once, none lost).
 */
import type { ChannelModel } from 'amqplib';
import type { Client, IMessage } from '@stomp/stompjs';
import type { MqttClient } from 'mqtt';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectClient, collect, type TestClient } from './helpers/amqp10-client.js';
import { consumeInto, eventually } from './helpers/amqp091-client.js';
import {
  queueVisible,
  startCluster,
  useCluster,
  type ClusterNode,
} from './helpers/cluster-nodes.js';
import { connectMqtt, Inbox } from './helpers/mqtt-clients.js';
import { connectStomp, hdr, MessageQueue } from './helpers/stomp-clients.js';

const fixture = useCluster(() => startCluster(['a', 'b', 'c']));
const { closers, amqp } = fixture;
let a: ClusterNode;
let b: ClusterNode;
let c: ClusterNode;
beforeAll(() => {
  [a, b, c] = fixture.cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
});

async function mqttOn(node: ClusterNode, clientId: string): Promise<MqttClient> {
  const client = await connectMqtt(node.mqtt, { clientId });
  closers.push(() => client.endAsync());
  return client;
}

async function stompOn(node: ClusterNode): Promise<Client> {
  const { client } = await connectStomp({ kind: 'tcp', port: node.stomp });
  closers.push(() => client.deactivate());
  return client;
}

/** Waits until `conn`'s node no longer has the queue. */
async function queueGone(conn: ChannelModel, queue: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const ch = await conn.createChannel();
    const closed = new Promise<unknown>((resolve) => ch.once('error', resolve));
    const exists = await ch.checkQueue(queue).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await closed;
      return;
    }
    await ch.close();
    if (Date.now() > deadline) throw new Error(`queue '${queue}' still exists`);
  }
}

describe('cluster: shared topology', () => {
  it('an exchange, queue and binding declared on node A route a message published on node B', async () => {
    const onA = await (await amqp(a)).createChannel();
    await onA.assertExchange('orders', 'direct', { durable: false });
    await onA.assertQueue('orders.eu', { durable: true });
    await onA.bindQueue('orders.eu', 'orders', 'eu');
    const connB = await amqp(b);
    await queueVisible(connB, 'orders.eu');
    const onB = await connB.createConfirmChannel();
    onB.publish('orders', 'eu', Buffer.from('order-1'));
    await onB.waitForConfirms();
    const inbox = await consumeInto(onB, 'orders.eu', { noAck: true });
    expect((await inbox.one()).content.toString()).toBe('order-1');
  });

  it('a node that joins later has the topology declared before it started', async () => {
    const onA = await (await amqp(a)).createChannel();
    await onA.assertExchange('late.x', 'fanout', { durable: false });
    await onA.assertQueue('late.q', { durable: false });
    await onA.bindQueue('late.q', 'late.x', '');
    const d = await fixture.cluster.addNode('d');
    const onD = await (await amqp(d)).createConfirmChannel();
    // No wait: a starting node reads the shared topology before it listens.
    await onD.checkQueue('late.q');
    onD.publish('late.x', '', Buffer.from('hello d'));
    await onD.waitForConfirms();
    const inbox = await consumeInto(onD, 'late.q', { noAck: true });
    expect((await inbox.one()).content.toString()).toBe('hello d');
  });

  it("a shared queue's message count (declare-ok) is its backlog in Redis, on every node", async () => {
    const onA = await (await amqp(a)).createConfirmChannel();
    await onA.assertQueue('counted', { durable: true });
    for (let i = 0; i < 5; i++) onA.sendToQueue('counted', Buffer.from(String(i)));
    await onA.waitForConfirms();
    const connB = await amqp(b);
    await queueVisible(connB, 'counted');
    const onB = await connB.createChannel();
    // Refreshed every presence pass (a third of the node timeout).
    const deadline = Date.now() + 5_000;
    while ((await onB.checkQueue('counted')).messageCount !== 5) {
      expect(Date.now()).toBeLessThan(deadline);
    }
  });

  it('a queue deleted on node B is gone on node A', async () => {
    const connA = await amqp(a);
    const onA = await connA.createChannel();
    await onA.assertQueue('short-lived', { durable: false });
    const connB = await amqp(b);
    await queueVisible(connB, 'short-lived');
    const onB = await connB.createChannel();
    await onB.deleteQueue('short-lived');
    await queueGone(connA, 'short-lived');
  });
});

describe('cluster: fan-out to every node', () => {
  it('MQTT QoS 0: subscribers on three nodes each get every message once', async () => {
    const subs = await Promise.all([a, b, c].map((n, i) => mqttOn(n, `fan-sub-${String(i)}`)));
    const inboxes = subs.map((s) => new Inbox(s));
    await Promise.all(subs.map((s) => s.subscribeAsync('sensors/+/temp', { qos: 0 })));
    const pub = await mqttOn(b, 'fan-pub');
    const n = 50;
    for (let i = 0; i < n; i++) await pub.publishAsync(`sensors/s${String(i)}/temp`, String(i));
    for (const inbox of inboxes) {
      const got = await inbox.count(n);
      expect(got.map((m) => m.payload)).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    }
    // A copy more would have arrived with the last ones: one more round trip settles it.
    await pub.publishAsync('sensors/end/temp', 'end');
    for (const inbox of inboxes) await inbox.count(n + 1);
    for (const inbox of inboxes) expect(inbox.messages).toHaveLength(n + 1);
  });

  it('STOMP /topic: subscribers on nodes A and C get a SEND made on node B once each', async () => {
    const queues = [new MessageQueue(), new MessageQueue()];
    const [sa, sc] = await Promise.all([stompOn(a), stompOn(c)]);
    const receipts = [sa, sc].map((client, i) => {
      const receipt = `sub-${String(i)}`;
      const done = new Promise<void>((resolve) => {
        client.watchForReceipt(receipt, () => {
          resolve();
        });
      });
      client.subscribe('/topic/news.eu', (m: IMessage) => queues[i]?.push(m), hdr({ receipt }));
      return done;
    });
    await Promise.all(receipts);
    const sender = await stompOn(b);
    sender.publish({ destination: '/topic/news.eu', body: 'headline' });
    sender.publish({ destination: '/topic/news.eu', body: 'second' });
    for (const q of queues) {
      expect((await q.next()).body).toBe('headline');
      expect((await q.next()).body).toBe('second');
    }
    expect(queues.map((q) => q.size)).toEqual([0, 0]);
  });

  it('AMQP 0-9-1 topic exchange: exclusive queues on A and B get a message published on C', async () => {
    const inboxes = await Promise.all(
      [a, b].map(async (node) => {
        const ch = await (await amqp(node)).createChannel();
        const { queue } = await ch.assertQueue('', { exclusive: true });
        await ch.bindQueue(queue, 'amq.topic', 'audit.#');
        return consumeInto(ch, queue, { noAck: true });
      }),
    );
    const onC = await (await amqp(c)).createConfirmChannel();
    onC.publish('amq.topic', 'audit.login', Buffer.from('alice'));
    await onC.waitForConfirms();
    for (const inbox of inboxes) expect((await inbox.one()).content.toString()).toBe('alice');
  });

  it('AMQP 1.0: a message sent on node A to a receiver on node B is accepted and delivered', async () => {
    const clients: TestClient[] = await Promise.all([connectClient(a.amqp), connectClient(b.amqp)]);
    for (const cl of clients) closers.push(() => cl.close());
    const [onA, onB] = clients as [TestClient, TestClient];
    const receiver = await onB.openReceiver('/exchanges/amq.topic/metrics.cpu');
    const got = collect(receiver, 1);
    const sender = await onA.openSender('/exchanges/amq.topic/metrics.cpu');
    expect((await onA.send(sender, { body: 'load=0.5' })).outcome).toBe('accepted');
    const [m] = await got;
    expect(m?.message?.body).toBe('load=0.5');
    // A key no node's queue matches stays unroutable: `released` (RabbitMQ AMQP 1.0).
    const nowhere = await onA.openSender('/exchanges/amq.topic/metrics.none');
    expect((await onA.send(nowhere, { body: 'lost' })).outcome).toBe('released');
  });
});

describe('cluster: competing consumers', () => {
  it('a durable queue with consumers on three nodes: each message delivered once, none lost', async () => {
    const pubCh = await (await amqp(a)).createConfirmChannel();
    await pubCh.assertQueue('jobs', { durable: true });
    const inboxes = await Promise.all(
      [a, b, c].map(async (node) => {
        const conn = await amqp(node);
        await queueVisible(conn, 'jobs');
        const ch = await conn.createChannel();
        await ch.prefetch(10);
        const inbox = await consumeInto(ch, 'jobs');
        return { ch, inbox };
      }),
    );
    const n = 300;
    for (let i = 0; i < n; i++)
      pubCh.sendToQueue('jobs', Buffer.from(String(i)), { persistent: true });
    await pubCh.waitForConfirms();
    const all = () => inboxes.flatMap((x) => x.inbox.received);
    // Acks as they come, so prefetch keeps every node fetching.
    const acked = new Set<unknown>();
    await eventually(
      () => {
        for (const { ch, inbox } of inboxes)
          for (const m of inbox.received)
            if (!acked.has(m)) {
              acked.add(m);
              ch.ack(m);
            }
        return all().length >= n;
      },
      `${String(n)} deliveries`,
      15_000,
    );
    const bodies = all().map((m) => Number(m.content.toString()));
    expect(new Set(bodies).size).toBe(n);
    expect(bodies).toHaveLength(n);
    // Every node took part.
    for (const { inbox } of inboxes) expect(inbox.received.length).toBeGreaterThan(0);
  });

  it('AMQP 0-9-1 basic.qos: a consumer that goes away on node A hands its unacked messages to node B (redelivered)', async () => {
    const connA = await amqp(a);
    const onA = await connA.createConfirmChannel();
    await onA.assertQueue('handover', { durable: true });
    await onA.prefetch(3);
    const held = await consumeInto(onA, 'handover'); // never acks
    for (let i = 0; i < 6; i++) onA.sendToQueue('handover', Buffer.from(String(i)));
    await onA.waitForConfirms();
    const heldBodies = (await held.take(3)).map((m) => m.content.toString());
    const connB = await amqp(b);
    await queueVisible(connB, 'handover');
    const onB = await connB.createChannel();
    const inbox = await consumeInto(onB, 'handover', { noAck: true });
    const rest = await inbox.take(3);
    expect(rest.every((m) => !m.fields.redelivered)).toBe(true);
    await onA.close(); // its 3 unacked deliveries go back to the queue
    const back = await inbox.take(3);
    expect(back.every((m) => m.fields.redelivered)).toBe(true);
    expect(back.map((m) => m.content.toString()).sort()).toEqual([...heldBodies].sort());
  });

  it('AMQP 0-9-1 basic.reject without requeue dead-letters on the node that rejected it', async () => {
    const onA = await (await amqp(a)).createConfirmChannel();
    await onA.assertQueue('dlq', { durable: true });
    await onA.assertQueue('work-dlx', {
      durable: true,
      deadLetterExchange: '',
      deadLetterRoutingKey: 'dlq',
    });
    onA.sendToQueue('work-dlx', Buffer.from('poison'));
    await onA.waitForConfirms();
    const connB = await amqp(b);
    await queueVisible(connB, 'work-dlx');
    await queueVisible(connB, 'dlq');
    const onB = await connB.createChannel();
    const work = await consumeInto(onB, 'work-dlx');
    const m = await work.one();
    onB.reject(m, false);
    const dead = await consumeInto(await (await amqp(c)).createChannel(), 'dlq', { noAck: true });
    const d = await dead.one();
    expect(d.content.toString()).toBe('poison');
    expect(d.properties.headers?.['x-first-death-reason']).toBe('rejected');
  });

  it('AMQP 1.0 credit bounds what node C takes from a shared queue; a STOMP /queue/ consumer on node A gets the rest', async () => {
    const connB = await amqp(b);
    const pub = await connB.createConfirmChannel();
    await pub.assertQueue('mixed', { durable: true });
    await queueVisible(await amqp(c), 'mixed');
    const amqp10 = await connectClient(c.amqp);
    closers.push(() => amqp10.close());
    const receiver = await amqp10.openReceiver({ source: '/queues/mixed', credit_window: 0 });
    receiver.add_credit(5);
    const viaAmqp10 = collect(receiver, 5);
    const n = 10;
    for (let i = 0; i < n; i++) pub.sendToQueue('mixed', Buffer.from(String(i)));
    await pub.waitForConfirms();
    // An AMQP 0-9-1 body reaches AMQP 1.0 as a data section.
    const fromC = (await viaAmqp10).map((ctx) =>
      (ctx.message?.body as { content: Buffer }).content.toString(),
    );
    const stompQueue = new MessageQueue();
    const stomp = await stompOn(a);
    stomp.subscribe(
      '/queue/mixed',
      (m: IMessage) => {
        stompQueue.push(m);
        m.ack();
      },
      hdr({ ack: 'client-individual' }),
    );
    const fromA: string[] = [];
    for (let i = 0; i < n - 5; i++) fromA.push((await stompQueue.next()).body);
    expect(fromC).toHaveLength(5);
    expect(new Set([...fromA, ...fromC]).size).toBe(n);
    // One more round trip: nothing beyond the 10 arrives on A.
    pub.sendToQueue('mixed', Buffer.from('last'));
    expect((await stompQueue.next()).body).toBe('last');
  });

  it('x-expires counts cluster-wide: a queue consumed on node B outlives the timers of A and C, and goes once unused everywhere', async () => {
    const connA = await amqp(a);
    const onA = await connA.createConfirmChannel();
    await onA.assertQueue('expiring', { durable: false, expires: 300 });
    const connB = await amqp(b);
    await queueVisible(connB, 'expiring');
    const onB = await connB.createChannel();
    const inbox = await consumeInto(onB, 'expiring', { noAck: true });
    // Traffic for several expiry periods: A's and C's timers fire meanwhile and must keep it.
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 1_200) {
      onA.sendToQueue('expiring', Buffer.from(String(sent++)));
      await onA.waitForConfirms();
      await inbox.take(1);
    }
    expect(inbox.cancelled).toBe(false);
    await onB.cancel(inbox.tag);
    await queueGone(connA, 'expiring');
    await queueGone(connB, 'expiring');
  });

  it('a message rejected on node B reaches, through its DLX, an exclusive queue on node C', async () => {
    const onC = await (await amqp(c)).createChannel();
    await onC.assertExchange('dlx.fan', 'fanout', { durable: false });
    const { queue } = await onC.assertQueue('', { exclusive: true });
    await onC.bindQueue(queue, 'dlx.fan', '');
    const dead = await consumeInto(onC, queue, { noAck: true });
    await onC.assertQueue('work-dlx2', { durable: true, deadLetterExchange: 'dlx.fan' });
    const connB = await amqp(b);
    await queueVisible(connB, 'work-dlx2');
    const onB = await connB.createConfirmChannel();
    onB.sendToQueue('work-dlx2', Buffer.from('to the dead'));
    await onB.waitForConfirms();
    const work = await consumeInto(onB, 'work-dlx2');
    onB.reject(await work.one(), false);
    const d = await dead.one();
    expect(d.content.toString()).toBe('to the dead');
    expect(d.properties.headers?.['x-first-death-queue']).toBe('work-dlx2');
  });

  it('MQTT $share group with members on two nodes: each message to one member', async () => {
    const members = await Promise.all([mqttOn(a, 'share-1'), mqttOn(c, 'share-2')]);
    const inboxes = members.map((m) => new Inbox(m));
    for (const m of members) await m.subscribeAsync('$share/workers/tasks/#', { qos: 1 });
    const pub = await mqttOn(b, 'share-pub');
    const n = 40;
    for (let i = 0; i < n; i++) await pub.publishAsync(`tasks/${String(i)}`, String(i), { qos: 1 });
    await eventually(
      () => inboxes.reduce((s, i) => s + i.messages.length, 0) >= n,
      `${String(n)} shared deliveries`,
    );
    const got = inboxes.flatMap((i) => i.messages.map((m) => m.payload));
    expect(got).toHaveLength(n);
    expect(new Set(got).size).toBe(n);
  });
});
