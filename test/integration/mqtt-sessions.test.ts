import { describe, expect, it } from 'vitest';
import { connectMqtt, Inbox, mqttTestFile, openMqtt, RawMqtt } from './helpers/mqtt-clients.js';

const file = mqttTestFile();
const client = file.client;

describe('MQTT retained messages', () => {
  it('delivers the retained message on SUBSCRIBE to an exact filter, with RETAIN set [MQTT-3.3.1-6]', async () => {
    const pub = await client();
    await pub.publishAsync('ret/exact', 'kept', { qos: 1, retain: true });
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('ret/exact', { qos: 1 });
    const [m] = await inbox.count(1);
    expect(m).toMatchObject({ topic: 'ret/exact', payload: 'kept' });
    expect(m?.packet.retain).toBe(true);
  });

  it('delivers retained messages to wildcard filters', async () => {
    const pub = await client();
    await pub.publishAsync('ret/wild/a', 'A', { qos: 1, retain: true });
    await pub.publishAsync('ret/wild/b/c', 'BC', { qos: 1, retain: true });
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('ret/wild/#', { qos: 1 });
    const got = await inbox.count(2);
    expect(got.map((m) => m.topic).sort()).toEqual(['ret/wild/a', 'ret/wild/b/c']);
  });

  it('replaces the retained message and clears it with an empty payload [MQTT-3.3.1-10]', async () => {
    const pub = await client();
    await pub.publishAsync('ret/replace', 'old', { qos: 1, retain: true });
    await pub.publishAsync('ret/replace', 'new', { qos: 1, retain: true });
    await pub.publishAsync('ret/cleared', 'soon gone', { qos: 1, retain: true });
    await pub.publishAsync('ret/cleared', '', { qos: 1, retain: true });
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(['ret/replace', 'ret/cleared'], { qos: 1 });
    await pub.publishAsync('ret/cleared', 'live', { qos: 1 });
    const got = await inbox.count(2);
    expect(got.map((m) => [m.topic, m.payload, m.packet.retain])).toEqual([
      ['ret/replace', 'new', true],
      ['ret/cleared', 'live', false],
    ]);
  });

  it('sends a retained message at min(stored QoS, granted QoS) [MQTT-3.8.4-6]', async () => {
    const pub = await client();
    await pub.publishAsync('ret/qos/a', 'stored at 2', { qos: 2, retain: true });
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync({ 'ret/qos/+': { qos: 1 }, 'ret/qos/#': { qos: 0 } });
    const [retained] = await inbox.count(1);
    expect(retained?.topic).toBe('ret/qos/a');
    expect(retained?.packet.qos).toBe(1);
  });

  it('forwards a retained publish to existing subscribers without RETAIN [MQTT-3.3.1-9]', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('ret/live');
    const pub = await client();
    await pub.publishAsync('ret/live', 'now', { retain: true });
    const [m] = await inbox.count(1);
    expect(m?.packet.retain).toBe(false);
  });
});

describe('MQTT last will', () => {
  it('publishes the will (QoS and retain kept) when the connection drops [MQTT-3.1.2-8]', async () => {
    const watcher = await client();
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync('will/dropped', { qos: 1 });
    const raw = await RawMqtt.connect(file.port());
    await raw.connectAs('will-dropper', {
      will: { topic: 'will/dropped', payload: Buffer.from('gone'), qos: 1, retain: true },
    });
    raw.end();
    const [m] = await inbox.count(1);
    expect(m).toMatchObject({ topic: 'will/dropped', payload: 'gone' });
    expect(m?.packet.qos).toBe(1);
    const late = await client();
    const lateInbox = new Inbox(late);
    await late.subscribeAsync('will/dropped');
    const [retained] = await lateInbox.count(1);
    expect(retained?.packet.retain).toBe(true);
  });

  it('does not publish the will after DISCONNECT [MQTT-3.14.4-3]', async () => {
    const watcher = await client();
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync(['will/clean', 'will/marker']);
    const raw = await RawMqtt.connect(file.port());
    await raw.connectAs('will-clean', {
      will: { topic: 'will/clean', payload: Buffer.from('no'), qos: 0, retain: false },
    });
    raw.send({ cmd: 'disconnect' });
    await raw.waitClosed();
    const pub = await client();
    await pub.publishAsync('will/marker', 'after');
    const [m] = await inbox.count(1);
    expect(m?.topic).toBe('will/marker');
  });
});

