/**
 * Client-certificate login (RabbitMQ `ssl_cert_login`, `ssl_cert_login_from = common_name`):
 * over a TLS connection whose client certificate the CA verified, the certificate's CN is the
 * username, with no password: SASL EXTERNAL on AMQP 0-9-1 and AMQP 1.0 (RFC 4422 appendix A),
 * a CONNECT without password on MQTT, a CONNECT without login on STOMP. The user must exist;
 * an unknown CN or an unverified certificate gets the protocol's own refusal.
 */
import { once } from 'node:events';
import tls from 'node:tls';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from './helpers/amqp10-client.js';
import { defs, HEADER_091, RawPeer } from './helpers/amqp091-raw.js';
import { CHEAP_GUEST, type TestGateway } from './helpers/gateway.js';
import { makeTestCa, startTlsGateway, type KeyPair, type TestCa } from './helpers/test-ca.js';

/** A device with guest's password, which it never uses: it logs in by certificate. */
const DEVICE = { ...CHEAP_GUEST, username: 'device-1', tags: [] };

let gw: TestGateway;
let testCa: TestCa;
let otherCa: TestCa;
let device: KeyPair;
let stranger: KeyPair;
let foreignDevice: KeyPair;

beforeAll(async () => {
  testCa = makeTestCa();
  otherCa = makeTestCa('another-ca');
  device = testCa.client('device-1');
  stranger = testCa.client('stranger');
  foreignDevice = otherCa.client('device-1');
  gw = await startTlsGateway(
    testCa,
    {
      caFile: testCa.caFile,
      requestClientCert: true,
      // Clients without a (valid) certificate still connect, unverified: password login only.
      failIfNoPeerCert: false,
      certLogin: true,
    },
    {
      auth: { users: [CHEAP_GUEST, DEVICE] },
      protocols: {
        mqtt: { allowAnonymous: false },
        stomp: { allowAnonymous: false },
        amqp10: { allowAnonymous: false },
      },
    },
  );
});
afterAll(async () => {
  await gw.stop();
  testCa.remove();
  otherCa.remove();
});

async function connectionUsers(): Promise<(string | undefined)[]> {
  const res = await fetch(`${gw.managementUrl}/api/connections`, {
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
  });
  const list = (await res.json()) as { user?: string }[];
  return list.map((c) => c.user);
}

const mqtts = (
  client: Partial<KeyPair>,
  opts: mqtt.IClientOptions = {},
): Promise<mqtt.MqttClient> =>
  mqtt.connectAsync(`mqtts://localhost:${gw.port('mqtt', 'tls')}`, {
    ca: testCa.ca,
    ...client,
    protocolVersion: 4,
    reconnectPeriod: 0,
    ...opts,
  });

async function stompConnect(client: Partial<KeyPair>, connect: string): Promise<string> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port: gw.port('stomp', 'tls'),
    ca: testCa.ca,
    servername: 'localhost',
    ...client,
  });
  socket.on('error', () => undefined);
  await once(socket, 'secureConnect');
  socket.write(connect);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return chunk.toString();
}

const amqps = (client: Partial<KeyPair>, credentials = amqp.credentials.external()) =>
  amqp.connect(`amqps://localhost:${gw.port('amqp091', 'tls')}`, {
    ca: [testCa.ca],
    ...client,
    credentials,
  });

const amqp10 = (client: Partial<KeyPair>) =>
  connectClient(gw.port('amqp10', 'tls'), {
    transport: 'tls',
    host: 'localhost',
    ca: testCa.ca,
    ...client,
    username: undefined,
    password: undefined,
    enable_sasl_external: true,
  });

