/**
 * Wills across a crash (issue 9): a gateway child process on SQLite is SIGKILLed while a
 * client with a will is connected. The connection ended without DISCONNECT, so the restarted
 * gateway publishes the will [MQTT-3.1.2-8] (see adapters/mqtt/session-wills.ts), once.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IConnackPacket, MqttClient } from 'mqtt';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killGatewayChild as kill, startGatewayChild } from './helpers/gateway-child.js';
import { connectMqtt, Inbox, openMqtt } from './helpers/mqtt-clients.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const login = { username: 'guest', password: 'guest' };

async function startChild(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const { child, mqtt: port } = await startGatewayChild(dataDir, { mqtt: true });
  children.push(child);
  return { child, port };
}

async function resume(port: number, clientId: string): Promise<{ c: MqttClient; inbox: Inbox }> {
  const c = openMqtt(port, { clientId, clean: false, ...login });
  clients.push(c);
  const inbox = new Inbox(c);
  const connack = await new Promise<IConnackPacket>((resolve) => {
    c.once('connect', resolve);
  });
  expect(connack.sessionPresent).toBe(true);
  return { c, inbox };
}

describe('MQTT wills across a crash (SIGKILL, SQLite)', () => {
  it('[MQTT-3.1.2-8] the will of a client connected when the gateway died is published once at restart, retained and to stored sessions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-will-'));
    dirs.push(dir);
    const first = await startChild(dir);
    const watcher = await connectMqtt(first.port, {
      clientId: 'will-watch',
      clean: false,
      ...login,
    });
    await watcher.subscribeAsync('will/#', { qos: 1 });
    await watcher.endAsync();
    // CONNACK comes after the will is stored (aedes stores it before answering).
    const dying = await connectMqtt(first.port, {
      clientId: 'dying',
      ...login,
      will: { topic: 'will/dying', payload: Buffer.from('gone'), qos: 1, retain: true },
    });
    dying.on('error', () => undefined);
    await kill(first.child);
    dying.end(true);

    const second = await startChild(dir);
    const { c, inbox } = await resume(second.port, 'will-watch');
    const [will] = await inbox.count(1);
    expect([will?.topic, will?.payload, will?.packet.qos]).toEqual(['will/dying', 'gone', 1]);
    const fresh = await connectMqtt(second.port, login);
    clients.push(fresh);
    const retained = new Inbox(fresh);
    await fresh.subscribeAsync('will/dying', { qos: 1 });
    const [kept] = await retained.count(1);
    expect([kept?.payload, kept?.packet.retain]).toEqual(['gone', true]);
    // aedes handles a connection's packets in order: this SUBACK means the will's PUBACK has
    // been handled (and its removal from the session committed).
    await c.subscribeAsync('unrelated/x', { qos: 0 });
    await c.endAsync();
    await kill(second.child);

    const third = await startChild(dir);
    const again = await resume(third.port, 'will-watch');
    const marker = await connectMqtt(third.port, login);
    clients.push(marker);
    await marker.publishAsync('will/marker', 'm', { qos: 1 });
    // A will published a second time would reach the session before the marker.
    expect((await again.inbox.count(1)).map((m) => m.topic)).toEqual(['will/marker']);
    await kill(third.child);
  });
});
