/**
 * AMQP 0-9-1 with the SQLite store: a publisher confirm means the message is stored
 * (DESIGN: nothing acknowledged is lost), so it survives a gateway restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestGateway } from './helpers/gateway.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'amqp091-durable-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

const start = () => startTestGateway({ dataDir, store: { type: 'sqlite', synchronous: 'normal' } });

describe('AMQP 0-9-1 confirms with a durable store', () => {
  it('confirms persistent messages to a durable queue, which survive a restart', async () => {
    const first = await start();
    const conn = await connect(`amqp://127.0.0.1:${first.port('amqp091')}`);
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('amqp091-durable', { durable: true });
    for (let i = 0; i < 20; i++) {
      ch.sendToQueue('amqp091-durable', Buffer.from(`m${i}`), { persistent: true, headers: { i } });
    }
    await ch.waitForConfirms();
    await conn.close();
    await first.stop();

    const second = await start();
    try {
      const conn2 = await connect(`amqp://127.0.0.1:${second.port('amqp091')}`);
      const ch2 = await conn2.createChannel();
      const got: string[] = [];
      for (;;) {
        const m = await ch2.get('amqp091-durable', { noAck: true });
        if (!m) break;
        expect(m.properties.deliveryMode).toBe(2);
        expect(m.properties.headers).toMatchObject({ i: got.length });
        got.push(m.content.toString());
      }
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
      await ch2.deleteQueue('amqp091-durable');
      await conn2.close();
    } finally {
      await second.stop();
    }
  });
});

describe('AMQP 0-9-1 topology -ok waits for the store', () => {
  it('queue.declare-ok for a durable queue goes out only after the store committed it; later replies on the channel keep their order', async () => {
    const gw = await startTestGateway();
    // A slow disk: the queue's store write completes only when the test says so.
    const store = gw.gateway.store;
    const putQueue = store.putQueue.bind(store);
    let release = (): void => undefined;
    const written = new Promise<void>((resolve) => (release = resolve));
    store.putQueue = async (q) => {
      await written;
      await putQueue(q);
    };
    const conn = await connect(`amqp://127.0.0.1:${gw.port('amqp091')}`);
    try {
      const ch = await conn.createChannel();
      const order: string[] = [];
      const declared = ch.assertQueue('slow-durable', { durable: true }).then(() => {
        order.push('declare-ok');
      });
      const checked = ch.checkExchange('amq.topic').then(() => {
        order.push('check-ok');
      });
      // A round trip on another channel proves the gateway has read the declare.
      const other = await conn.createChannel();
      await other.checkExchange('amq.direct');
      expect(order).toEqual([]);
      release();
      await Promise.all([declared, checked]);
      expect(order).toEqual(['declare-ok', 'check-ok']);
      expect((await store.loadTopology()).queues.map((q) => q.spec.name)).toContain('slow-durable');
    } finally {
      await conn.close();
      await gw.stop();
    }
  });
});
