/**
 * Retained messages live in the gateway store (issue 9): set, replaced and cleared ones are
 * what a subscriber finds after a restart on the same data directory, wildcard filters too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const dataDir = mkdtempSync(join(tmpdir(), 'gw-retained-'));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const start = (): Promise<TestGateway> => startTestGateway({ dataDir, store: { type: 'sqlite' } });

async function connect(gw: TestGateway): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${gw.port('mqtt')}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    username: 'guest',
    password: 'guest',
  });
}

describe('MQTT retained messages across a restart (SQLite store)', () => {
  it('[MQTT-3.3.1-5] the newest retained message per topic survives; a cleared one [MQTT-3.3.1-10] does not', async () => {
    const first = await start();
    const pub = await connect(first);
    await pub.publishAsync('home/kitchen/temp', '20', { qos: 1, retain: true });
    await pub.publishAsync('home/kitchen/temp', '21', { qos: 1, retain: true });
    await pub.publishAsync('home/hall/temp', '18', { qos: 1, retain: true });
    await pub.publishAsync('home/hall/temp', '', { qos: 1, retain: true });
    await pub.publishAsync('home/garage/door', 'open', { qos: 0, retain: true });
    // A QoS 1 publish after the QoS 0 one: its PUBACK means the QoS 0 retain was handled too.
    await pub.publishAsync('home/marker', 'm', { qos: 1, retain: false });
    await pub.endAsync();
    await first.stop();

    const second = await start();
    try {
      const sub = await connect(second);
      const got = new Map<string, string>();
      const both = new Promise<void>((resolve) => {
        sub.on('message', (topic, payload, packet) => {
          if (packet.retain) got.set(topic, payload.toString());
          if (got.has('home/kitchen/temp') && got.has('home/garage/door')) resolve();
        });
      });
      await sub.subscribeAsync('home/#', { qos: 1 });
      await both;
      expect(got.get('home/kitchen/temp')).toBe('21');
      expect(got.get('home/garage/door')).toBe('open');
      await sub.endAsync();

      // Per topic, a retained message comes before a live one [MQTT-4.6.0-5]: the first message
      // on the cleared topic must be the live one.
      const hall = await connect(second);
      const first = new Promise<{ payload: string; retain: boolean }>((resolve) => {
        hall.once('message', (_t, payload, packet) => {
          resolve({ payload: payload.toString(), retain: packet.retain });
        });
      });
      await hall.subscribeAsync('home/hall/temp', { qos: 1 });
      await hall.publishAsync('home/hall/temp', 'live', { qos: 1 });
      expect(await first).toEqual({ payload: 'live', retain: false });
      await hall.endAsync();
    } finally {
      await second.stop();
    }
  });
});
