/**
 * Per-connection publish rate limit (`limits.publishRatePerConnection`, token bucket with
 * `limits.publishBurst`): over the rate the gateway stops reading the connection, so the
 * publisher is slowed by backpressure (RabbitMQ's credit flow) and nothing is dropped. Checked
 * by counts over windows: from the first message on, at most burst + rate x window messages
 * arrive within any window that starts there. AMQP 1.0 is held by link credit instead of the
 * socket (RabbitMQ 4), so its client may send its credit ahead.
 */
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, next } from './helpers/amqp10-client.js';
import { eventually } from './helpers/amqp091-client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { connectMqtt } from './helpers/mqtt-clients.js';
import { RawStomp } from './helpers/stomp-clients.js';

const RATE = 50;
const BURST = 5;
const COUNT = 40;
/** Room for delivery jitter of the first message and the timer's millisecond rounding. */
const SLACK = 2;

let gw: TestGateway;
let consumer: ChannelModel;
let channel: Channel;
const arrivals = new Map<string, number[]>();

beforeAll(async () => {
  gw = await startTestGateway({
    limits: { publishRatePerConnection: RATE, publishBurst: BURST },
    // One message of credit at a time: AMQP 1.0 is slowed by credit, so what a client may send
    // ahead is its credit.
    protocols: { amqp10: { linkCredit: 1 } },
  });
  consumer = await amqp.connect(`amqp://guest:guest@127.0.0.1:${gw.port('amqp091')}`);
  channel = await consumer.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'amq.topic', 'rate.*');
  await channel.consume(
    queue,
    (m) => {
      if (!m) return;
      const key = m.fields.routingKey;
      arrivals.set(key, [...(arrivals.get(key) ?? []), performance.now()]);
    },
    { noAck: true },
  );
});
afterAll(async () => {
  await consumer.close();
  await gw.stop();
});

/** Every message arrived, and within each window [first, i-th arrival] at most
 * burst + rate x window (+ slack) messages did. */
function expectRateLimited(times: readonly number[]): void {
  expect(times).toHaveLength(COUNT);
  const first = times[0] ?? 0;
  times.forEach((t, i) => {
    const allowed = BURST + (RATE * (t - first)) / 1000 + SLACK;
    expect(i + 1, `message ${i + 1} at +${(t - first).toFixed(1)} ms`).toBeLessThanOrEqual(allowed);
  });
}

describe('publish rate limit per connection (token bucket, reading paused)', () => {
  it('slows an MQTT QoS 1 publisher to the rate; every message arrives', async () => {
    const client = await connectMqtt(gw.port('mqtt'), { username: 'guest', password: 'guest' });
    for (let i = 0; i < COUNT; i++) await client.publishAsync('rate/mqtt', `m${i}`, { qos: 1 });
    await eventually(() => arrivals.get('rate.mqtt')?.length === COUNT, 'every MQTT message');
    expectRateLimited(arrivals.get('rate.mqtt') ?? []);
    await client.endAsync();
  });

  it('slows an AMQP 0-9-1 publisher with confirms to the rate; every message arrives', async () => {
    const publisher = await amqp.connect(`amqp://guest:guest@127.0.0.1:${gw.port('amqp091')}`);
    const ch = await publisher.createConfirmChannel();
    for (let i = 0; i < COUNT; i++) {
      ch.publish('amq.topic', 'rate.amqp', Buffer.from(`m${i}`));
      await ch.waitForConfirms();
    }
    await eventually(() => arrivals.get('rate.amqp')?.length === COUNT, 'every AMQP message');
    expectRateLimited(arrivals.get('rate.amqp') ?? []);
    await publisher.close();
  });

  it('holds the link credit of an AMQP 1.0 sender to the rate; every message is accepted', async () => {
    const client = await connectClient(gw.port('amqp10'));
    const sender = await client.openSender('/exchanges/amq.topic/rate.amqp10');
    for (let i = 0; i < COUNT; i++) {
      if (!sender.sendable()) await next(sender, 'sendable');
      expect((await client.send(sender, { body: `m${i}` })).outcome).toBe('accepted');
    }
    await eventually(() => arrivals.get('rate.amqp10')?.length === COUNT, 'every AMQP 1.0 message');
    expectRateLimited(arrivals.get('rate.amqp10') ?? []);
    await client.close();
  });

  it('slows a STOMP publisher (SEND with receipts) to the rate; every message arrives', async () => {
    const stomp = await RawStomp.connected(gw.port('stomp'));
    for (let i = 0; i < COUNT; i++) {
      stomp.send(`SEND\ndestination:/topic/rate.stomp\nreceipt:r${i}\n\nm${i}\0`);
      expect((await stomp.next()).headers.get('receipt-id')).toBe(`r${i}`);
    }
    await eventually(() => arrivals.get('rate.stomp')?.length === COUNT, 'every STOMP message');
    expectRateLimited(arrivals.get('rate.stomp') ?? []);
    stomp.destroy();
  });
});