describe('certificate login: the verified CN is the user', () => {
  it('AMQP 0-9-1 SASL EXTERNAL logs in as the CN (offered in connection.start)', async () => {
    const conn = await amqps(device);
    const ch = await conn.createChannel();
    await ch.checkExchange('amq.topic');
    expect(await connectionUsers()).toContain('device-1');
    await conn.close();
  });

  it('AMQP 1.0 SASL EXTERNAL logs in as the CN (AMQP 1.0 5.3.3.1)', async () => {
    const client = await amqp10(device);
    const sender = await client.openSender('/exchanges/amq.topic/cert.test');
    expect(sender.is_open()).toBe(true);
    expect(await connectionUsers()).toContain('device-1');
    await client.close();
  });

  it('MQTT CONNECT without password over verified TLS logs in as the CN (RabbitMQ mqtt.ssl_cert_login)', async () => {
    const client = await mqtts(device);
    expect(client.connected).toBe(true);
    expect(await connectionUsers()).toContain('device-1');
    await client.endAsync();
  });

  it('MQTT over secure WebSocket: the same certificate login', async () => {
    const client = await mqtt.connectAsync(`wss://localhost:${gw.port('mqtt', 'wss')}/ws`, {
      ca: testCa.ca,
      ...device,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    expect(client.connected).toBe(true);
    expect(await connectionUsers()).toContain('device-1');
    await client.endAsync();
  });

  it('STOMP CONNECT without login over verified TLS logs in as the CN', async () => {
    const reply = await stompConnect(device, 'CONNECT\naccept-version:1.2\nhost:/\n\n\0');
    expect(reply).toMatch(/^CONNECTED\n/);
  });

  it('a password login still works on the same listener', async () => {
    const client = await mqtts(device, { username: 'guest', password: 'guest' });
    expect(client.connected).toBe(true);
    await client.endAsync();
  });
});

describe('certificate login refused: unknown CN or unverified certificate', () => {
  it('MQTT: CONNACK 5 for a CN that is no user', async () => {
    await expect(mqtts(stranger)).rejects.toMatchObject({ code: 5 });
  });

  it('MQTT: a certificate from another CA is not verified, so no certificate login (CONNACK 5)', async () => {
    await expect(mqtts(foreignDevice)).rejects.toMatchObject({ code: 5 });
  });

  it('AMQP 0-9-1: 403 ACCESS_REFUSED for an unknown CN', async () => {
    await expect(amqps(stranger)).rejects.toThrow(/ACCESS_REFUSED|403/);
  });

  it('AMQP 0-9-1: EXTERNAL is not offered without a verified certificate', async () => {
    await expect(amqps({})).rejects.toThrow(/EXTERNAL is not provided/);
    await expect(amqps(foreignDevice)).rejects.toThrow(/EXTERNAL is not provided/);
  });

  it('AMQP 1.0: sasl-outcome auth for an unknown CN', async () => {
    await expect(amqp10(stranger)).rejects.toThrow(/unauthorized-access|auth/i);
  });

  it('STOMP: ERROR for an unknown CN, and for no certificate and no login', async () => {
    expect(await stompConnect(stranger, 'CONNECT\naccept-version:1.2\nhost:/\n\n\0')).toMatch(
      /^ERROR\n/,
    );
    expect(await stompConnect({}, 'CONNECT\naccept-version:1.2\nhost:/\n\n\0')).toMatch(/^ERROR\n/);
  });

  it('AMQP 0-9-1: EXTERNAL forced by a client that was not offered it gets 403 ACCESS_REFUSED', async () => {
    const peer = await RawPeer.connect(gw.port('amqp091'));
    peer.socket.write(HEADER_091);
    const start = await peer.expectMethod('ConnectionStart');
    expect(String(start.fields?.['mechanisms'])).not.toMatch(/EXTERNAL/);
    peer.method(defs.ConnectionStartOk as number, 0, {
      clientProperties: {},
      mechanism: 'EXTERNAL',
      response: Buffer.from('device-1'),
      locale: 'en_US',
    });
    const close = await peer.expectMethod('ConnectionClose');
    expect(close.fields?.['replyCode']).toBe(403);
    peer.socket.destroy();
  });

  it('plain TCP never logs in by certificate: AMQP 0-9-1 EXTERNAL is not offered', async () => {
    await expect(
      amqp.connect(`amqp://127.0.0.1:${gw.port('amqp091')}`, {
        credentials: amqp.credentials.external(),
      }),
    ).rejects.toThrow(/EXTERNAL is not provided/);
  });
});
