/**
 * Scale-out (issue 11), shared queues as on one node: basic.get on any node sees what any node
 * published; `x-max-length` holds across nodes (checked in Redis with each add), with
 * RabbitMQ's `x-overflow` policies drop-head (dead-lettering the dropped head) and
 * reject-publish (basic.nack).
 */
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from './helpers/amqp10-client.js';
import { consumeInto } from './helpers/amqp091-client.js';
import {
  queueVisible,
  startCluster,
  useCluster,
  type ClusterNode,
} from './helpers/cluster-nodes.js';
import { connectStomp, hdr } from './helpers/stomp-clients.js';

const fixture = useCluster(() => startCluster(['a', 'b']));
let a: ClusterNode;
let b: ClusterNode;
beforeAll(() => {
  [a, b] = fixture.cluster.nodes as [ClusterNode, ClusterNode];
});

const connOf = new WeakMap<ConfirmChannel, ChannelModel>();
const connectionOf = (ch: ConfirmChannel): ChannelModel => {
  const conn = connOf.get(ch);
  if (!conn) throw new Error('unknown channel');
  return conn;
};

async function confirmChannel(node: ClusterNode): Promise<ConfirmChannel> {
  const conn = await fixture.amqp(node);
  const ch = await conn.createConfirmChannel();
  connOf.set(ch, conn);
  return ch;
}

function confirmed(ch: ConfirmChannel, queue: string, body: string): Promise<boolean> {
  return new Promise((resolve) => {
    ch.sendToQueue(queue, Buffer.from(body), { persistent: true }, (err) => {
      resolve(err === null || err === undefined);
    });
  });
}

describe('cluster: x-max-length on a shared queue (RabbitMQ queue length limit)', () => {
  it('drop-head: publishes on two nodes keep the newest messages; the dropped head is dead-lettered', async () => {
    const onA = await confirmChannel(a);
    await onA.assertQueue('capped-dead', { durable: true });
    await onA.assertQueue('capped', {
      durable: true,
      arguments: {
        'x-max-length': 3,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': 'capped-dead',
      },
    });
    const onB = await confirmChannel(b);
    await queueVisible(connectionOf(onB), 'capped');
    for (const [ch, body] of [
      [onA, 'm0'],
      [onB, 'm1'],
      [onA, 'm2'],
      [onB, 'm3'],
      [onA, 'm4'],
    ] as const) {
      expect(await confirmed(ch, 'capped', body)).toBe(true);
    }
    const kept = await consumeInto(onB, 'capped', { noAck: true });
    const dead = await consumeInto(onA, 'capped-dead', { noAck: true });
    const got = await Promise.all([kept.one(), kept.one(), kept.one()]);
    expect(got.map((m) => m.content.toString())).toEqual(['m2', 'm3', 'm4']);
    const died = await Promise.all([dead.one(), dead.one()]);
    expect(died.map((m) => m.content.toString()).sort()).toEqual(['m0', 'm1']);
    const deaths = died[0].properties.headers?.['x-death'] as { reason: string }[] | undefined;
    expect(deaths?.[0]?.reason).toBe('maxlen');
  });

  it('reject-publish: the publish that would exceed the limit is refused on whichever node (basic.nack, AMQP 1.0 rejected, STOMP dropped)', async () => {
    const onA = await confirmChannel(a);
    await onA.assertQueue('capped-r', {
      durable: true,
      arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' },
    });
    const onB = await confirmChannel(b);
    await queueVisible(connectionOf(onB), 'capped-r');
    expect(await confirmed(onA, 'capped-r', 'r0')).toBe(true);
    expect(await confirmed(onB, 'capped-r', 'r1')).toBe(true);
    expect(await confirmed(onB, 'capped-r', 'r2')).toBe(false);
    expect(await confirmed(onA, 'capped-r', 'r3')).toBe(false);
    // AMQP 1.0: the message is rejected (resource-limit-exceeded), the link carries on.
    const amqp10 = await connectClient(b.amqp);
    fixture.closers.push(() => amqp10.close());
    const sender = await amqp10.openSender('/queues/capped-r');
    for (const body of ['x0', 'x1']) {
      const { outcome, ctx } = await amqp10.send(sender, { body });
      expect(outcome).toBe('rejected');
      const error = (ctx.delivery?.remote_state as { error?: { condition?: string } } | undefined)
        ?.error;
      expect(error?.condition).toBe('amqp:resource-limit-exceeded');
    }
    // STOMP without a receipt: dropped as on one node, the connection stays.
    const { client: stomp } = await connectStomp({ kind: 'tcp', port: b.stomp });
    fixture.closers.push(() => stomp.deactivate());
    stomp.publish({ destination: '/amq/queue/capped-r', body: 's0' });
    const receipt = new Promise<void>((resolve) => {
      stomp.watchForReceipt('after-drop', () => {
        resolve();
      });
    });
    stomp.publish({
      destination: '/topic/nothing',
      body: 'x',
      headers: hdr({ receipt: 'after-drop' }),
    });
    await receipt;
    expect(stomp.connected).toBe(true);
    // Consuming makes room again.
    const inbox = await consumeInto(onA, 'capped-r');
    const first = await inbox.one();
    expect(first.content.toString()).toBe('r0');
    onA.ack(first);
    const second = await inbox.one();
    onA.ack(second);
    expect(second.content.toString()).toBe('r1');
    expect(await confirmed(onB, 'capped-r', 'r4')).toBe(true);
    expect((await inbox.one()).content.toString()).toBe('r4');
  });
});

describe('cluster: AMQP 0-9-1 basic.get on a shared queue', () => {
  it('node B gets what node A published, then get-empty; an unacked get goes back when its channel closes', async () => {
    const onA = await confirmChannel(a);
    await onA.assertQueue('polled', { durable: true });
    const onB = await confirmChannel(b);
    await queueVisible(connectionOf(onB), 'polled');
    for (const body of ['g0', 'g1']) expect(await confirmed(onA, 'polled', body)).toBe(true);

    const first = await onB.get('polled', { noAck: true });
    expect(first && first.content.toString()).toBe('g0');
    const getter = await connectionOf(onB).createChannel();
    const held = await getter.get('polled', { noAck: false });
    expect(held && held.content.toString()).toBe('g1');
    expect(held && held.fields.redelivered).toBe(false);
    expect(await onB.get('polled')).toBe(false);
    // Not acked: closing the channel gives it back, and any node gets it again, redelivered.
    await getter.close();
    const deadline = Date.now() + 5_000;
    let again: Awaited<ReturnType<ConfirmChannel['get']>> = false;
    while (!again) {
      expect(Date.now()).toBeLessThan(deadline);
      again = await onA.get('polled', { noAck: false });
    }
    expect(again.content.toString()).toBe('g1');
    expect(again.fields.redelivered).toBe(true);
    onA.ack(again);
    expect(await onA.get('polled')).toBe(false);
  });
});
