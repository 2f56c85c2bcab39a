import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import type { MqttClient } from 'mqtt';
import type { TestGateway } from './helpers/gateway.js';
import {
  connectMqtt,
  Inbox,
  openMqtt,
  RawMqtt,
  startMqttGateway,
  within,
} from './helpers/mqtt-clients.js';

let gw: TestGateway;
let port: number;
let amqpConn: amqp.ChannelModel;
let ch: amqp.Channel;
const clients: MqttClient[] = [];

async function client(opts: Parameters<typeof connectMqtt>[1] = {}): Promise<MqttClient> {
  const c = await connectMqtt(port, opts);
  clients.push(c);
  return c;
}

/** An exclusive AMQP queue bound to amq.topic, consumed once `first(n)` is called. */
async function amqpTap(
  pattern: string,
): Promise<{ first(n: number): Promise<amqp.ConsumeMessage[]> }> {
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, 'amq.topic', pattern);
  return {
    first: (n) => {
      const got: amqp.ConsumeMessage[] = [];
      return within<amqp.ConsumeMessage[]>((resolve) => {
        void ch.consume(
          queue,
          (m) => {
            if (!m) return;
            got.push(m);
            if (got.length === n) resolve(got);
          },
          { noAck: true },
        );
      }, `${n} AMQP messages on ${pattern}`);
    },
  };
}

