/**
 * Persistent MQTT sessions (clean session 0) live in the gateway store (issues 4 and 9): a
 * gateway restarted on the same SQLite data directory gives a returning client its
 * subscriptions, the messages queued while it was away, its unacknowledged deliveries and the
 * inbound QoS 2 packet ids it had acknowledged with PUBREC.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import type { IConnackPacket, IClientOptions, MqttClient } from 'mqtt';
import type { IPublishPacket } from 'mqtt-packet';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { TestGateway } from './helpers/gateway.js';
import { connectMqtt, Inbox, openMqtt, RawMqtt, startMqttGateway } from './helpers/mqtt-clients.js';

const dirs: string[] = [];
const gateways: TestGateway[] = [];
const clients: MqttClient[] = [];
const raws: RawMqtt[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  for (const r of raws.splice(0)) r.end();
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gw-mqtt-session-'));
  dirs.push(d);
  return d;
}

async function start(dir: string): Promise<TestGateway> {
  const gw = await startMqttGateway(
    {},
    { amqp: true, config: { dataDir: dir, store: { type: 'sqlite' } } },
  );
  gateways.push(gw);
  return gw;
}

async function stop(gw: TestGateway): Promise<void> {
  gateways.splice(gateways.indexOf(gw), 1);
  await gw.stop();
}

async function client(gw: TestGateway, opts: IClientOptions): Promise<MqttClient> {
  const c = await connectMqtt(gw.port('mqtt'), opts);
  clients.push(c);
  return c;
}

/** Connects with an inbox attached before CONNACK (a stored queue arrives right after it). */
async function resume(
  gw: TestGateway,
  clientId: string,
  clean = false,
): Promise<{ inbox: Inbox; sessionPresent: boolean }> {
  const c = openMqtt(gw.port('mqtt'), { clientId, clean });
  clients.push(c);
  const inbox = new Inbox(c);
  const connack = await new Promise<IConnackPacket>((resolve) => {
    c.once('connect', resolve);
  });
  return { inbox, sessionPresent: connack.sessionPresent };
}

async function raw(gw: TestGateway, clientId: string): Promise<RawMqtt> {
  const r = await RawMqtt.connect(gw.port('mqtt'));
  raws.push(r);
  const connack = await r.connectAs(clientId, { clean: false });
  expect(connack).toMatchObject({ cmd: 'connack', returnCode: 0 });
  return r;
}

