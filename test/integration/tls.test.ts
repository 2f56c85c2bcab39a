/**
 * TLS listeners (issue 8): amqps, mqtts and stomp+ssl with a test CA made by openssl in the
 * test; a client that does not trust the certificate fails the handshake and harms no one.
 */
import { once } from 'node:events';
import tls from 'node:tls';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from './helpers/gateway.js';
import { connectMqttTls, makeTestCa, startTlsGateway, type TestCa } from './helpers/test-ca.js';

let gw: TestGateway;
let testCa: TestCa;
let ca: Buffer;

beforeAll(async () => {
  testCa = makeTestCa();
  ca = testCa.ca;
  gw = await startTlsGateway(testCa);
});
afterAll(async () => {
  await gw.stop();
  testCa.remove();
});

describe('TLS listeners', () => {
  it('mqtts publish reaches an amqps consumer (both over TLS)', async () => {
    const conn = await amqp.connect(`amqps://guest:guest@localhost:${gw.port('amqp091', 'tls')}`, {
      ca: [ca],
    });
    const ch = await conn.createChannel();
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'amq.topic', 'tls.test');
    const got = new Promise<string>((resolve) => {
      void ch.consume(queue, (m) => {
        if (m) resolve(m.content.toString());
      });
    });
    const device = await connectMqttTls(`mqtts://localhost:${gw.port('mqtt', 'tls')}`, ca);
    await device.publishAsync('tls/test', 'over tls', { qos: 1 });
    expect(await got).toBe('over tls');
    await device.endAsync();
    await conn.close();
  });

  it('stomp+ssl: CONNECT over TLS gets CONNECTED', async () => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: gw.port('stomp', 'tls'),
      ca,
      servername: 'localhost',
    });
    await once(socket, 'secureConnect');
    socket.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    expect(chunk.toString()).toMatch(/^CONNECTED\n/);
    socket.destroy();
  });

  it('a client that does not trust the certificate fails the handshake; the listener keeps serving', async () => {
    const bad = tls.connect({
      host: '127.0.0.1',
      port: gw.port('mqtt', 'tls'),
      servername: 'localhost',
    });
    const [err] = (await once(bad, 'error').catch((e: unknown) => [e])) as [Error];
    expect(String(err)).toMatch(/self.signed|unable to verify|certificate/i);
    const good = await connectMqttTls(`mqtts://localhost:${gw.port('mqtt', 'tls')}`, ca);
    expect(good.connected).toBe(true);
    await good.endAsync();
  });
});
