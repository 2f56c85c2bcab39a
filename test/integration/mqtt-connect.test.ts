import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { hashPassword } from '../../src/auth/password.js';
import type { TestGateway } from './helpers/gateway.js';
import { connectMqtt, Inbox, RawMqtt, startMqttGateway, within } from './helpers/mqtt-clients.js';

let gw: TestGateway;
let port: number;
let wsPort: number;

beforeAll(async () => {
  gw = await startMqttGateway(
    {},
    {
      config: {
        auth: {
          users: [
            { username: 'guest', passwordHash: await hashPassword('guest', 1024) },
            {
              username: 'elsewhere',
              passwordHash: await hashPassword('pw', 1024),
              vhosts: ['other'],
            },
            {
              username: 'device',
              passwordHash: await hashPassword('pw', 1024),
              topicPermissions: [
                { mqttWrite: 'devices/{client_id}/#', mqttRead: 'devices/{client_id}/#' },
              ],
            },
          ],
        },
      },
    },
  );
  port = gw.port('mqtt');
  wsPort = gw.port('mqtt', 'ws');
});

afterAll(async () => {
  await gw.stop();
});

describe('MQTT CONNECT', () => {
  it('accepts MQTT 3.1 (protocol level 3) and 3.1.1 (level 4)', async () => {
    const v3 = await connectMqtt(port, {
      protocolId: 'MQIsdp',
      protocolVersion: 3,
      clientId: 'v3-client',
    });
    const v4 = await connectMqtt(port, { clientId: 'v4-client' });
    const inbox = new Inbox(v3);
    await v3.subscribeAsync('versions/t', { qos: 1 });
    await v4.publishAsync('versions/t', 'from 3.1.1', { qos: 1 });
    const [m] = await inbox.count(1);
    expect(m?.payload).toBe('from 3.1.1');
    await Promise.all([v3.endAsync(), v4.endAsync()]);
  });

  it('assigns an id to an empty client id with clean session [MQTT-3.1.3-6]', async () => {
    const raw = await RawMqtt.connect(port);
    const connack = await raw.connectAs('');
    expect(connack).toMatchObject({ cmd: 'connack', returnCode: 0 });
    raw.end();
  });

  it('refuses an empty client id without clean session with CONNACK 2 [MQTT-3.1.3-8]', async () => {
    const raw = await RawMqtt.connect(port);
    // mqtt-packet refuses to generate this CONNECT, so it is written by hand:
    // fixed header, remaining length 12, "MQTT", level 4, flags 0 (clean session 0), keep-alive 0,
    // client id of length 0.
    raw.sendBytes(Buffer.from([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0, 0, 0, 0, 0]));
    const connack = await raw.next('connack');
    expect(connack).toMatchObject({ cmd: 'connack', returnCode: 2 });
    await raw.waitClosed();
  });

  it('refuses an MQTT 3.1 client id over 23 characters with CONNACK 2 (maxClientIdLength)', async () => {
    const raw = await RawMqtt.connect(port);
    raw.send({
      cmd: 'connect',
      protocolId: 'MQIsdp',
      protocolVersion: 3,
      clean: true,
      clientId: 'x'.repeat(24),
      keepalive: 0,
    });
    expect(await raw.next('connack')).toMatchObject({ returnCode: 2 });
    await raw.waitClosed();
  });

  it('refuses a bad password with CONNACK 4 and closes [MQTT-3.2.2-5]', async () => {
    const raw = await RawMqtt.connect(port);
    const connack = await raw.connectAs('bad-pw', {
      username: 'guest',
      password: Buffer.from('nope'),
    });
    expect(connack).toMatchObject({ cmd: 'connack', returnCode: 4 });
    await raw.waitClosed();
  });

  it('refuses a user without access to the vhost with CONNACK 5', async () => {
    const raw = await RawMqtt.connect(port);
    const connack = await raw.connectAs('no-vhost', {
      username: 'elsewhere',
      password: Buffer.from('pw'),
    });
    expect(connack).toMatchObject({ cmd: 'connack', returnCode: 5 });
    await raw.waitClosed();
  });

  it('logs in with username and password through the gateway authenticator', async () => {
    const c = await connectMqtt(port, {
      username: 'guest',
      password: 'guest',
      clientId: 'with-login',
    });
    expect(c.connected).toBe(true);
    const summary = [
      ...((gw.gateway as unknown as { connections?: () => unknown[] }).connections?.() ?? []),
    ];
    expect(Array.isArray(summary)).toBe(true);
    await c.endAsync();
  });

  it('closes a silent connection after 1.5x keep-alive [MQTT-3.1.2-24]', async () => {
    const raw = await RawMqtt.connect(port);
    const started = Date.now();
    await raw.connectAs('sleepy', { keepalive: 1 });
    await raw.waitClosed();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(4000);
  });

  it('answers PINGREQ and stays open while pinged', async () => {
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('pinger', { keepalive: 1 });
    for (let i = 0; i < 3; i++) {
      raw.send({ cmd: 'pingreq' });
      await raw.next('pingresp');
    }
    raw.end();
  });

  it('a second connection with the same client id closes the first [MQTT-3.1.4-2]', async () => {
    const first = await connectMqtt(port, { clientId: 'taken-over' });
    const closed = within<undefined>((resolve) => {
      first.once('close', () => {
        resolve(undefined);
      });
    }, 'the first connection to close');
    const second = await connectMqtt(port, { clientId: 'taken-over' });
    await closed;
    expect(second.connected).toBe(true);
    await second.endAsync();
    await first.endAsync(true);
  });

  it('serves MQTT over WebSocket on /ws with subprotocol mqtt, same processor', async () => {
    const ws = await mqtt.connectAsync(`ws://127.0.0.1:${wsPort}/ws`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: 'over-ws',
    });
    const tcp = await connectMqtt(port, { clientId: 'over-tcp' });
    const inbox = new Inbox(ws);
    await ws.subscribeAsync('ws/#', { qos: 1 });
    await tcp.publishAsync('ws/hello', 'from tcp', { qos: 1 });
    const [m] = await inbox.count(1);
    expect(m?.payload).toBe('from tcp');
    await Promise.all([ws.endAsync(), tcp.endAsync()]);
  });

  it('accepts the mqttv3.1 WebSocket subprotocol (MQTT 3.1 clients)', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/ws`, ['mqttv3.1']);
    await once(ws, 'open');
    expect(ws.protocol).toBe('mqttv3.1');
    ws.close();
    await once(ws, 'close');
  });
});

describe('MQTT authorization (topic permissions in MQTT syntax)', () => {
  it('allows topics under the rule and answers SUBACK 0x80 for filters outside it', async () => {
    const raw = await RawMqtt.connect(port);
    const connack = await raw.connectAs('d1', { username: 'device', password: Buffer.from('pw') });
    expect(connack).toMatchObject({ returnCode: 0 });
    raw.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [
        { topic: 'devices/d1/#', qos: 1 },
        { topic: 'devices/+/temp', qos: 1 },
        { topic: '$share/g/devices/d2/x', qos: 1 },
      ],
    });
    expect(await raw.next('suback')).toMatchObject({ granted: [1, 0x80, 0x80] });
    raw.send({
      cmd: 'publish',
      topic: 'devices/d1/temp',
      payload: Buffer.from('21'),
      qos: 1,
      messageId: 2,
      retain: false,
      dup: false,
    });
    await raw.next('puback');
    expect(await raw.next('publish')).toMatchObject({ topic: 'devices/d1/temp' });
    raw.end();
  });

  it('closes the connection on a publish outside the rule, without PUBACK', async () => {
    const raw = await RawMqtt.connect(port);
    await raw.connectAs('d2', { username: 'device', password: Buffer.from('pw') });
    raw.send({
      cmd: 'publish',
      topic: 'devices/d1/temp',
      payload: Buffer.from('spoof'),
      qos: 1,
      messageId: 1,
      retain: false,
      dup: false,
    });
    await raw.waitClosed();
    expect(raw.packets.some((p) => p.cmd === 'puback')).toBe(false);
  });
});
