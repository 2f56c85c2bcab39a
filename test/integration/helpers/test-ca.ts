/**
 * A throw-away certificate authority made with openssl for the TLS tests: a server certificate
 * for localhost / 127.0.0.1 and client certificates with a given CN.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { GatewayConfigInput } from '../../../src/config/schema.js';
import { startTestGateway, type TestGateway } from './gateway.js';

export interface KeyPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface TestCa {
  readonly ca: Buffer;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** A client certificate signed by this CA with subject `/CN=<cn>`. */
  client(cn: string): KeyPair;
  remove(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

export function makeTestCa(name = 'gateway-test-ca'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'gw-ca-'));
  const file = (f: string): string => join(dir, f);
  openssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  );
  const sign = (base: string, cn: string, extFile?: string): void => {
    openssl(
      'req',
      ...EC,
      '-keyout',
      file(`${base}.key`),
      '-out',
      file(`${base}.csr`),
      '-subj',
      `/CN=${cn}`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${base}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file(`${base}.pem`),
      '-days',
      '1',
      ...(extFile ? ['-extfile', extFile] : []),
    );
  };
  writeFileSync(file('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  sign('server', 'localhost', file('san.ext'));
  let clients = 0;
  const ca: TestCa = {
    ca: readFileSync(file('ca.pem')),
    caFile: file('ca.pem'),
    certFile: file('server.pem'),
    keyFile: file('server.key'),
    client(cn) {
      const base = `client-${++clients}`;
      sign(base, cn);
      return { cert: readFileSync(file(`${base}.pem`)), key: readFileSync(file(`${base}.key`)) };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return ca;
}

/** A test gateway with every TLS listener (amqps, mqtts, stomp+ssl, wss) on port 0, serving
 * `ca`'s server certificate; `tls` adds options (client certificates...). */
export function startTlsGateway(
  ca: TestCa,
  tls: NonNullable<GatewayConfigInput['tls']> = {},
  config: GatewayConfigInput = {},
): Promise<TestGateway> {
  return startTestGateway({
    ...config,
    tls: {
      enabled: true,
      host: '127.0.0.1',
      certFile: ca.certFile,
      keyFile: ca.keyFile,
      ports: { amqp: 0, mqtt: 0, stomp: 0, mqttWss: 0, stompWss: 0 },
      ...tls,
    },
  });
}

/** mqtt.js over mqtts:// or wss:// trusting `ca`, as guest unless `opts` say otherwise. */
export function connectMqttTls(
  url: string,
  ca: Buffer,
  opts: mqtt.IClientOptions = {},
): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(url, {
    ca,
    protocolVersion: 4,
    reconnectPeriod: 0,
    username: 'guest',
    password: 'guest',
    ...opts,
  });
}
