/**
 * Scale-out (issue 11), MQTT across nodes: retained messages set on one node are seen on the
 * others; a persistent session follows its client to another node with everything queued for
 * it; a client id connecting to a second node takes it over; a dead node's sessions are adopted.
 */
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import type { IConnackPacket, MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type ClusterNode, type TestCluster } from './helpers/cluster-nodes.js';
import { connectMqtt, Inbox, openMqtt, within } from './helpers/mqtt-clients.js';

let cluster: TestCluster | undefined;
const closers: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  await cluster?.stop();
  cluster = undefined;
});

async function twoNodes(resyncIntervalMs?: number): Promise<[ClusterNode, ClusterNode]> {
  cluster = await startCluster(['a', 'b'], resyncIntervalMs ? { resyncIntervalMs } : {});
  return cluster.nodes as [ClusterNode, ClusterNode];
}

async function mqttOn(node: ClusterNode, clientId: string, clean = true): Promise<MqttClient> {
  const client = await connectMqtt(node.mqtt, { clientId, clean });
  closers.push(() => client.endAsync(true));
  return client;
}

/** Connects with listeners attached first: queued messages come right after CONNACK. */
async function sessionOn(
  node: ClusterNode,
  clientId: string,
  clean = false,
): Promise<{ client: MqttClient; inbox: Inbox; connack: IConnackPacket }> {
  const client = openMqtt(node.mqtt, { clientId, clean });
  closers.push(() => client.endAsync(true));
  const inbox = new Inbox(client);
  const connack = await within<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  }, `CONNACK for ${clientId}`);
  return { client, inbox, connack };
}

/** Subscribes on a fresh connection and returns the retained messages it got (the last one
 * of `topics` it waits for marks the end). */
async function retainedOn(node: ClusterNode, filter: string, last: string): Promise<string[]> {
  const sub = await mqttOn(node, `r-${Math.random().toString(36).slice(2)}`);
  const inbox = new Inbox(sub);
  await sub.subscribeAsync(filter, { qos: 1 });
  const deadline = Date.now() + 5_000;
  for (;;) {
    const got = inbox.messages.filter((m) => m.packet.retain).map((m) => `${m.topic}=${m.payload}`);
    if (got.some((g) => g.startsWith(`${last}=`))) return got;
    if (Date.now() > deadline) throw new Error(`no retained ${last} on node (got ${got.join()})`);
    await inbox.count(inbox.messages.length + 1, 200).catch(() => undefined);
  }
}

describe('cluster: MQTT retained messages', () => {
  it('set on node A, a new subscriber on node B gets it; cleared on B, gone on A [MQTT-3.3.1-6] [MQTT-3.3.1-10]', async () => {
    const [a, b] = await twoNodes();
    const pubA = await mqttOn(a, 'retain-pub-a');
    await pubA.publishAsync('status/door', 'open', { qos: 1, retain: true });
    expect(await retainedOn(b, 'status/#', 'status/door')).toEqual(['status/door=open']);

    const pubB = await mqttOn(b, 'retain-pub-b');
    await pubB.publishAsync('status/door', '', { qos: 1, retain: true });
    // Announced after the clear, so once A has it, A has applied the clear too.
    await pubB.publishAsync('status/window', 'shut', { qos: 1, retain: true });
    expect(await retainedOn(a, 'status/#', 'status/window')).toEqual(['status/window=shut']);
  });
});

