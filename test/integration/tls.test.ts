/**
 * TLS listeners (issue 8): amqps, mqtts and stomp+ssl with a test CA made by openssl in the
 * test; a client that does not trust the certificate fails the handshake and harms no one.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
const file = (name: string): string => join(dir, name);
let gw: TestGateway;
let ca: Buffer;

function makeCertificates(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=gateway-test-ca',
  );
  run(
    'req',
    ...ec,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(file('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '1',
    '-extfile',
    file('san.ext'),
  );
}

beforeAll(async () => {
  makeCertificates();
  ca = readFileSync(file('ca.pem'));
  gw = await startTestGateway({
    tls: {
      enabled: true,
      host: '127.0.0.1',
      certFile: file('server.pem'),
      keyFile: file('server.key'),
      ports: { amqp: 0, mqtt: 0, stomp: 0 },
    },
  });
});
afterAll(async () => {
  await gw.stop();
  rmSync(dir, { recursive: true, force: true });
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
    const device = await mqtt.connectAsync(`mqtts://localhost:${gw.port('mqtt', 'tls')}`, {
      ca,
      protocolVersion: 4,
      reconnectPeriod: 0,
      username: 'guest',
      password: 'guest',
    });
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
    const good = await mqtt.connectAsync(`mqtts://localhost:${gw.port('mqtt', 'tls')}`, {
      ca,
      protocolVersion: 4,
      reconnectPeriod: 0,
      username: 'guest',
      password: 'guest',
    });
    expect(good.connected).toBe(true);
    await good.endAsync();
  });
});
