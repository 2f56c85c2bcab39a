import { describe, expect, it } from 'vitest';
import { Inbox, mqttTestFile, RawMqtt } from './helpers/mqtt-clients.js';

const file = mqttTestFile();
const client = file.client;

describe('MQTT publish/subscribe through the core', () => {
  it('delivers QoS 0 with + and # filters', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync({ 'ps/+/temp': { qos: 0 } });
    const pub = await client();
    await pub.publishAsync('ps/kitchen/temp', '21');
    await pub.publishAsync('ps/kitchen/humidity', 'x');
    await pub.publishAsync('ps/hall/temp', '19');
    const got = await inbox.count(2);
    expect(got.map((m) => [m.topic, m.payload])).toEqual([
      ['ps/kitchen/temp', '21'],
      ['ps/hall/temp', '19'],
    ]);
  });

  it('QoS 1 both ways: PUBACK to the publisher, QoS 1 delivery with a packet id', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('q1/#', { qos: 1 });
    const pub = await client();
    // resolves on PUBACK
    await pub.publishAsync('q1/a', 'one', { qos: 1 });
    const [m] = await inbox.count(1);
    expect(m?.packet.qos).toBe(1);
    expect(m?.packet.messageId).toBeGreaterThan(0);
  });

  it('QoS 2 both ways: PUBREC/PUBREL/PUBCOMP', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('q2/x', { qos: 2 });
    const pub = await client();
    // resolves on PUBCOMP
    await pub.publishAsync('q2/x', 'exactly once', { qos: 2 });
    const [m] = await inbox.count(1);
    expect(m?.packet.qos).toBe(2);
    expect(m?.payload).toBe('exactly once');
  });

  it('grants min(requested, published) QoS (MQTT 3.1.1 3.8.4)', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('down/+', { qos: 1 });
    const pub = await client();
    await pub.publishAsync('down/a', 'q2', { qos: 2 });
    await pub.publishAsync('down/b', 'q0', { qos: 0 });
    const got = await inbox.count(2);
    expect(got.map((m) => [m.payload, m.packet.qos])).toEqual([
      ['q2', 1],
      ['q0', 0],
    ]);
  });

  it('overlapping subscriptions deliver once per client at the highest QoS (MQTT 3.1.1 3.3.5)', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync({ 'ov/#': { qos: 0 }, 'ov/+': { qos: 1 }, 'ov/a': { qos: 0 } });
    const pub = await client();
    await pub.publishAsync('ov/a', 'first', { qos: 1 });
    await pub.publishAsync('ov/a', 'second', { qos: 1 });
    const got = await inbox.count(2);
    expect(got.map((m) => [m.payload, m.packet.qos])).toEqual([
      ['first', 1],
      ['second', 1],
    ]);
    // a third message proves nothing else was queued behind the two
    await pub.publishAsync('ov/a', 'third', { qos: 0 });
    await inbox.count(3);
    expect(inbox.messages).toHaveLength(3);
  });

  it.each([
    ['a clean session', true],
    ['a stored session (offline queueing on the path)', false],
  ])(
    "delivers one client's QoS 1 publishes in order to %s [MQTT-4.6.0-5]",
    async (_label, clean) => {
      const sub = await client({ clientId: `order-${String(clean)}`, clean });
      const inbox = new Inbox(sub);
      await sub.subscribeAsync(`order/${String(clean)}`, { qos: 1 });
      const pub = await client();
      const sent = Array.from({ length: 50 }, (_, i) => String(i));
      await Promise.all(sent.map((p) => pub.publishAsync(`order/${String(clean)}`, p, { qos: 1 })));
      const got = await inbox.count(50);
      expect(got.map((m) => m.payload)).toEqual(sent);
    },
  );

  it('does not match $-topics with a leading wildcard [MQTT-4.7.2-1]', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(['#', '+/dollar/x', '$dollar/#']);
    const pub = await client();
    await pub.publishAsync('$dollar/x', 'via $dollar/# only');
    await pub.publishAsync('plain/dollar/x', 'via # and +/dollar/x, once');
    await pub.publishAsync('end', 'marker');
    const got = await inbox.count(3);
    expect(got.map((m) => m.topic)).toEqual(['$dollar/x', 'plain/dollar/x', 'end']);
  });

  it('unsubscribe stops delivery', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(['un/a', 'un/b']);
    await sub.unsubscribeAsync('un/a');
    const pub = await client();
    await pub.publishAsync('un/a', 'gone');
    await pub.publishAsync('un/b', 'kept');
    const [m] = await inbox.count(1);
    expect(m?.payload).toBe('kept');
  });

  it('keeps a . in a level and a literal * through the core', async () => {
    const sub = await client();
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(['fw/v1.2/+', 'star/*']);
    const pub = await client();
    await pub.publishAsync('fw/v1/2/x', 'other level count');
    await pub.publishAsync('fw/v1.2/x', 'dotted');
    await pub.publishAsync('star/any', 'not a wildcard');
    await pub.publishAsync('star/*', 'literal star');
    const got = await inbox.count(2);
    expect(got.map((m) => [m.topic, m.payload])).toEqual([
      ['fw/v1.2/x', 'dotted'],
      ['star/*', 'literal star'],
    ]);
  });

  it('keeps at most 20 unacknowledged QoS 1 deliveries in flight per client (inflightWindow)', async () => {
    const raw = await RawMqtt.connect(file.port());
    await raw.connectAs('slow-acker');
    raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'window/t', qos: 1 }] });
    await raw.next('suback');
    const pub = await client();
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => pub.publishAsync('window/t', String(i), { qos: 1 })),
    );
    // PINGRESP is written after everything queued before it
    raw.send({ cmd: 'pingreq' });
    await raw.next('pingresp');
    expect(raw.packets.filter((p) => p.cmd === 'publish')).toHaveLength(20);
    const inFlight = [];
    for (let i = 0; i < 20; i++) inFlight.push(await raw.next('publish'));
    raw.send({ cmd: 'puback', messageId: inFlight[0]?.messageId ?? 0 });
    const next = await raw.next('publish');
    expect(next).toMatchObject({ payload: Buffer.from('20') });
    raw.end();
  });

  it('lists MQTT connections with their user in the management API', async () => {
    await client({ clientId: 'listed', username: 'guest', password: 'guest' });
    const res = await fetch(`${file.gateway().managementUrl}/api/connections`, {
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
    });
    expect(res.status).toBe(200);
    const list = (await res.json()) as { protocol: string; user?: string; vhost?: string }[];
    const mqttConnections = list.filter((c) => c.protocol === 'mqtt');
    expect(mqttConnections.length).toBeGreaterThan(0);
    expect(mqttConnections.every((c) => c.user === 'guest' && c.vhost === '/')).toBe(true);
  });
});
