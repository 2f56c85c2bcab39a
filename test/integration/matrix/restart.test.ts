/**
 * Restart recovery across protocols (issue 9): every protocol publishes persistent messages
 * (MQTT QoS 1, delivery-mode 2, `durable`, `persistent:true`) into durable queues, the gateway
 * stops, starts again on the same SQLite data directory, and every protocol consumes all of
 * them, in order per publisher.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  budget,
  Clients,
  consumeQueue,
  plain,
  PROTOCOLS,
  publisher,
  type Proto,
} from './helpers.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'matrix-restart-'));
const clients = new Clients();
const running: TestGateway[] = [];

afterEach(async () => {
  await clients.closeAll();
  for (const g of running.splice(0)) await g.stop();
});
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<TestGateway> {
  const g = await startTestGateway({ dataDir, store: { type: 'sqlite', synchronous: 'normal' } });
  running.push(g);
  return g;
}

const PER_PUBLISHER = 3;
/** MQTT consumes a queue through a shared subscription: this group's queue holds its copy. */
const MQTT_SHARE = '$share/restart/restart/#';
const MQTT_QUEUE = 'mqtt-shared-restart-restart.#';

function queueOf(consumer: Proto): string {
  return consumer === 'mqtt' ? MQTT_QUEUE : `restart-${consumer}`;
}

describe('restart recovery: every protocol publishes, every protocol consumes after the restart', () => {
  it('persistent messages from MQTT, AMQP 0-9-1, AMQP 1.0 and STOMP survive a restart and reach every protocol in order', async () => {
    const g1 = await start();
    const admin = await (await clients.amqp091(g1)).createChannel();
    for (const c of PROTOCOLS) {
      if (c === 'mqtt') continue;
      await admin.assertQueue(queueOf(c), { durable: true });
      await admin.bindQueue(queueOf(c), 'amq.topic', 'restart.#');
    }
    // The MQTT group's queue exists from its first member on and outlives its members.
    const member = await consumeQueue(clients, g1, 'mqtt', MQTT_QUEUE, { share: MQTT_SHARE });
    await member.stop();

    for (const p of PROTOCOLS) {
      const pub = await publisher(clients, g1, p);
      const bodies = Array.from({ length: PER_PUBLISHER }, (_, i) => Buffer.from(`${p}-${i}`));
      await pub.publish(plain(`restart.${p}`), bodies);
    }
    await clients.closeAll();
    await running.splice(0)[0]?.stop();

    const g2 = await start();
    const total = PROTOCOLS.length * PER_PUBLISHER;
    for (const c of PROTOCOLS) {
      const sub = await consumeQueue(
        clients,
        g2,
        c,
        queueOf(c),
        c === 'mqtt' ? { share: MQTT_SHARE } : {},
      );
      const got = await sub.got.until(total, `${c} after the restart`, budget(total));
      const bodies = got.map((m) => m.body.toString());
      for (const p of PROTOCOLS) {
        expect(
          bodies.filter((b) => b.startsWith(`${p}-`)),
          `${p} -> ${c}`,
        ).toEqual(Array.from({ length: PER_PUBLISHER }, (_, i) => `${p}-${i}`));
      }
      await sub.stop();
    }
  });
});
