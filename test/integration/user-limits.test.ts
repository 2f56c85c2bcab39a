/**
 * Per-user connection limits (RabbitMQ user limit `max-connections`): counted at login across
 * every protocol and listener, released when a connection closes; a login over the limit gets
 * the protocol's refusal (CONNACK 5, 403 ACCESS_REFUSED, STOMP ERROR, AMQP 1.0 SASL failure).
 */
import { once } from 'node:events';
import net from 'node:net';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from './helpers/amqp10-client.js';
import { CHEAP_GUEST, startTestGateway, type TestGateway } from './helpers/gateway.js';
import { connectMqtt } from './helpers/mqtt-clients.js';

/** Users with guest's (cheap) password. */
const user = (username: string, extra: Record<string, unknown> = {}) => ({
  ...CHEAP_GUEST,
  username,
  ...extra,
});

let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    auth: {
      users: [
        user('guest', { maxConnections: 0 }),
        user('single', { maxConnections: 1 }),
        user('defaulted'),
      ],
    },
    limits: { maxConnectionsPerUser: 2 },
  });
});
afterAll(async () => {
  await gw.stop();
});

const mqttAs = (username: string) =>
  connectMqtt(gw.port('mqtt'), {
    username,
    password: 'guest',
    clientId: `${username}-${Math.random()}`,
  });
const amqpAs = (username: string) =>
  amqp.connect(`amqp://${username}:guest@127.0.0.1:${gw.port('amqp091')}`);

async function stompAs(username: string): Promise<{ reply: string; socket: net.Socket }> {
  const socket = net.connect(gw.port('stomp'), '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(`CONNECT\naccept-version:1.2\nhost:/\nlogin:${username}\npasscode:guest\n\n\0`);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return { reply: chunk.toString(), socket };
}

describe('per-user connection limit (RabbitMQ max-connections)', () => {
  it('MQTT: the second connection of a user limited to one gets CONNACK 5; closing frees the slot', async () => {
    const first = await mqttAs('single');
    await expect(mqttAs('single')).rejects.toMatchObject({ code: 5 });
    await first.endAsync();
    const again = await mqttAs('single');
    expect(again.connected).toBe(true);
    await again.endAsync();
  });

  it('counts across protocols: an MQTT connection uses the slot an AMQP 0-9-1 login needs (403)', async () => {
    const first = await mqttAs('single');
    await expect(amqpAs('single')).rejects.toThrow(/ACCESS_REFUSED|403/);
    await first.endAsync();
  });

  it('STOMP: ERROR frame over the limit', async () => {
    const first = await amqpAs('single');
    const { reply, socket } = await stompAs('single');
    expect(reply).toMatch(/^ERROR\n/);
    expect(reply).toMatch(/connection limit \(1\)/);
    socket.destroy();
    await first.close();
  });

  it('AMQP 1.0: SASL refuses the login over the limit', async () => {
    const first = await amqpAs('single');
    await expect(
      connectClient(gw.port('amqp10'), { username: 'single', password: 'guest' }),
    ).rejects.toThrow();
    await first.close();
  });

  it('users without their own limit get limits.maxConnectionsPerUser (2); 0 means no cap', async () => {
    const a = await amqpAs('defaulted');
    const b = await mqttAs('defaulted');
    await expect(mqttAs('defaulted')).rejects.toMatchObject({ code: 5 });
    const guests = await Promise.all([amqpAs('guest'), amqpAs('guest'), amqpAs('guest')]);
    await Promise.all([a.close(), b.endAsync(), ...guests.map((g) => g.close())]);
  });
});
