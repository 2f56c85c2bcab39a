/**
 * Request/reply across protocols (`docs/mapping.md`, "Request/reply"): a STOMP client (over
 * WebSocket, as a browser, and over TCP) calls an AMQP 0-9-1 service with a `/temp-queue/`
 * reply-to; an MQTT 3.1.1 device answers an AMQP 1.0 request; an AMQP 0-9-1 client using
 * direct reply-to is answered by a STOMP service.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IMessage } from '@stomp/stompjs';
import type { EventContext } from 'rhea';
import type { TestGateway } from '../helpers/gateway.js';
import { hdr, waitFor } from '../helpers/stomp-clients.js';
import {
  amqp10Body,
  annotation,
  Clients,
  Growing,
  receiptId,
  receiptOf,
  sendAll,
  startMatrixGateway,
  stompSubscribe,
} from './helpers.js';

let gw: TestGateway;
const clients = new Clients();

beforeAll(async () => {
  gw = await startMatrixGateway();
});
afterEach(async () => {
  await clients.closeAll();
});
afterAll(async () => {
  await gw.stop();
});

describe.each(['stomp-ws', 'stomp-tcp'] as const)('request/reply from %s', (proto) => {
  it('a STOMP client with reply-to /temp-queue/ calls an AMQP 0-9-1 service answering through reply_to', async () => {
    const service = `rpc.matrix.${proto}`;
    const ch = await (await clients.amqp091(gw)).createChannel();
    // As STOMP's SEND to /queue/ declares it: durable, shared (an exclusive queue would be
    // resource_locked for the STOMP connection).
    await ch.assertQueue(service, { durable: true });
    const seen: string[] = [];
    await ch.consume(service, (req) => {
      if (!req) return;
      const replyTo = req.properties.replyTo as string;
      seen.push(replyTo);
      ch.sendToQueue(replyTo, Buffer.from(`echo ${req.content.toString()}`), {
        correlationId: req.properties.correlationId as string,
      });
      ch.ack(req);
    });

    const c = await clients.stomp(gw, proto);
    const replies = new Growing<IMessage>();
    c.onUnhandledMessage = (m) => {
      replies.push(m);
    };
    for (let i = 0; i < 3; i++) {
      const receipt = receiptId();
      const sent = receiptOf(c, receipt);
      c.publish({
        destination: `/queue/${service}`,
        body: `call ${i}`,
        headers: hdr({ 'reply-to': '/temp-queue/calls', 'correlation-id': `c-${i}`, receipt }),
      });
      await sent;
    }
    const got = await replies.until(3, 'three replies');
    expect(got.map((m) => [m.body, m.headers['correlation-id'], m.headers.subscription])).toEqual([
      ['echo call 0', 'c-0', '/temp-queue/calls'],
      ['echo call 1', 'c-1', '/temp-queue/calls'],
      ['echo call 2', 'c-2', '/temp-queue/calls'],
    ]);
    // The service saw one real, server-named queue (one per connection and temp-queue name).
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]).toMatch(/^stomp-reply-/);
    await ch.deleteQueue(service);
  });
});

describe('request/reply with an MQTT 3.1.1 device', () => {
  it('an MQTT device answers an AMQP 1.0 request (reply topic and correlation id in the payload)', async () => {
    // MQTT 3.1.1 carries no reply-to or correlation id (docs/mapping.md): the request's payload
    // names the reply topic, and the device copies the correlation id into its answer.
    const device = await clients.mqtt(gw, 'matrix-device-1');
    await device.subscribeAsync('devices/d1/cmd', { qos: 1 });
    device.on('message', (_topic, payload) => {
      const req = JSON.parse(payload.toString()) as { replyTopic: string; id: string; cmd: string };
      void device.publishAsync(
        req.replyTopic,
        JSON.stringify({ id: req.id, result: `${req.cmd} done` }),
        { qos: 1 },
      );
    });

    const requester = await clients.amqp10(gw);
    const receiver = await requester.openReceiver('/exchanges/amq.topic/replies.req1');
    const answers = new Growing<EventContext>();
    receiver.on('message', (ctx: EventContext) => {
      answers.push(ctx);
    });
    const sender = await requester.openSender('/exchanges/amq.topic/devices.d1.cmd');
    const request = { replyTopic: 'replies/req1', id: 'corr-7', cmd: 'reboot' };
    await sendAll(sender, [Buffer.from(JSON.stringify(request))], {
      reply_to: '/exchanges/amq.topic/replies.req1',
      correlation_id: 'corr-7',
    });
    const [answer] = await answers.until(1, 'the device answer');
    const msg = answer?.message;
    if (!msg) throw new Error('no message');
    expect(annotation(msg, 'x-routing-key')).toBe('replies.req1');
    expect(JSON.parse(amqp10Body(msg.body).toString())).toEqual({
      id: 'corr-7',
      result: 'reboot done',
    });
    // QoS 1 from the device: durable for the AMQP 1.0 requester.
    expect(msg.durable).toBe(true);
  });
});

describe('request/reply answered by STOMP', () => {
  it('an AMQP 0-9-1 client using direct reply-to is answered by a STOMP service via /reply-queue/', async () => {
    const service = await clients.stomp(gw, 'stomp-ws');
    await stompSubscribe(service, '/queue/rpc.matrix.stomp-service', (req) => {
      const replyTo = req.headers['reply-to'] ?? '';
      service.publish({
        destination: replyTo,
        body: `pong ${req.body}`,
        headers: hdr({ 'correlation-id': req.headers['correlation-id'] ?? '' }),
      });
      req.ack();
    });

    const ch = await (await clients.amqp091(gw)).createChannel();
    const reply = waitFor<import('amqplib').ConsumeMessage>((resolve) => {
      void ch.consume(
        'amq.rabbitmq.reply-to',
        (m) => {
          if (m) resolve(m);
        },
        { noAck: true },
      );
    }, 'the reply');
    // consume-ok has been received once a publish on the channel may use the reply queue
    await ch.checkQueue('rpc.matrix.stomp-service');
    ch.sendToQueue('rpc.matrix.stomp-service', Buffer.from('ping'), {
      replyTo: 'amq.rabbitmq.reply-to',
      correlationId: 'd-1',
    });
    const m = await reply;
    expect(m.content.toString()).toBe('pong ping');
    expect(m.properties.correlationId).toBe('d-1');
  });
});
