/**
 * STOMP meets AMQP 0-9-1 and MQTT in one topic space (anchors 2.6, 2.10): property mapping both
 * ways and a browser-style RPC over `/temp-queue/` answered by an AMQP service.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import amqplib from 'amqplib';
import mqtt from 'mqtt';
import type { Client, IMessage } from '@stomp/stompjs';
import type { TestGateway } from './helpers/gateway.js';
import {
  connectStomp,
  hdr,
  MessageQueue,
  RawStomp,
  startStompGateway,
  waitFor,
} from './helpers/stomp-clients.js';

let gw: TestGateway;
let amqp: amqplib.ChannelModel;
let ch: amqplib.Channel;
const clients: Client[] = [];

beforeAll(async () => {
  gw = await startStompGateway(
    { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
    { mqtt: true, amqp091: true },
  );
  amqp = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${gw.port('amqp091')}`);
  ch = await amqp.createChannel();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.deactivate()));
});

afterAll(async () => {
  await amqp.close();
  await gw.stop();
});

async function stomp(): Promise<Client> {
  const { client } = await connectStomp({ kind: 'tcp', port: gw.port('stomp') });
  clients.push(client);
  return client;
}

function nextAmqp(queue: string): Promise<amqplib.ConsumeMessage> {
  return waitFor<amqplib.ConsumeMessage>((resolve) => {
    void ch.consume(
      queue,
      (m) => {
        if (m) {
          resolve(m);
          void ch.cancel(m.fields.consumerTag);
        }
      },
      { noAck: true },
    );
  }, `AMQP message on ${queue}`);
}

describe('STOMP <-> AMQP 0-9-1 (anchors 2.6)', () => {
  it('maps SEND headers to AMQP properties and the headers table', async () => {
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'amq.topic', 'cross.props');
    const got = nextAmqp(queue);
    const c = await stomp();
    c.publish({
      destination: '/topic/cross.props',
      body: '{"a":1}',
      headers: hdr({
        'content-type': 'application/json',
        persistent: 'true',
        priority: '3',
        'correlation-id': 'corr-1',
        'amqp-message-id': 'mid-1',
        type: 'evt',
        'app-id': 'web',
        expiration: '30000',
        timestamp: '1700000000',
        'x-trace': 'abc',
      }),
    });
    const m = await got;
    expect(m.content.toString()).toBe('{"a":1}');
    expect(m.properties).toMatchObject({
      contentType: 'application/json',
      deliveryMode: 2,
      priority: 3,
      correlationId: 'corr-1',
      messageId: 'mid-1',
      type: 'evt',
      appId: 'web',
      expiration: '30000',
      timestamp: 1700000000,
    });
    expect(m.properties.headers).toMatchObject({ 'x-trace': 'abc' });
  });

  it('maps AMQP properties and string/integer headers onto MESSAGE', async () => {
    const c = await stomp();
    const q = new MessageQueue();
    const receipt = 'sub-amqp-in';
    const ready = waitFor<undefined>((resolve) => {
      c.watchForReceipt(receipt, () => {
        resolve(undefined);
      });
    }, 'receipt');
    c.subscribe('/topic/cross.in', q.push, hdr({ receipt }));
    await ready;
    ch.publish('amq.topic', 'cross.in', Buffer.from('hello'), {
      contentType: 'text/plain',
      persistent: true,
      correlationId: 'c-9',
      replyTo: 'amq.gen-reply',
      headers: { 'x-str': 's', 'x-int': 42, 'x-table': { nested: 1 } },
    });
    const m: IMessage = await q.next();
    expect(m.body).toBe('hello');
    expect(m.headers).toMatchObject({
      destination: '/topic/cross.in',
      'content-type': 'text/plain',
      persistent: 'true',
      'correlation-id': 'c-9',
      'reply-to': '/reply-queue/amq.gen-reply',
      'x-str': 's',
      'x-int': '42',
    });
    expect(m.headers['x-table']).toBeUndefined();
  });

  it('lets a STOMP client call an AMQP service with reply-to /temp-queue/', async () => {
    await ch.assertQueue('rpc-service', { durable: true });
    void ch.consume('rpc-service', (req) => {
      if (!req) return;
      ch.sendToQueue(
        req.properties.replyTo as string,
        Buffer.from(`echo ${req.content.toString()}`),
        {
          correlationId: req.properties.correlationId as string,
        },
      );
      ch.ack(req);
    });
    const c = await stomp();
    const reply = waitFor<IMessage>((resolve) => {
      c.onUnhandledMessage = resolve;
    }, 'RPC reply');
    c.publish({
      destination: '/queue/rpc-service',
      body: 'ping',
      headers: hdr({ 'reply-to': '/temp-queue/calls', 'correlation-id': 'call-1' }),
    });
    const m = await reply;
    expect(m.body).toBe('echo ping');
    expect(m.headers['correlation-id']).toBe('call-1');
    expect(m.headers.subscription).toBe('/temp-queue/calls');
  });
});

describe('queue deleted under a STOMP subscription', () => {
  it('ends the subscription with ERROR Subscription cancelled (STOMP has no cancel frame)', async () => {
    await ch.assertQueue('doomed', { durable: false });
    const raw = await RawStomp.connected(gw.port('stomp'));
    raw.send('SUBSCRIBE\nid:d\ndestination:/amq/queue/doomed\nreceipt:s\n\n\0');
    expect((await raw.next()).command).toBe('RECEIPT');
    await ch.deleteQueue('doomed');
    const err = await raw.expectErrorAndClose();
    expect(err.headers.get('message')).toBe('Subscription cancelled');
  });
});

describe('STOMP <-> MQTT (anchors 2.10)', () => {
  it('a STOMP SEND to /topic/a.b reaches an MQTT subscriber of a/+, persistent as QoS 1', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.port('mqtt')}`, {
      reconnectPeriod: 0,
    });
    try {
      await client.subscribeAsync('sensors/+', { qos: 1 });
      const got = waitFor<{ topic: string; payload: string; qos: number }>((resolve) => {
        client.on('message', (topic, payload, packet) => {
          resolve({ topic, payload: payload.toString(), qos: packet.qos });
        });
      }, 'MQTT message');
      const c = await stomp();
      c.publish({
        destination: '/topic/sensors.t1',
        body: '22',
        headers: hdr({ persistent: 'true' }),
      });
      expect(await got).toEqual({ topic: 'sensors/t1', payload: '22', qos: 1 });
    } finally {
      await client.endAsync();
    }
  });

  it('an MQTT QoS 1 publish reaches a STOMP /topic subscriber with persistent:true', async () => {
    const c = await stomp();
    const q = new MessageQueue();
    const receipt = 'sub-mqtt-in';
    const ready = waitFor<undefined>((resolve) => {
      c.watchForReceipt(receipt, () => {
        resolve(undefined);
      });
    }, 'receipt');
    c.subscribe('/topic/devices.*.state', q.push, hdr({ receipt }));
    await ready;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.port('mqtt')}`, {
      reconnectPeriod: 0,
    });
    try {
      await client.publishAsync('devices/d1/state', 'on', { qos: 1 });
      const m = await q.next();
      expect(m.body).toBe('on');
      expect(m.headers.destination).toBe('/topic/devices.d1.state');
      expect(m.headers.persistent).toBe('true');
    } finally {
      await client.endAsync();
    }
  });
});