beforeAll(async () => {
  gw = await startMqttGateway({}, { amqp: true });
  port = gw.port('mqtt');
  amqpConn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${gw.port('amqp091')}`);
  ch = await amqpConn.createChannel();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await amqpConn.close();
  await gw.stop();
});

describe('MQTT <-> AMQP 0-9-1 in the shared topic space', () => {
  it('an AMQP publish to amq.topic reaches MQTT subscribers (delivery-mode 2 -> QoS 1)', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('x/+/temp', { qos: 2 });
    ch.publish('amq.topic', 'x.kitchen.temp', Buffer.from('persistent'), { persistent: true });
    ch.publish('amq.topic', 'x.hall.temp', Buffer.from('transient'));
    const got = await inbox.count(2);
    expect(got.map((m) => [m.topic, m.payload, m.packet.qos])).toEqual([
      ['x/kitchen/temp', 'persistent', 1],
      ['x/hall/temp', 'transient', 0],
    ]);
  });

  it('an MQTT publish reaches an AMQP queue bound with the AMQP pattern', async () => {
    const tap = await amqpTap('y.*');
    const pub = await client();
    await pub.publishAsync('y/q1', 'one', { qos: 1 });
    await pub.publishAsync('y/q0', 'zero', { qos: 0 });
    const [q1, q0] = await tap.first(2);
    expect(q1?.fields.routingKey).toBe('y.q1');
    expect(q1?.properties.deliveryMode).toBe(2);
    expect(q1?.properties.headers?.['x-mqtt-publish-qos']).toBe(1);
    expect(q0?.content.toString()).toBe('zero');
    expect(q0?.properties.deliveryMode).not.toBe(2);
  });

  it('keeps a . inside an MQTT level and a / inside an AMQP word across the round trip', async () => {
    const tap = await amqpTap('fw.#');
    const pub = await client();
    await pub.publishAsync('fw/v1.2/x', 'dotted');
    const [m] = await tap.first(1);
    expect(m?.fields.routingKey).toBe('fw.v1%2E2.x');

    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(['fw/v1.2/x', 'path/+']);
    // an AMQP service answering on the key it received, and one using '/' in a word
    ch.publish('amq.topic', m?.fields.routingKey ?? '', Buffer.from('back'));
    ch.publish('amq.topic', 'path.a/b', Buffer.from('slash'));
    const got = await inbox.count(2);
    expect(got.map((r) => r.topic)).toEqual(['fw/v1.2/x', 'path/a%2Fb']);

    const back = await amqpTap('path.#');
    await pub.publishAsync('path/a%2Fb', 'slash again');
    const [again] = await back.first(1);
    expect(again?.fields.routingKey).toBe('path.a/b');
  });

  it('stores AMQP messages for an offline persistent MQTT session', async () => {
    const first = await connectMqtt(port, { clientId: 'cross-offline', clean: false });
    await first.subscribeAsync('off/#', { qos: 1 });
    await first.endAsync();
    ch.publish('amq.topic', 'off.a', Buffer.from('while away'), { persistent: true });
    const again = openMqtt(port, { clientId: 'cross-offline', clean: false });
    clients.push(again);
    const inbox = new Inbox(again);
    const [m] = await inbox.count(1);
    expect(m).toMatchObject({ topic: 'off/a', payload: 'while away' });
  });
});

describe('MQTT shared subscriptions $share/<group>/<filter>', () => {
  it('gives each message to exactly one member of the group', async () => {
    const a = await client();
    const b = await client();
    const other = await client();
    const inboxA = new Inbox(a);
    const inboxB = new Inbox(b);
    const inboxOther = new Inbox(other);
    await a.subscribeAsync('$share/workers/jobs/+', { qos: 1 });
    await b.subscribeAsync('$share/workers/jobs/+', { qos: 1 });
    await other.subscribeAsync('jobs/+', { qos: 1 });
    const pub = await client();
    for (let i = 0; i < 10; i++) await pub.publishAsync(`jobs/${i}`, String(i), { qos: 1 });
    await inboxOther.count(10);
    await within<undefined>((resolve) => {
      const check = (): void => {
        if (inboxA.messages.length + inboxB.messages.length === 10) resolve(undefined);
        else setImmediate(check);
      };
      check();
    }, '10 shared deliveries');
    const payloads = [...inboxA.messages, ...inboxB.messages].map((m) => m.payload).sort();
    expect(payloads).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(inboxA.messages.length).toBeGreaterThan(0);
    expect(inboxB.messages.length).toBeGreaterThan(0);
    expect(inboxA.messages[0]?.topic).toMatch(/^jobs\//);
  });

  it('is the core queue mqtt-shared-<group>-<pattern>; an AMQP consumer competes', async () => {
    const member = await client();
    const inbox = new Inbox(member);
    await member.subscribeAsync('$share/mixed/tasks/#', { qos: 1 });
    const queue = 'mqtt-shared-mixed-tasks.#';
    const info = await ch.checkQueue(queue);
    expect(info.queue).toBe(queue);
    const amqpGot: string[] = [];
    await ch.consume(queue, (m) => {
      if (m) {
        amqpGot.push(m.content.toString());
        ch.ack(m);
      }
    });
    const pub = await client();
    for (let i = 0; i < 20; i++) await pub.publishAsync(`tasks/${i}`, String(i), { qos: 1 });
    await within<undefined>((resolve) => {
      const check = (): void => {
        if (inbox.messages.length + amqpGot.length === 20) resolve(undefined);
        else setImmediate(check);
      };
      check();
    }, '20 competing deliveries');
    expect(amqpGot.length).toBeGreaterThan(0);
    expect(inbox.messages.length).toBeGreaterThan(0);
    const all = [...amqpGot, ...inbox.messages.map((m) => m.payload)]
      .map(Number)
      .sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('gives messages a member did not acknowledge to another member when it disconnects', async () => {
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('share-no-ack');
    raw.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: '$share/redo/r/+', qos: 1 }],
    });
    await raw.next('suback');
    const b = await client();
    const inboxB = new Inbox(b);
    await b.subscribeAsync('$share/redo/r/+', { qos: 1 });
    const pub = await client();
    for (let i = 0; i < 10; i++) await pub.publishAsync(`r/${i}`, String(i), { qos: 1 });
    await raw.next('publish'); // the silent member got its share
    raw.end();
    const got = await inboxB.count(10);
    expect(got.map((m) => Number(m.payload)).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 10 }, (_, i) => i),
    );
  });

  it('keeps the group queue while a persistent member is offline and resumes on reconnect', async () => {
    const first = await connectMqtt(port, { clientId: 'share-persist', clean: false });
    await first.subscribeAsync('$share/keep/k/+', { qos: 1 });
    await first.endAsync();
    const pub = await client();
    for (let i = 0; i < 3; i++) await pub.publishAsync(`k/${i}`, String(i), { qos: 1 });
    expect((await ch.checkQueue('mqtt-shared-keep-k.*')).messageCount).toBe(3);
    const again = openMqtt(port, { clientId: 'share-persist', clean: false });
    clients.push(again);
    const inbox = new Inbox(again);
    const got = await inbox.count(3);
    expect(got.map((m) => m.payload)).toEqual(['0', '1', '2']);
  });
});
