import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gatewayConfigSchema } from '../../../src/config/schema.js';
import { createGateway, type Gateway } from '../../../src/gateway.js';
import type { Delivery, Message } from '../../../src/spi.js';
import { DB_FILE } from '../../../src/store/sqlite-store.js';

const noAdapters = Object.fromEntries(
  Object.keys(gatewayConfigSchema.parse({ store: { type: 'memory' } }).protocols).map((p) => [
    p,
    { enabled: false },
  ]),
);

const dirs: string[] = [];
const running: Gateway[] = [];
afterEach(async () => {
  for (const g of running.splice(0)) await g.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<Gateway> {
  const g = createGateway({
    log: { level: 'silent' },
    dataDir,
    store: { type: 'sqlite' },
    management: { enabled: false },
    protocols: noAdapters,
  });
  await g.start();
  running.push(g);
  return g;
}

async function stop(g: Gateway): Promise<void> {
  running.splice(running.indexOf(g), 1);
  await g.stop();
}

const msg = (body: string, persistent: boolean, extra: Partial<Message> = {}): Message => ({
  exchange: 'dx',
  routingKey: 'orders.new',
  headers: { h: 1 },
  properties: { persistent },
  body: Buffer.from(body),
  origin: { protocol: 'amqp091', connectionId: 'c' },
  ...extra,
});

function drain(g: Gateway, queue: string): Delivery[] {
  const out: Delivery[] = [];
  let d = g.broker.vhost('/').get(queue);
  while (d) {
    out.push(d.delivery);
    d = g.broker.vhost('/').get(queue);
  }
  return out;
}

describe('restart recovery (sqlite)', () => {
  it('durable topology and persistent messages survive; acked, transient and non-durable do not; unacked come back redelivered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-recover-'));
    dirs.push(dir);
    const g1 = await start(dir);
    const v = g1.broker.vhost('/');
    v.declareExchange({ name: 'dx', type: 'topic', durable: true });
    v.declareQueue({ name: 'dq', durable: true, arguments: { 'x-max-length': 100 } });
    v.declareQueue({ name: 'tq', durable: false });
    v.bindQueue('dq', 'dx', 'orders.*');
    v.bindQueue('tq', 'dx', 'orders.*');
    const commits = ['p1', 'p2', 'p3', 'p4'].map((b) => v.publish(msg(b, true)).committed);
    expect(commits.every((c) => c instanceof Promise)).toBe(true);
    expect(v.publish(msg('transient', false)).committed).toBeUndefined();
    await Promise.all(commits.filter((c) => c !== undefined));

    const first = v.get('dq');
    first?.delivery.ack(); // p1 acked: must not come back
    const second = v.get('dq'); // p2 delivered, never acked
    expect(second?.delivery.message.body.toString()).toBe('p2');
    await stop(g1);

    const g2 = await start(dir);
    const v2 = g2.broker.vhost('/');
    expect(v2.exchangeExists('dx')).toBe(true);
    expect(v2.queueInfo('tq')).toBeUndefined();
    expect(() => {
      v2.declareQueue({ name: 'dq', durable: true, arguments: { 'x-max-length': 101 } });
    }).toThrow(/inequivalent/);
    const back = drain(g2, 'dq');
    expect(back.map((d) => d.message.body.toString())).toEqual(['p2', 'p3', 'p4']);
    expect(back.map((d) => d.redelivered)).toEqual([true, false, false]);
    expect(back[0]?.message.headers).toEqual({ h: 1 });
    // The binding survived too: a new publish reaches dq.
    expect(v2.publish(msg('after', true)).queues).toBe(1);
    for (const d of back) d.ack();
  });

  it('a message TTL keeps counting across a restart (absolute deadline)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-recover-'));
    dirs.push(dir);
    const g1 = await start(dir);
    const v = g1.broker.vhost('/');
    v.declareQueue({ name: 'ttl', durable: true });
    await v.publish(
      msg('short', true, {
        exchange: '',
        routingKey: 'ttl',
        properties: { persistent: true, expiration: '1000' },
      }),
    ).committed;
    await v.publish(
      msg('long', true, {
        exchange: '',
        routingKey: 'ttl',
        properties: { persistent: true, expiration: '600000' },
      }),
    ).committed;
    await stop(g1);
    // The gateway is "down" for a minute: the 1 s TTL runs out, the 10 min one does not.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60_000 });
    try {
      const g2 = await start(dir);
      expect(drain(g2, 'ttl').map((d) => d.message.body.toString())).toEqual(['long']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('queue expiry (x-expires) keeps counting across a restart; a queue in use at the stop starts afresh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-recover-'));
    dirs.push(dir);
    const g1 = await start(dir);
    const v = g1.broker.vhost('/');
    const expiring = (name: string, ms: number): void => {
      v.declareQueue({ name, durable: true, arguments: { 'x-expires': ms } });
    };
    expiring('short', 30_000);
    expiring('long', 600_000);
    expiring('busy', 30_000);
    v.consume('busy', { deliver: () => true, cancelled: () => undefined }, { noAck: true });
    await v.sync();
    await stop(g1);
    // Down for a minute: 'short' ran out while unused; 'busy' had a consumer until the end.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60_000 });
    try {
      const g2 = await start(dir);
      const v2 = g2.broker.vhost('/');
      await vi.waitFor(() => {
        expect(v2.queueInfo('short')).toBeUndefined();
      });
      expect(v2.queueInfo('long')).toBeDefined();
      expect(v2.queueInfo('busy')).toBeDefined();
      await v2.sync();
      await stop(g2);
      const g3 = await start(dir);
      expect(g3.broker.vhost('/').queueInfo('short')).toBeUndefined();
      expect(g3.broker.vhost('/').queueInfo('long')).toBeDefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('an unreadable data file gives a clear error at start, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-recover-'));
    dirs.push(dir);
    writeFileSync(
      join(dir, DB_FILE),
      Buffer.from('this is not a sqlite database, just garbage bytes'.repeat(100)),
    );
    const g = createGateway({
      log: { level: 'silent' },
      dataDir: dir,
      management: { enabled: false },
      protocols: noAdapters,
    });
    await expect(g.start()).rejects.toThrow(new RegExp(`cannot open the data file .*${DB_FILE}`));
  });
});

describe('store rows follow the topology (sqlite)', () => {
  it('deleting a durable queue or exchange deletes its stored bindings, so the next start recovers cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-recover-'));
    dirs.push(dir);
    const g1 = await start(dir);
    const v = g1.broker.vhost('/');
    v.declareExchange({ name: 'dx', type: 'topic', durable: true });
    v.declareExchange({ name: 'dx2', type: 'fanout', durable: true });
    v.declareQueue({ name: 'gone', durable: true });
    v.declareQueue({ name: 'kept', durable: true });
    v.bindQueue('gone', 'amq.topic', 'a.#');
    v.bindQueue('kept', 'dx', 'k');
    v.bindExchange('dx2', 'dx', 'x');
    v.deleteQueue('gone');
    v.deleteExchange('dx2');
    await stop(g1);
    const t = await (async () => {
      const g = await start(dir);
      return { g, bindings: g.broker.vhost('/').listBindings() };
    })();
    expect(t.bindings.map((b) => `${b.source}->${b.destination.name}:${b.routingKey}`)).toEqual([
      'dx->kept:k',
    ]);
    expect((await t.g.store.loadTopology()).bindings).toHaveLength(1);
  });
});
