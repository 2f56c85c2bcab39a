/**
 * AMQP 1.0 <-> AMQP 0-9-1 through the core, both on the shared AMQP port (anchors 2.9), with
 * the real clients: rhea and amqplib.
 */
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from './helpers/gateway.js';
import { startAmqp10Gateway } from './helpers/amqp10-gateway.js';
import {
  collect,
  connectClient,
  dataBody,
  sequenceBody,
  type TestClient,
} from './helpers/amqp10-client.js';

let gw: TestGateway;
let amqp10: TestClient;
let amqp091: ChannelModel;
let ch: Channel;

beforeAll(async () => {
  gw = await startAmqp10Gateway({}, ['amqp091']);
  const port = gw.port('amqp10');
  expect(gw.port('amqp091')).toBe(port);
  amqp10 = await connectClient(port);
  amqp091 = await connect({ hostname: '127.0.0.1', port, heartbeat: 0 });
  ch = await amqp091.createChannel();
});

afterAll(async () => {
  await amqp10.close();
  await amqp091.close();
  await gw.stop();
});

function nextMessage(queue: string): Promise<ConsumeMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('no message'));
    }, 5000);
    void ch.consume(queue, (m) => {
      if (!m) return;
      clearTimeout(timer);
      ch.ack(m);
      resolve(m);
    });
  });
}

describe('AMQP 1.0 -> AMQP 0-9-1 (anchors 2.9)', () => {
  it('header, properties, application-properties and x- annotations arrive as 0-9-1 properties and headers', async () => {
    const { queue } = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(queue, 'amq.topic', 'interop.props');
    const got = nextMessage(queue);
    const sender = await amqp10.openSender('/exchanges/amq.topic/interop.props');
    const outcome = await amqp10.send(sender, {
      durable: true,
      priority: 6,
      ttl: 60000,
      message_id: 'mid-1',
      correlation_id: 'cid-1',
      reply_to: '/queues/replies',
      content_type: 'application/json',
      creation_time: new Date(1_700_000_000_000),
      group_id: 'app-1',
      application_properties: { color: 'blue', n: 2 },
      message_annotations: { 'x-opt-trace': 't1', 'x-basic-type': 'order.created' },
      body: dataBody(Buffer.from('{"a":1}')),
    });
    expect(outcome.outcome).toBe('accepted');
    const m = await got;
    expect(m.content.toString()).toBe('{"a":1}');
    expect(m.properties).toMatchObject({
      deliveryMode: 2,
      priority: 6,
      expiration: '60000',
      messageId: 'mid-1',
      correlationId: 'cid-1',
      replyTo: 'replies',
      contentType: 'application/json',
      timestamp: 1_700_000_000,
      appId: 'app-1',
      type: 'order.created',
    });
    expect(m.properties.headers).toMatchObject({ color: 'blue', n: 2, 'x-opt-trace': 't1' });
  });

  it('an amqp-value string body arrives as its UTF-8 bytes; an amqp-sequence AMQP-encoded with type amqp-1.0', async () => {
    const text = (await ch.assertQueue('', { exclusive: true })).queue;
    const seq = (await ch.assertQueue('', { exclusive: true })).queue;
    const anonymous = await amqp10.openSender({ target: {} });
    const gotText = nextMessage(text);
    await amqp10.send(anonymous, { body: 'héllo', to: `/queues/${text}` });
    expect((await gotText).content.toString('utf8')).toBe('héllo');
    const gotSeq = nextMessage(seq);
    await amqp10.send(anonymous, { body: sequenceBody([1, 'two']), to: `/queues/${seq}` });
    const m = await gotSeq;
    expect(m.properties.type).toBe('amqp-1.0');
    expect([...m.content.subarray(0, 3)]).toEqual([0x00, 0x53, 0x76]); // an amqp-sequence section
  });
});

describe('AMQP 0-9-1 -> AMQP 1.0', () => {
  it('properties -> header/properties, headers split into application-properties and annotations', async () => {
    const receiver = await amqp10.openReceiver('/exchanges/amq.topic/from.091');
    const got = collect(receiver, 1);
    ch.publish('amq.topic', 'from.091', Buffer.from('payload'), {
      persistent: true,
      priority: 3,
      messageId: 'm-091',
      correlationId: 'c-091',
      replyTo: 'rq',
      contentType: 'text/plain',
      appId: 'svc',
      headers: { plain: 'v', 'x-custom': 'x' },
    });
    const [ctx] = await got;
    const m = ctx?.message;
    expect(m).toMatchObject({
      durable: true,
      priority: 3,
      message_id: 'm-091',
      correlation_id: 'c-091',
      reply_to: '/queues/rq',
      content_type: 'text/plain',
      group_id: 'svc',
      application_properties: { plain: 'v' },
    });
    expect(m?.message_annotations).toMatchObject({
      'x-custom': 'x',
      'x-exchange': 'amq.topic',
      'x-routing-key': 'from.091',
    });
    expect((m?.body as { content: Buffer }).content.toString()).toBe('payload');
  });
});

describe('request/reply across protocols', () => {
  it('an AMQP 1.0 requester with reply-to /queues/<q> is answered by an AMQP 0-9-1 responder', async () => {
    await ch.assertQueue('rpc-requests', { exclusive: true });
    const replies = 'rpc-replies-10';
    await ch.assertQueue(replies, { exclusive: false, autoDelete: false });
    await ch.consume('rpc-requests', (req) => {
      if (!req) return;
      const { replyTo, correlationId } = req.properties as {
        replyTo: string;
        correlationId: string;
      };
      ch.sendToQueue(replyTo, Buffer.from(`re: ${req.content.toString()}`), { correlationId });
      ch.ack(req);
    });
    const receiver = await amqp10.openReceiver(`/queues/${replies}`);
    const answer = collect(receiver, 1);
    const sender = await amqp10.openSender('/queues/rpc-requests');
    await amqp10.send(sender, {
      body: dataBody(Buffer.from('ping')),
      reply_to: `/queues/${replies}`,
      correlation_id: 'corr-42',
    });
    const [reply] = await answer;
    expect(reply?.message?.correlation_id).toBe('corr-42');
    expect((reply?.message?.body as { content: Buffer }).content.toString()).toBe('re: ping');
  });
});
