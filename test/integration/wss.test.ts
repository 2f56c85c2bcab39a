/**
 * MQTT and STOMP over secure WebSocket (RabbitMQ web-mqtt / web-stomp TLS ports, 15676 and
 * 15673): the same TLS options as the other TLS listeners, real mqtt.js and @stomp/stompjs
 * clients trusting a test CA.
 */
import { Client, type IFrame, type IMessage } from '@stomp/stompjs';
import { hdr, waitFor } from './helpers/stomp-clients.js';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from './helpers/gateway.js';

import { connectMqttTls, makeTestCa, startTlsGateway, type TestCa } from './helpers/test-ca.js';

let gw: TestGateway;
let testCa: TestCa;

beforeAll(async () => {
  testCa = makeTestCa();
  gw = await startTlsGateway(testCa);
});
afterAll(async () => {
  await gw.stop();
  testCa.remove();
});

function stompOverWss(): Client {
  const client = new Client();
  client.reconnectDelay = 0;
  client.heartbeatIncoming = 0;
  client.heartbeatOutgoing = 0;
  client.connectHeaders = hdr({ login: 'guest', passcode: 'guest' });
  client.webSocketFactory = () =>
    new WebSocket(`wss://localhost:${gw.port('stomp', 'wss')}/ws`, ['v12.stomp'], {
      ca: testCa.ca,
    });
  return client;
}

describe('secure WebSocket listeners', () => {
  it('lists wss addresses for MQTT and STOMP with the /ws path', () => {
    const wss = gw.addresses.filter((a) => a.transport === 'wss');
    expect(wss.map((a) => [a.protocol, a.path]).sort()).toEqual([
      ['mqtt', '/ws'],
      ['stomp', '/ws'],
    ]);
  });

  it('MQTT over wss (mqtt.js, ca) publishes to a STOMP over wss subscriber', async () => {
    const stomp = stompOverWss();
    const connected = waitFor<IFrame>((resolve) => {
      stomp.onConnect = resolve;
    }, 'CONNECTED');
    stomp.activate();
    await connected;
    const got = waitFor<IMessage>((resolve) => {
      stomp.subscribe('/topic/wss.test', resolve, hdr({ receipt: 'sub-1' }));
    }, 'MESSAGE');
    await waitFor<IFrame>((resolve) => {
      stomp.watchForReceipt('sub-1', resolve);
    }, 'RECEIPT');
    const device = await connectMqttTls(`wss://localhost:${gw.port('mqtt', 'wss')}/ws`, testCa.ca);
    await device.publishAsync('wss/test', 'over wss', { qos: 1 });
    expect((await got).body).toBe('over wss');
    await device.endAsync();
    await stomp.deactivate();
  });

  it('a wss client that does not trust the certificate fails; the listener keeps serving', async () => {
    const bad = new WebSocket(`wss://localhost:${gw.port('mqtt', 'wss')}/ws`, ['mqtt']);
    const err = await waitFor<Error>((resolve) => bad.once('error', resolve), 'TLS error');
    expect(String(err)).toMatch(/self.signed|unable to verify|certificate/i);
    const good = await connectMqttTls(`wss://localhost:${gw.port('mqtt', 'wss')}/ws`, testCa.ca);
    expect(good.connected).toBe(true);
    await good.endAsync();
  });
});
