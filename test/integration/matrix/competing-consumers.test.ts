/**
 * Competing consumers across protocols (`docs/mapping.md`, "Competing consumers"): consumers
 * of every protocol on one queue split the work, every message is processed exactly once.
 * MQTT joins through a shared subscription `$share/<group>/<filter>`, whose queue is
 * `mqtt-shared-<group>-<filter in AMQP form>` (docs/mqtt.md).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gateway.js';
import {
  annotation,
  budget,
  Clients,
  consumeQueue,
  numbered,
  publisher,
  startMatrixGateway,
  type Got,
  type Subscriber,
  type Topic,
} from './helpers.js';

let gw: TestGateway;
const clients = new Clients();

beforeAll(async () => {
  gw = await startMatrixGateway();
});
afterEach(async () => {
  await clients.closeAll();
});
afterAll(async () => {
  await gw.stop();
});

/** Waits until the consumers hold `n` deliveries between them. */
async function split(consumers: readonly Subscriber[], n: number): Promise<Got[]> {
  const deadline = Date.now() + budget(n);
  const total = (): number => consumers.reduce((sum, c) => sum + c.got.items.length, 0);
  while (total() < n) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out: ${total()} of ${n} deliveries`);
    // Wake up on the next delivery to any consumer.
    await Promise.race(
      consumers.map((c) =>
        c.got.until(c.got.items.length + 1, 'a delivery', left).catch(() => undefined),
      ),
    );
  }
  return consumers.flatMap((c) => c.got.items);
}

function expectEachOnce(got: readonly Got[], expected: readonly string[]): void {
  const bodies = got.map((g) => g.body.toString());
  expect(bodies).toHaveLength(expected.length);
  expect(new Set(bodies).size).toBe(expected.length);
  expect([...bodies].sort()).toEqual([...expected].sort());
}

describe('competing consumers', () => {
  it('MQTT $share members, a STOMP /amq/queue/ consumer and AMQP consumers split the work', async () => {
    const queue = 'mqtt-shared-workers-work.*';
    const members = [
      await consumeQueue(clients, gw, 'mqtt', queue, { share: '$share/workers/work/+' }),
      await consumeQueue(clients, gw, 'mqtt', queue, { share: '$share/workers/work/+' }),
    ];
    const others = [
      await consumeQueue(clients, gw, 'stomp-ws', queue),
      await consumeQueue(clients, gw, 'amqp091', queue),
      await consumeQueue(clients, gw, 'amqp10', queue),
    ];
    const consumers = [...members, ...others];
    const n = 600;
    const topic: Topic = { mqtt: 'work/item', amqp: 'work.item' };
    const pubs = [
      await publisher(clients, gw, 'mqtt'),
      await publisher(clients, gw, 'amqp091'),
      await publisher(clients, gw, 'stomp-tcp'),
    ];
    const batches = pubs.map((p) => numbered(p.proto, n / pubs.length));
    await Promise.all(pubs.map((p, i) => p.publish(topic, batches[i] ?? [])));
    const got = await split(consumers, n);
    expectEachOnce(
      got,
      batches.flat().map((b) => b.toString()),
    );
    for (const c of consumers) expect(c.got.items.length, `${c.proto} got work`).toBeGreaterThan(0);
    // Every delivery was acknowledged: nothing is left in the queue.
    const ch = await (await clients.amqp091(gw)).createChannel();
    expect((await ch.checkQueue(queue)).messageCount).toBe(0);
    // The MQTT members see the topic in MQTT form; the others the AMQP routing key.
    expect(members[0]?.got.items[0]?.topic).toBe('work/item');
    expect(others[0]?.got.items[0]?.topic).toBe('/topic/work.item');
  });

  it('STOMP /queue/ consumers, an AMQP 0-9-1 and an AMQP 1.0 consumer share a STOMP-declared queue', async () => {
    const queue = 'matrix.jobs';
    const consumers = [
      await consumeQueue(clients, gw, 'stomp-tcp', queue, { stompQueue: true }),
      await consumeQueue(clients, gw, 'stomp-ws', queue, { stompQueue: true }),
      await consumeQueue(clients, gw, 'amqp091', queue),
      await consumeQueue(clients, gw, 'amqp10', queue),
    ];
    // Publish to the queue itself: the default exchange, routing key = queue name.
    const ch = await (await clients.amqp091(gw)).createConfirmChannel();
    const n = 400;
    const bodies = numbered('job', n);
    for (const b of bodies) ch.sendToQueue(queue, b, { persistent: true });
    await ch.waitForConfirms();
    const got = await split(consumers, n);
    expectEachOnce(
      got,
      bodies.map((b) => b.toString()),
    );
    for (const c of consumers) expect(c.got.items.length, `${c.proto} got work`).toBeGreaterThan(0);
    // Published through the default exchange: each receiver names the queue its way.
    expect(consumers.map((c) => c.got.items[0]?.topic)).toEqual([
      '/queue/matrix.jobs',
      '/queue/matrix.jobs',
      'matrix.jobs',
      'matrix.jobs',
    ]);
    const first = consumers[3]?.got.items[0];
    expect(first?.proto === 'amqp10' ? annotation(first.msg, 'x-exchange') : undefined).toBe('');
    expect((await ch.checkQueue(queue)).messageCount).toBe(0);
    for (const c of consumers) await c.stop();
    await ch.deleteQueue(queue);
  });
});

describe('a message requeued by one protocol, redelivered to another', () => {
  // The queue of `$share/again/redo/x`; AMQP 0-9-1 takes the message and requeues it, then a
  // consumer of each protocol gets it again.
  const queue = 'mqtt-shared-again-redo.x';
  const share = '$share/again/redo/x';

  it.each([
    ['amqp091', { redelivered: true }],
    ['amqp10', { delivery_count: 1 }],
    ['stomp-tcp', { redelivered: 'true' }],
    ['stomp-ws', { redelivered: 'true' }],
    // DUP is about resending one packet to the same client [MQTT-3.3.1-1]: this client never
    // had it, so DUP stays 0. The topic is the routing key: here the queue name (default
    // exchange).
    ['mqtt', { dup: false, topic: 'mqtt-shared-again-redo/x' }],
  ] as const)('redelivered, as %s writes it', async (proto, expected) => {
    // The MQTT member declares the shared queue, then leaves it.
    const first = await consumeQueue(clients, gw, 'mqtt', queue, { share });
    await first.stop();
    const ch = await (await clients.amqp091(gw)).createConfirmChannel();
    ch.sendToQueue(queue, Buffer.from(`again ${proto}`), { persistent: true });
    await ch.waitForConfirms();
    const taken = await ch.get(queue);
    if (taken === false) throw new Error('basic.get found nothing');
    expect(taken.fields.redelivered).toBe(false);
    ch.nack(taken, false, true);
    const c = await consumeQueue(clients, gw, proto, queue, proto === 'mqtt' ? { share } : {});
    const [g] = await c.got.until(1, 'the redelivery');
    if (!g) throw new Error('no delivery');
    expect(g.body.toString()).toBe(`again ${proto}`);
    const seen: Record<string, unknown> =
      g.proto === 'amqp091'
        ? { redelivered: g.msg.fields.redelivered }
        : g.proto === 'amqp10'
          ? { delivery_count: g.msg.delivery_count }
          : g.proto === 'mqtt'
            ? { dup: g.packet.dup, topic: g.topic }
            : { redelivered: g.msg.headers.redelivered };
    expect(seen).toEqual(expected);
  });
});
