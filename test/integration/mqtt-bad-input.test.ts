import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { TestGateway } from './helpers/gateway.js';
import { connectMqtt, Inbox, RawMqtt, startMqttGateway } from './helpers/mqtt-clients.js';

const MAX_PACKET = 4096;
const MAX_LEVELS = 8;

let gw: TestGateway;
let port: number;
let bystander: MqttClient;
let bystanderInbox: Inbox;
let probe = 0;

/** The process and other clients are unharmed: a bystander still gets a fresh message. */
async function bystanderStillServed(): Promise<void> {
  const n = ++probe;
  await bystander.publishAsync('bystander/probe', String(n), { qos: 1 });
  const got = await bystanderInbox.count(n);
  expect(got[n - 1]?.payload).toBe(String(n));
}

beforeAll(async () => {
  gw = await startMqttGateway({
    maxPacketSize: MAX_PACKET,
    maxTopicLevels: MAX_LEVELS,
    qos0BufferLimit: 64 * 1024,
  });
  port = gw.port('mqtt');
  bystander = await connectMqtt(port, { clientId: 'bystander' });
  bystanderInbox = new Inbox(bystander);
  await bystander.subscribeAsync('bystander/probe', { qos: 1 });
});

afterAll(async () => {
  await bystander.endAsync(true);
  await gw.stop();
});

describe('MQTT bad input closes only that connection', () => {
  it('malformed bytes (reserved packet type 0) close the connection', async () => {
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('malformed');
    raw.sendBytes(Buffer.from([0x00, 0x02, 0xff, 0xff]));
    await raw.waitClosed();
    await bystanderStillServed();
  });

  it('wrong fixed-header flags close the connection [MQTT-2.2.2-2]', async () => {
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('bad-flags');
    // SUBSCRIBE must have flags 0b0010; 0b0000 is malformed
    raw.sendBytes(Buffer.from([0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]));
    await raw.waitClosed();
    await bystanderStillServed();
  });

  it(`a packet over maxPacketSize (${MAX_PACKET}) closes the connection before its body arrives`, async () => {
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('too-big');
    // only the fixed header of a 1 MiB PUBLISH: remaining length 0x100000 as a varint
    raw.sendBytes(Buffer.from([0x30, 0x80, 0x80, 0x40]));
    await raw.waitClosed();
    await bystanderStillServed();
  });

  it('a packet of exactly maxPacketSize is accepted', async () => {
    const sub = await connectMqtt(port, { clientId: 'max-size-sub' });
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('size/t');
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('max-size');
    // remaining length = 2 + topic (6) + payload
    const payload = Buffer.alloc(MAX_PACKET - 8, 0x61);
    raw.send({ cmd: 'publish', topic: 'size/t', payload, qos: 0, retain: false, dup: false });
    const [m] = await inbox.count(1);
    expect(m?.payload.length).toBe(MAX_PACKET - 8);
    raw.end();
    await sub.endAsync();
  });

  it('a wildcard in a PUBLISH topic closes the connection [MQTT-3.3.2-2]', async () => {
    for (const topic of ['a/+/b', 'a/#']) {
      const raw = await RawMqtt.connect(port);
      await raw.connectAs('wild-publisher');
      raw.send({
        cmd: 'publish',
        topic,
        payload: Buffer.from('x'),
        qos: 0,
        retain: false,
        dup: false,
      });
      await raw.waitClosed();
    }
    await bystanderStillServed();
  });

  it(`a topic with more than maxTopicLevels (${MAX_LEVELS}) levels closes the connection`, async () => {
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('deep');
    const topic = Array.from({ length: MAX_LEVELS + 1 }, (_, i) => `l${i}`).join('/');
    raw.send({
      cmd: 'publish',
      topic,
      payload: Buffer.from('x'),
      qos: 1,
      messageId: 1,
      retain: false,
      dup: false,
    });
    await raw.waitClosed();
    expect(raw.packets.some((p) => p.cmd === 'puback')).toBe(false);
    await bystanderStillServed();
  });

  it('publishing to $SYS/ is refused by closing the connection', async () => {
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('sys-writer');
    raw.send({
      cmd: 'publish',
      topic: '$SYS/fake',
      payload: Buffer.from('x'),
      qos: 0,
      retain: false,
      dup: false,
    });
    await raw.waitClosed();
  });

  it('a packet before CONNECT closes the connection [MQTT-3.1.0-1]', async () => {
    const raw = await RawMqtt.connect(port);
    raw.send({ cmd: 'pingreq' });
    await raw.waitClosed();
  });

  it('a second CONNECT closes the connection [MQTT-3.1.0-2]', async () => {
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('twice');
    raw.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'twice',
      keepalive: 0,
    });
    await raw.waitClosed();
  });
});

describe('MQTT acknowledgements only after the core has the message', () => {
  it('a QoS 1 publish refused by a full reject-publish queue gets no PUBACK; the connection closes', async () => {
    const vhost = gw.gateway.broker.vhost('/');
    vhost.declareQueue({
      name: 'mqtt-full',
      arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
    });
    vhost.bindQueue('mqtt-full', 'amq.topic', 'full.#');
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('into-full-queue');
    const publish = (messageId: number, qos: 0 | 1): void => {
      raw.send({
        cmd: 'publish',
        topic: 'full/x',
        payload: Buffer.from('x'),
        qos,
        messageId,
        retain: false,
        dup: false,
      });
    };
    publish(1, 1);
    await raw.next('puback');
    publish(2, 0); // QoS 0 has nothing to refuse
    publish(3, 1);
    await raw.waitClosed();
    expect(raw.packets.filter((p) => p.cmd === 'puback')).toHaveLength(0);
    expect(vhost.queueInfo('mqtt-full')?.messageCount).toBe(1);
    await bystanderStillServed();
  });
});

describe('MQTT SUBSCRIBE with invalid filters', () => {
  it('answers 0x80 for each invalid filter and grants the valid ones [MQTT-3.9.3-2]', async () => {
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('bad-filters');
    raw.send({
      cmd: 'subscribe',
      messageId: 3,
      subscriptions: [
        { topic: 'ok/+', qos: 1 },
        { topic: 'a/#/b', qos: 1 },
        { topic: 'a+', qos: 0 },
        { topic: '$share/g', qos: 1 },
        { topic: '$share/g+/x', qos: 1 },
        { topic: 'ok/#', qos: 2 },
      ],
    });
    const suback = await raw.next('suback');
    expect(suback).toMatchObject({ messageId: 3, granted: [1, 0x80, 0x80, 0x80, 0x80, 2] });
    raw.end();
  });
});

describe('MQTT slow subscribers', () => {
  it('a QoS 0 subscriber that stops reading does not stall the others', async () => {
    const slow = await RawMqtt.connect(port);
    await slow.connectAs('slow');
    slow.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'flood/t', qos: 0 }] });
    await slow.next('suback');
    slow.socket.pause();
    const fast = await connectMqtt(port, { clientId: 'fast' });
    const inbox = new Inbox(fast);
    await fast.subscribeAsync('flood/t');
    const pub = await connectMqtt(port, { clientId: 'flooder' });
    const payload = Buffer.alloc(2000, 0x62);
    const n = 3000;
    for (let i = 0; i < n; i++) pub.publish('flood/t', payload);
    await inbox.count(n, 15_000);
    await bystanderStillServed();
    slow.end();
    await Promise.all([fast.endAsync(), pub.endAsync()]);
  });
});
