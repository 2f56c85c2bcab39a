/**
 * Scale-out (issue 11) on a Redis Cluster (`store.redis.clusterNodes`, ioredis' Cluster
 * client): two gateway nodes on a 3-master Redis Cluster route across nodes, share queues whose
 * streams sit on different shards, take MQTT sessions over, and keep durable messages across a
 * restart.
 */
import calculateSlot from 'cluster-key-slot';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClusterKeys } from '../../src/cluster/cluster-keys.js';
import { consumeInto, eventually } from './helpers/amqp091-client.js';
import {
  queueVisible,
  startClusterOnRedisCluster,
  useCluster,
  type ClusterNode,
} from './helpers/cluster-nodes.js';
import { connectMqtt, Inbox } from './helpers/mqtt-clients.js';

const fixture = useCluster(() => startClusterOnRedisCluster(['a', 'b']));
const { closers, amqp } = fixture;
let a: ClusterNode;
let b: ClusterNode;
beforeAll(() => {
  [a, b] = fixture.cluster.nodes as [ClusterNode, ClusterNode];
});

describe('cluster on a Redis Cluster', () => {
  it('MQTT QoS 0 and AMQP 0-9-1 fan-out cross nodes', async () => {
    const sub = await connectMqtt(b.mqtt, { clientId: 'rc-sub' });
    closers.push(() => sub.endAsync());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('rc/#');
    const ch = await (await amqp(b)).createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'amq.topic', 'rc.#');
    const amqpInbox = await consumeInto(ch, queue, { noAck: true });

    const pub = await connectMqtt(a.mqtt, { clientId: 'rc-pub' });
    closers.push(() => pub.endAsync());
    // Until B's subscriptions are known on A (one pub/sub hop), a QoS 1 round trip paces it.
    const deadline = Date.now() + 5_000;
    while (inbox.messages.length === 0) {
      expect(Date.now()).toBeLessThan(deadline);
      await pub.publishAsync('rc/ping', 'x', { qos: 1 });
    }
    expect(inbox.messages[0]?.topic).toBe('rc/ping');
    expect((await amqpInbox.one()).content.toString()).toBe('x');
  });

  it('queues on different shards: competing consumers on both nodes get each message once', async () => {
    const keys = new ClusterKeys(fixture.cluster.prefix);
    const names = ['rc-jobs-1', 'rc-jobs-2', 'rc-jobs-3', 'rc-jobs-4'];
    // `redis-cli --cluster create` gives each of the three masters a third of the 16384 slots.
    const shards = new Set(names.map((q) => Math.floor(calculateSlot(keys.stream('/', q)) / 5462)));
    expect(shards.size).toBeGreaterThan(1);
    const pub = await (await amqp(a)).createConfirmChannel();
    for (const q of names) await pub.assertQueue(q, { durable: true });
    const consumers = await Promise.all(
      [a, b].flatMap((node) =>
        names.map(async (q) => {
          const conn = await amqp(node);
          await queueVisible(conn, q);
          const ch = await conn.createChannel();
          await ch.prefetch(5);
          const inbox = await consumeInto(ch, q);
          return { ch, inbox, q };
        }),
      ),
    );
    const n = 40;
    for (const q of names)
      for (let i = 0; i < n; i++)
        pub.sendToQueue(q, Buffer.from(`${q}:${i}`), { persistent: true });
    await pub.waitForConfirms();
    const acked = new Set<unknown>();
    const all = () => consumers.flatMap((c) => c.inbox.received);
    await eventually(
      () => {
        for (const { ch, inbox } of consumers)
          for (const m of inbox.received)
            if (!acked.has(m)) {
              acked.add(m);
              ch.ack(m);
            }
        return all().length >= n * names.length;
      },
      `${String(n * names.length)} deliveries`,
      15_000,
    );
    const bodies = all().map((m) => m.content.toString());
    expect(bodies).toHaveLength(n * names.length);
    expect(new Set(bodies).size).toBe(n * names.length);
  });

  it('a node restarted on the Redis Cluster keeps the durable messages of a queue', async () => {
    const ch = await (await amqp(a)).createConfirmChannel();
    await ch.assertQueue('rc-kept', { durable: true });
    for (let i = 0; i < 5; i++)
      ch.sendToQueue('rc-kept', Buffer.from(String(i)), { persistent: true });
    await ch.waitForConfirms();
    await a.kill('SIGKILL');
    const c = await fixture.cluster.addNode('c');
    const connC = await amqp(c);
    await queueVisible(connC, 'rc-kept');
    const onC = await connC.createChannel();
    const inbox = await consumeInto(onC, 'rc-kept', { noAck: true });
    const got = await Promise.all([0, 1, 2, 3, 4].map(() => inbox.one()));
    expect(got.map((m) => m.content.toString())).toEqual(['0', '1', '2', '3', '4']);
  });
});