describe('MQTT persistent sessions', () => {
  it('keeps subscriptions and QoS 1/2 messages while offline, with session present [MQTT-3.2.2-2]', async () => {
    const first = await connectMqtt(file.port(), { clientId: 'persist-1', clean: false });
    await first.subscribeAsync('sess/+', { qos: 2 });
    await first.endAsync();
    const pub = await client();
    await pub.publishAsync('sess/a', 'q1 while offline', { qos: 1 });
    await pub.publishAsync('sess/b', 'q2 while offline', { qos: 2 });
    await pub.publishAsync('sess/c', 'q0 while offline', { qos: 0 });
    const again = openMqtt(file.port(), { clientId: 'persist-1', clean: false });
    const inbox = new Inbox(again);
    let sessionPresent: boolean | undefined;
    again.on('connect', (connack) => {
      sessionPresent = connack.sessionPresent;
    });
    const got = await inbox.count(2);
    expect(sessionPresent).toBe(true);
    expect(got.map((m) => [m.payload, m.packet.qos])).toEqual([
      ['q1 while offline', 1],
      ['q2 while offline', 2],
    ]);
    await pub.publishAsync('sess/d', 'online again', { qos: 1 });
    const all = await inbox.count(3);
    expect(all[2]?.payload).toBe('online again');
    await again.endAsync();
  });

  it('clean session = 1 discards the previous session [MQTT-3.1.2-6]', async () => {
    const first = await connectMqtt(file.port(), { clientId: 'persist-2', clean: false });
    await first.subscribeAsync('wipe/t', { qos: 1 });
    await first.endAsync();
    const clean = await connectMqtt(file.port(), { clientId: 'persist-2', clean: true });
    await clean.endAsync();
    const pub = await client();
    await pub.publishAsync('wipe/t', 'nobody', { qos: 1 });
    const raw = await RawMqtt.connect(file.port());
    const connack = await raw.connectAs('persist-2', { clean: false });
    expect(connack).toMatchObject({ returnCode: 0, sessionPresent: false });
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'wipe/marker', qos: 1 }] });
    await raw.next('suback');
    await pub.publishAsync('wipe/marker', 'm', { qos: 1 });
    const p = await raw.next('publish');
    expect(p).toMatchObject({ topic: 'wipe/marker' });
    raw.end();
  });

  it('redelivers an unacknowledged QoS 1 message with DUP after reconnect [MQTT-3.3.1-1]', async () => {
    const raw = await RawMqtt.connect(file.port());
    await raw.connectAs('dup-1', { clean: false });
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'dup/t', qos: 1 }] });
    await raw.next('suback');
    const pub = await client();
    await pub.publishAsync('dup/t', 'unacked', { qos: 1 });
    const first = await raw.next('publish');
    expect(first).toMatchObject({ payload: Buffer.from('unacked'), dup: false });
    raw.end();
    await raw.closed;
    const again = await RawMqtt.connect(file.port());
    await again.connectAs('dup-1', { clean: false });
    const second = await again.next('publish');
    expect(second).toMatchObject({ payload: Buffer.from('unacked'), dup: true });
    again.end();
  });

  it('does not deliver a duplicate QoS 2 PUBLISH twice [MQTT-4.3.3-2]', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(['q2dup/t', 'q2dup/end'], { qos: 2 });
    const raw = await RawMqtt.connect(file.port());
    await raw.connectAs('q2-dup-sender');
    const publish = {
      cmd: 'publish',
      topic: 'q2dup/t',
      payload: Buffer.from('once'),
      qos: 2,
      messageId: 7,
      retain: false,
      dup: false,
    } as const;
    raw.send(publish);
    await raw.next('pubrec');
    raw.send({ ...publish, dup: true });
    await raw.next('pubrec');
    raw.send({ cmd: 'pubrel', messageId: 7 });
    await raw.next('pubcomp');
    raw.send({ ...publish, topic: 'q2dup/end', messageId: 8, qos: 0 });
    const got = await inbox.count(2);
    expect(got.map((m) => m.topic)).toEqual(['q2dup/t', 'q2dup/end']);
    raw.end();
  });
});