describe('cluster: MQTT persistent sessions', () => {
  it('a session made on node A continues on node B with every message queued meanwhile, in order [MQTT-3.1.2-4] [MQTT-3.2.2-2]', async () => {
    const [a, b] = await twoNodes();
    const first = await sessionOn(a, 'dev-1');
    expect(first.connack.sessionPresent).toBe(false);
    await first.client.subscribeAsync('cmd/dev-1/#', { qos: 1 });
    await first.client.endAsync();

    // Queued while offline: MQTT on both nodes, AMQP 0-9-1 on B.
    const pubB = await mqttOn(b, 'dev-1-pub-b');
    const pubA = await mqttOn(a, 'dev-1-pub-a');
    for (let i = 0; i < 5; i++) await pubB.publishAsync('cmd/dev-1/b', `b${i}`, { qos: 1 });
    for (let i = 0; i < 5; i++) await pubA.publishAsync('cmd/dev-1/a', `a${i}`, { qos: 1 });
    const conn = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${b.amqp}`);
    closers.push(() => conn.close());
    const ch = await conn.createConfirmChannel();
    // Persistent: an AMQP message reaches MQTT as QoS 1, and only QoS 1/2 is queued offline.
    for (let i = 0; i < 5; i++) {
      ch.publish('amq.topic', 'cmd.dev-1.q', Buffer.from(`q${i}`), { persistent: true });
    }
    await ch.waitForConfirms();

    const second = await sessionOn(b, 'dev-1');
    expect(second.connack.sessionPresent).toBe(true);
    const got = (await second.inbox.count(15)).map((m) => m.payload);
    for (const p of ['a', 'b', 'q']) {
      expect(got.filter((g) => g.startsWith(p))).toEqual([0, 1, 2, 3, 4].map((i) => `${p}${i}`));
    }
    // The session's subscription now lives on B: a publish on A reaches it there.
    await pubA.publishAsync('cmd/dev-1/later', 'later', { qos: 1 });
    expect((await second.inbox.count(16))[15]?.payload).toBe('later');
    // Nothing twice.
    await pubB.publishAsync('cmd/dev-1/end', 'end', { qos: 1 });
    await second.inbox.count(17);
    expect(second.inbox.messages).toHaveLength(17);
  });

  it('nothing is lost while a session passes to another node under traffic (QoS 1: at least once)', async () => {
    const [a, b] = await twoNodes();
    const first = await sessionOn(a, 'dev-5');
    await first.client.subscribeAsync('cmd/dev-5', { qos: 1 });
    await first.client.endAsync();
    const pub = await mqttOn(a, 'dev-5-pub');
    const n = 200;
    let published = 0;
    let moved: Promise<Awaited<ReturnType<typeof sessionOn>>> | undefined;
    while (published < n) {
      await pub.publishAsync('cmd/dev-5', String(published++), { qos: 1 });
      // The session moves to B while messages keep coming.
      if (published === 50) moved = sessionOn(b, 'dev-5');
    }
    const second = await (moved ?? sessionOn(b, 'dev-5'));
    expect(second.connack.sessionPresent).toBe(true);
    const got = new Set<string>();
    const missing = (): number[] => [...Array(n).keys()].filter((i) => !got.has(String(i)));
    const collect = async (session: Awaited<ReturnType<typeof sessionOn>>): Promise<void> => {
      const deadline = Date.now() + 5_000;
      for (;;) {
        for (const m of session.inbox.messages) got.add(m.payload);
        if (missing().length === 0 || Date.now() > deadline) return;
        await session.inbox.count(session.inbox.messages.length + 1, 500).catch(() => undefined);
      }
    };
    await collect(second);
    // At least once is across the session, not one connection: what is still queued for it
    // comes on the next one. Nothing may be neither delivered nor queued.
    if (missing().length > 0) {
      await second.client.endAsync();
      await collect(await sessionOn(b, 'dev-5'));
    }
    expect(missing()).toEqual([]);
  });

  it('a client id connecting to node B takes over its connection on node A [MQTT-3.1.4-2]', async () => {
    const [a, b] = await twoNodes();
    const onA = await sessionOn(a, 'dev-2');
    await onA.client.subscribeAsync('cmd/dev-2', { qos: 1 });
    const closedOnA = within<boolean>((resolve) => {
      onA.client.once('close', () => {
        resolve(true);
      });
    }, 'the connection on A to close');
    const onB = await sessionOn(b, 'dev-2');
    await closedOnA;
    expect(onB.connack.sessionPresent).toBe(true);
    const pub = await mqttOn(a, 'dev-2-pub');
    await pub.publishAsync('cmd/dev-2', 'x', { qos: 1 });
    expect((await onB.inbox.count(1))[0]?.payload).toBe('x');
    expect(onA.inbox.messages).toHaveLength(0);
  });

  it('a clean-session CONNECT on node B discards the session node A held [MQTT-3.1.2-6]', async () => {
    const [a, b] = await twoNodes();
    const first = await sessionOn(a, 'dev-3');
    await first.client.subscribeAsync('cmd/dev-3', { qos: 1 });
    await first.client.endAsync();
    const pub = await mqttOn(a, 'dev-3-pub');
    await pub.publishAsync('cmd/dev-3', 'queued', { qos: 1 });

    const clean = await sessionOn(b, 'dev-3', true);
    expect(clean.connack.sessionPresent).toBe(false);
    await clean.client.endAsync();
    const again = await sessionOn(a, 'dev-3');
    expect(again.connack.sessionPresent).toBe(false);
    // Nothing was queued for it: a probe published after it comes alone.
    await again.client.subscribeAsync('cmd/dev-3', { qos: 1 });
    await pub.publishAsync('cmd/dev-3', 'probe', { qos: 1 });
    expect((await again.inbox.count(1)).map((m) => m.payload)).toEqual(['probe']);
  });

  it('SIGKILL of the node holding an offline session: the survivor that finds it dead adopts it and queues again; the client gets all of it there', async () => {
    // A resync far away: the adoption comes from finding the node dead (two presence passes).
    const [a, b] = await twoNodes(60_000);
    const first = await sessionOn(a, 'dev-4');
    await first.client.subscribeAsync('cmd/dev-4', { qos: 1 });
    await first.client.endAsync();
    const pubA = await mqttOn(a, 'dev-4-pub-a');
    for (let i = 0; i < 3; i++) await pubA.publishAsync('cmd/dev-4', `before${i}`, { qos: 1 });

    const redis = new Redis(cluster?.redis.url ?? '');
    closers.push(() => redis.quit());
    const holders = `${cluster?.prefix ?? ''}cluster:holders`;
    const heldBy = (): Promise<string | null> => redis.hget(holders, 'mqtt:/:dev-4');
    const original = await heldBy();
    expect(original).toMatch(/^a\./);
    await a.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while ((await heldBy()) === original) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await heldBy()).toMatch(/^b\./);

    const pubB = await mqttOn(b, 'dev-4-pub-b');
    for (let i = 0; i < 3; i++) await pubB.publishAsync('cmd/dev-4', `after${i}`, { qos: 1 });
    const back = await sessionOn(b, 'dev-4');
    expect(back.connack.sessionPresent).toBe(true);
    expect((await back.inbox.count(6)).map((m) => m.payload)).toEqual([
      'before0',
      'before1',
      'before2',
      'after0',
      'after1',
      'after2',
    ]);
  });
  it('a dead node with many offline sessions: the survivor adopts them all in one pass (each area read once) and each client gets its messages', async () => {
    const [a, b] = await twoNodes(60_000);
    const n = 20;
    const pubA = await mqttOn(a, 'bulk-pub-a');
    for (let i = 0; i < n; i++) {
      const s = await sessionOn(a, `bulk-${String(i)}`);
      await s.client.subscribeAsync(`bulk/${String(i)}`, { qos: 1 });
      await s.client.endAsync();
      await pubA.publishAsync(`bulk/${String(i)}`, 'before', { qos: 1 });
    }
    const redis = new Redis(cluster?.redis.url ?? '');
    closers.push(() => redis.quit());
    const holders = `${cluster?.prefix ?? ''}cluster:holders`;
    await a.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    const heldByB = async (): Promise<number> =>
      (await redis.hvals(holders)).filter((h) => h.startsWith('b.')).length;
    while ((await heldByB()) < n) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const pubB = await mqttOn(b, 'bulk-pub-b');
    for (let i = 0; i < n; i++) await pubB.publishAsync(`bulk/${String(i)}`, 'after', { qos: 1 });
    for (let i = 0; i < n; i++) {
      const back = await sessionOn(b, `bulk-${String(i)}`);
      expect(back.connack.sessionPresent).toBe(true);
      expect((await back.inbox.count(2)).map((m) => m.payload)).toEqual(['before', 'after']);
      await back.client.endAsync();
    }
  });
});