/** Publishes persistent messages to `amq.topic` with publisher confirms. */
async function publishAmqp(gw: TestGateway, messages: [routingKey: string, body: string][]) {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${gw.port('amqp091')}`);
  const ch = await conn.createConfirmChannel();
  for (const [key, body] of messages) {
    ch.publish('amq.topic', key, Buffer.from(body), { persistent: true });
  }
  await ch.waitForConfirms();
  await conn.close();
}

/** A clean-session-0 client subscribes and goes away: its session is stored. */
async function leaveSession(gw: TestGateway, clientId: string, filter: string, qos: 1 | 2) {
  const c = await client(gw, { clientId, clean: false });
  await c.subscribeAsync(filter, { qos });
  await c.endAsync();
}

/** Sends a QoS 2 PUBLISH and waits for its PUBREC. */
async function publishQos2(r: RawMqtt, payload: string, messageId: number, dup = false) {
  r.send({ cmd: 'publish', topic: 'eo/t', payload, qos: 2, messageId, retain: false, dup });
  await r.next('pubrec');
}

/** A PINGRESP comes after the server has handled everything the client sent before. */
async function handled(r: RawMqtt): Promise<void> {
  r.send({ cmd: 'pingreq' });
  await r.next('pingresp');
}

function idOf(p: IPublishPacket): number {
  if (p.messageId === undefined) throw new Error('a QoS 1/2 PUBLISH without a packet id');
  return p.messageId;
}

/** The session records left in a stopped gateway's store. */
async function storedKeys(dir: string, area: 'subs' | 'out' | 'in' | 'will'): Promise<string[]> {
  const store = new SqliteStore({ dataDir: dir, synchronous: 'normal', maxBatch: 64 });
  await store.open();
  try {
    return (await store.listRecords(`mqtt:/:${area}`)).map((r) => r.key);
  } finally {
    await store.close();
  }
}

describe('MQTT persistent sessions across a restart (SQLite store)', () => {
  it('[MQTT-3.2.2-2] [MQTT-4.4.0-1] a returning clean-session-0 client gets what MQTT and AMQP 0-9-1 published while it was offline, in order', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const sub = await client(first, { clientId: 'offline-sub', clean: false });
    await sub.subscribeAsync({ 'sess/a': { qos: 1 }, 'sess/b/#': { qos: 2 } });
    await sub.endAsync();

    const pub = await client(first, { clientId: 'offline-pub' });
    await pub.publishAsync('sess/a', 'mqtt-1', { qos: 1 });
    await pub.publishAsync('sess/b/x', 'mqtt-2', { qos: 2 });
    await publishAmqp(first, [
      ['sess.a', 'amqp-3'],
      ['sess.b.y', 'amqp-4'],
    ]);
    // Its PUBACK waits for its own offline enqueue, which was queued after the AMQP ones.
    await pub.publishAsync('sess/a', 'mqtt-5', { qos: 1 });
    await stop(first);

    // The stored filters are bound again at start: an AMQP message is queued for the session
    // before it comes back.
    const second = await start(dir);
    await publishAmqp(second, [['sess.b.w', 'amqp-6']]);
    const pub2 = await client(second, { clientId: 'offline-pub' });
    await pub2.publishAsync('sess/a', 'mqtt-7', { qos: 1 });
    // A raw client: mqtt.js hands a QoS 2 message over only at PUBREL, which reorders them.
    const back = await RawMqtt.connect(second.port('mqtt'));
    raws.push(back);
    expect(await back.connectAs('offline-sub', { clean: false })).toMatchObject({
      sessionPresent: true,
    });
    const wire: unknown[][] = [];
    for (let i = 0; i < 7; i++) {
      const p = (await back.next('publish')) as IPublishPacket;
      wire.push([p.topic, p.payload.toString(), p.qos, p.dup]);
    }
    // AMQP persistent messages carry no MQTT QoS: they count as QoS 1.
    expect(wire).toEqual([
      ['sess/a', 'mqtt-1', 1, false],
      ['sess/b/x', 'mqtt-2', 2, false],
      ['sess/a', 'amqp-3', 1, false],
      ['sess/b/y', 'amqp-4', 1, false],
      ['sess/a', 'mqtt-5', 1, false],
      ['sess/b/w', 'amqp-6', 1, false],
      ['sess/a', 'mqtt-7', 1, false],
    ]);
    // The subscriptions came back too: a live message still reaches the session.
    await pub2.publishAsync('sess/b/z', 'live-8', { qos: 2 });
    const p = (await back.next('publish')) as IPublishPacket;
    expect([p.topic, p.payload.toString(), p.qos]).toEqual(['sess/b/z', 'live-8', 2]);
  });

  it('[MQTT-4.4.0-1] an unacknowledged QoS 1 delivery is resent after a restart with DUP and its packet id; PUBACK removes it', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const sub = await raw(first, 'inflight-sub');
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'fl/t', qos: 1 }] });
    await sub.next('suback');
    const pub = await client(first, {});
    await pub.publishAsync('fl/t', 'not acked', { qos: 1 });
    const sent = (await sub.next('publish')) as IPublishPacket;
    expect(sent.dup).toBe(false);
    sub.end();
    await stop(first);

    const second = await start(dir);
    const again = await RawMqtt.connect(second.port('mqtt'));
    raws.push(again);
    expect(await again.connectAs('inflight-sub', { clean: false })).toMatchObject({
      sessionPresent: true,
    });
    const resent = (await again.next('publish')) as IPublishPacket;
    expect(resent).toMatchObject({ topic: 'fl/t', qos: 1, dup: true, messageId: idOf(sent) });
    expect(resent.payload.toString()).toBe('not acked');
    again.send({ cmd: 'puback', messageId: idOf(resent) });
    await handled(again);
    again.end();
    await stop(second);
    expect(await storedKeys(dir, 'out')).toEqual([]);
    expect(await storedKeys(dir, 'subs')).toEqual(['inflight-sub']);
  });

  it('[MQTT-4.4.0-1] [MQTT-3.6.1-1] an outgoing QoS 2 delivery at PUBREL is resumed with PUBREL after a restart, without DUP', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const sub = await raw(first, 'pubrel-sub');
    sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'rel/t', qos: 2 }] });
    await sub.next('suback');
    const pub = await client(first, {});
    await pub.publishAsync('rel/t', 'exactly once', { qos: 2 });
    const sent = (await sub.next('publish')) as IPublishPacket;
    sub.send({ cmd: 'pubrec', messageId: idOf(sent) });
    await sub.next('pubrel');
    sub.end();
    await stop(first);

    const second = await start(dir);
    const again = await raw(second, 'pubrel-sub');
    const rel = await again.next('pubrel');
    expect(rel).toMatchObject({ messageId: sent.messageId, dup: false });
    expect(again.packets.filter((p) => p.cmd === 'publish')).toEqual([]);
    again.send({ cmd: 'pubcomp', messageId: idOf(sent) });
    await handled(again);
    again.end();
    await stop(second);
    expect(await storedKeys(dir, 'out')).toEqual([]);
  });

  it('[MQTT-4.3.3-2] an inbound QoS 2 PUBLISH answered with PUBREC before a restart is not delivered again when resent with DUP after it', async () => {
    const dir = dataDir();
    const first = await start(dir);
    await leaveSession(first, 'eo-sub', 'eo/t', 2);
    const pub = await raw(first, 'eo-pub');
    await publishQos2(pub, 'once', 7);
    // The PUBREC is "lost": the client will resend the PUBLISH [MQTT-4.3.3-1 allows it].
    pub.end();
    await stop(first);

    const second = await start(dir);
    const again = await raw(second, 'eo-pub');
    await publishQos2(again, 'once', 7, true);
    again.send({ cmd: 'pubrel', messageId: 7 });
    await again.next('pubcomp');
    await publishQos2(again, 'marker', 8);
    again.send({ cmd: 'pubrel', messageId: 8 });
    await again.next('pubcomp');

    const { inbox } = await resume(second, 'eo-sub');
    // A second copy of 'once' would be queued before the marker.
    expect((await inbox.count(2)).map((m) => m.payload)).toEqual(['once', 'marker']);
    again.end();
    await stop(second);
    expect(await storedKeys(dir, 'in')).toEqual([]);
  });

  it('[MQTT-3.1.2-8] a clean stop publishes the will of an open connection and removes it from the store', async () => {
    const dir = dataDir();
    const first = await start(dir);
    await leaveSession(first, 'will-watch', 'will/#', 1);
    await client(first, {
      clientId: 'open-at-stop',
      will: { topic: 'will/open', payload: Buffer.from('bye'), qos: 1, retain: false },
    });
    await stop(first);
    expect(await storedKeys(dir, 'will')).toEqual([]);

    const second = await start(dir);
    const { inbox } = await resume(second, 'will-watch');
    const pub = await client(second, {});
    await pub.publishAsync('will/marker', 'm', { qos: 1 });
    // Published at the stop, and only then: once, before the marker.
    expect((await inbox.count(2)).map((m) => m.topic)).toEqual(['will/open', 'will/marker']);
  });

  it('[MQTT-3.1.2-6] a clean-session-1 CONNECT after a restart discards the stored session', async () => {
    const dir = dataDir();
    const first = await start(dir);
    await leaveSession(first, 'cleaned', 'cs/t', 1);
    const pub = await client(first, {});
    await pub.publishAsync('cs/t', 'queued before', { qos: 1 });
    await stop(first);
    expect(await storedKeys(dir, 'subs')).toEqual(['cleaned']);
    expect(await storedKeys(dir, 'out')).toHaveLength(1);

    const second = await start(dir);
    const { inbox, sessionPresent } = await resume(second, 'cleaned', true);
    expect(sessionPresent).toBe(false);
    const cleanClient = clients[clients.length - 1] as MqttClient;
    await cleanClient.subscribeAsync('cs/t', { qos: 1 });
    const pub2 = await client(second, {});
    await pub2.publishAsync('cs/t', 'marker', { qos: 1 });
    // The queued message would have come right after CONNACK, before the marker.
    expect((await inbox.count(1)).map((m) => m.payload)).toEqual(['marker']);
    await cleanClient.endAsync();
    await pub2.endAsync();
    await stop(second);
    expect(await storedKeys(dir, 'subs')).toEqual([]);
    expect(await storedKeys(dir, 'out')).toEqual([]);
  });
});
