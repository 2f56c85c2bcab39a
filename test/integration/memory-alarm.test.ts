/**
 * AMQP 0-9-1 memory alarm (RabbitMQ connection.blocked extension): with the watermark below
 * the process's memory, a connection that publishes is blocked and told so; connections that
 * only consume keep working.
 */
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextEvent } from './helpers/amqp091-client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
let url: string;

beforeAll(async () => {
  gw = await startTestGateway({ memory: { highWatermark: 1, checkIntervalMs: 10 } });
  url = `amqp://127.0.0.1:${gw.port('amqp091')}`;
});

afterAll(async () => {
  await gw.stop();
});

describe('AMQP 0-9-1 connection.blocked', () => {
  it('blocks a publishing connection with reason "low on memory"; consumers go on', async () => {
    const publisher = await connect(url);
    const consumer = await connect(url);
    const cch = await consumer.createChannel();
    const q = await cch.assertQueue('', { exclusive: true });
    const pch = await publisher.createChannel();
    const blocked = nextEvent<string>(publisher, 'blocked');
    pch.sendToQueue(q.queue, Buffer.from('first'));
    expect(await blocked).toBe('low on memory');
    // The publish that triggered the block was routed; the consumer's connection is not blocked.
    const m = await cch.get(q.queue, { noAck: true });
    expect(m && m.content.toString()).toBe('first');
    await consumer.close();
    // The blocked publisher is not read any more: the gateway's stop drops it.
    publisher.on('error', () => undefined);
  });
});
