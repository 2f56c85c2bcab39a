import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@stomp/stompjs';
import type { TestGateway } from './helpers/gateway.js';
import { connectMqtt, Inbox, startMqttGateway } from './helpers/mqtt-clients.js';
import { connectStomp, hdr, MessageQueue } from './helpers/stomp-clients.js';

let gw: TestGateway;
let port: number;
let stomp: Client;

beforeAll(async () => {
  gw = await startMqttGateway({}, { stomp: true });
  port = gw.port('mqtt');
  ({ client: stomp } = await connectStomp({ kind: 'tcp', port: gw.port('stomp') }));
});

afterAll(async () => {
  await stomp.deactivate();
  await gw.stop();
});

describe('MQTT <-> STOMP /topic/ in the shared topic space', () => {
  it('a STOMP SEND to /topic/a.b reaches MQTT a/b; persistent:true -> QoS 1', async () => {
    const sub = await connectMqtt(port);
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('st/+', { qos: 1 });
    stomp.publish({
      destination: '/topic/st.one',
      body: 'durable',
      headers: hdr({ persistent: 'true' }),
    });
    stomp.publish({ destination: '/topic/st.two', body: 'plain' });
    const got = await inbox.count(2);
    expect(got.map((m) => [m.topic, m.payload, m.packet.qos])).toEqual([
      ['st/one', 'durable', 1],
      ['st/two', 'plain', 0],
    ]);
    await sub.endAsync();
  });

  it('an MQTT publish reaches a STOMP /topic/ subscription with the AMQP pattern', async () => {
    const queue = new MessageQueue();
    const subscription = stomp.subscribe('/topic/ms.*', queue.push);
    // a receipt-less SUBSCRIBE: a round trip through the gateway makes sure it is bound
    await new Promise<void>((resolve) => {
      stomp.watchForReceipt('sub-ready', () => {
        resolve();
      });
      stomp.publish({ destination: '/topic/unrelated', headers: hdr({ receipt: 'sub-ready' }) });
    });
    const pub = await connectMqtt(port);
    await pub.publishAsync('ms/v1.2', 'dotted level', { qos: 1 });
    const m = await queue.next();
    expect(m.body).toBe('dotted level');
    // routing key ms.v1%2E2; the STOMP adapter percent-encodes a key's '%' in destinations
    expect(m.headers.destination).toBe('/topic/ms.v1%252E2');
    subscription.unsubscribe();
    await pub.endAsync();
  });
});
