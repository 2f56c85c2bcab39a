import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gatewayConfigSchema } from '../../../src/config/schema.js';
import { createGateway, type Gateway } from '../../../src/gateway.js';
import type { Delivery, Message, Store, StoredMessage } from '../../../src/spi.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { RedisStore, type RedisStoreOptions } from '../../../src/store/redis-store.js';
import { storeContract } from '../../contract/store.contract.js';
import { startRedis, type RedisServer } from '../../helpers/redis-server.js';

// One server for the file; every store gets its own key prefix, so tests never see each other.
// Without redis-server every test fails with the reason (not a skip, not one hook error).
let redis: RedisServer | undefined;
let startError: unknown;
beforeAll(async () => {
  redis = await startRedis().catch((err: unknown) => {
    startError = err;
    return undefined;
  });
});
afterAll(async () => {
  await redis?.stop();
});

const url = (): string => {
  if (!redis) {
    throw startError instanceof Error ? startError : new Error('redis-server did not start');
  }
  return redis.url;
};
let prefixes = 0;
const newPrefix = (): string => `test${process.pid}-${++prefixes}:`;

let prefix = '';
const redisStore = (opts: Partial<RedisStoreOptions> = {}): RedisStore =>
  new RedisStore({ url: url(), prefix, ...opts });
storeContract('redis', {
  make: () => {
    prefix = newPrefix();
    return redisStore();
  },
  reopen: () => redisStore(),
});

const message = (body: string): Message => ({
  exchange: '',
  routingKey: 'q',
  headers: {},
  properties: { persistent: true },
  body: Buffer.from(body),
  origin: { protocol: 'amqp091', connectionId: 'c' },
});

const stored = (s: RedisStore, body: string): StoredMessage => ({
  id: s.nextMessageId(),
  vhost: '/',
  queue: 'q',
  message: message(body),
  expiresAt: 0,
  priority: 0,
  deliveryCount: 0,
});

describe('redis store', () => {
  const open: RedisStore[] = [];
  const opened = async (s: RedisStore): Promise<RedisStore> => {
    await s.open();
    open.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  it('stores on one Redis and prefix hand out distinct, per-store increasing ids', async () => {
    prefix = newPrefix();
    // Tiny blocks so both stores go back to the counter many times.
    const a = await opened(redisStore({ idBlock: 4 }));
    const b = await opened(redisStore({ idBlock: 4 }));
    const idsA: number[] = [];
    const idsB: number[] = [];
    for (let i = 0; i < 40; i++) {
      idsA.push(a.nextMessageId());
      idsB.push(b.nextMessageId());
      // A read round-trips after any block reservation in flight on the same connection.
      await Promise.all([a.readMessages('/', 'none'), b.readMessages('/', 'none')]);
    }
    const increasing = (ids: number[]): boolean =>
      ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? Infinity));
    expect(increasing(idsA)).toBe(true);
    expect(increasing(idsB)).toBe(true);
    expect(new Set([...idsA, ...idsB]).size).toBe(80);
    // A store opened later (a restarted node) starts above every id handed out so far.
    const c = await opened(redisStore({ idBlock: 4 }));
    expect(c.nextMessageId()).toBeGreaterThan(Math.max(...idsA, ...idsB));
  });

  it('sees a message appended by another store on the same Redis', async () => {
    prefix = newPrefix();
    const a = await opened(redisStore());
    const b = await opened(redisStore());
    const m = stored(a, 'from a');
    await a.appendMessage(m);
    const back = await b.readMessages('/', 'q');
    expect(back.map((x) => [x.id, x.message.body.toString()])).toEqual([[m.id, 'from a']]);
  });

  it('one batch of mixed writes ends as the same writes on the memory store (merged commands keep their outcome)', async () => {
    prefix = newPrefix();
    const s = await opened(redisStore());
    const mem = new MemoryStore();
    // A fixed-seed generator (mulberry32): the same sequence on every run.
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const live: { queue: string; id: number }[] = [];
    const writes: Promise<void>[] = [];
    const kinds = new Map<string, number>();
    const both = (kind: string, f: (st: Store) => Promise<void>): void => {
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      writes.push(f(s), f(mem));
    };
    for (let i = 0; i < 2_000; i++) {
      const queue = `q${rand(3)}`;
      const pick = live[rand(Math.max(live.length, 1))];
      const op = rand(50);
      if (op < 25 || !pick) {
        const m = { ...stored(s, `m${i}`), queue };
        live.push({ queue, id: m.id });
        both('append', (st) => st.appendMessage(m));
      } else if (op < 35) both('remove', (st) => st.removeMessage('/', pick.queue, pick.id));
      else if (op < 49) both('delivered', (st) => st.markDelivered('/', pick.queue, pick.id, i));
      else both('deleteQueue', (st) => st.deleteQueue('/', queue));
    }
    // Every kind of write is in the mix, deletes of whole queues included.
    expect(Math.min(...kinds.values())).toBeGreaterThan(10);
    expect(kinds.size).toBe(4);
    await Promise.all(writes);
    for (const queue of ['q0', 'q1', 'q2']) {
      const view = (ms: readonly StoredMessage[]): unknown[] =>
        ms.map((m) => [m.id, m.deliveryCount, m.message.body.toString()]);
      expect(view(await s.readMessages('/', queue))).toEqual(
        view(await mem.readMessages('/', queue)),
      );
    }
  });

  it('escapes names so a queue named with ":" never reads another queue\'s keys', async () => {
    prefix = newPrefix();
    const s = await opened(redisStore());
    await s.appendMessage({ ...stored(s, 'one'), vhost: 'a:q:b', queue: 'c' });
    await s.appendMessage({ ...stored(s, 'two'), vhost: 'a', queue: 'b:q:c' });
    expect((await s.readMessages('a:q:b', 'c')).map((m) => m.message.body.toString())).toEqual([
      'one',
    ]);
    expect((await s.readMessages('a', 'b:q:c')).map((m) => m.message.body.toString())).toEqual([
      'two',
    ]);
  });
});

describe('redis store: Redis unreachable', () => {
  let own: RedisServer | undefined;
  const stores: RedisStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await own?.stop();
    own = undefined;
  });

  it('writes reject with GW_ERR_STORE_UNAVAILABLE at once, open() rejects, service resumes when Redis is back', async () => {
    own = await startRedis();
    const port = own.port;
    const s = new RedisStore({ url: own.url, prefix: newPrefix(), idBlock: 4 });
    stores.push(s);
    await s.open();
    await s.appendMessage(stored(s, 'before'));

    await own.stop();
    own = undefined;
    const t0 = Date.now();
    await expect(s.appendMessage(stored(s, 'while down'))).rejects.toMatchObject({
      code: 'GW_ERR_STORE_UNAVAILABLE',
    });
    expect(Date.now() - t0).toBeLessThan(2_000);
    await expect(s.readMessages('/', 'q')).rejects.toMatchObject({
      code: 'GW_ERR_STORE_UNAVAILABLE',
    });
    // The id block runs dry instead of inventing ids nobody reserved.
    expect(() => {
      for (let i = 0; i < 10; i++) s.nextMessageId();
    }).toThrow(/no message id available/);

    const other = new RedisStore({ url: `redis://127.0.0.1:${port}`, prefix: newPrefix() });
    await expect(other.open()).rejects.toMatchObject({
      code: 'GW_ERR_STORE_UNAVAILABLE',
      message: expect.stringMatching(/cannot connect to Redis at redis:\/\/127\.0\.0\.1/) as string,
    });

    own = await startRedis(port);
    // The client reconnects on its own (backoff at most 2 s): poll with a bound.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await s.putRetained({ vhost: '/', topic: 't', message: message('after') });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect((await s.listRetained('/')).map((r) => r.message.body.toString())).toEqual(['after']);
  });
});

describe('gateway on the redis store', () => {
  const noAdapters = Object.fromEntries(
    Object.keys(gatewayConfigSchema.parse({ store: { type: 'memory' } }).protocols).map((p) => [
      p,
      { enabled: false },
    ]),
  );
  const running: Gateway[] = [];
  afterEach(async () => {
    for (const g of running.splice(0)) await g.stop();
  });

  async function start(keyPrefix: string): Promise<Gateway> {
    const g = createGateway({
      log: { level: 'silent' },
      store: { type: 'redis', redis: { url: url(), prefix: keyPrefix } },
      management: { enabled: false },
      protocols: noAdapters,
    });
    await g.start();
    running.push(g);
    return g;
  }

  const publish = (body: string, persistent: boolean): Message => ({
    ...message(body),
    exchange: 'dx',
    routingKey: 'orders.new',
    properties: { persistent },
  });

  function drain(g: Gateway, queue: string): Delivery[] {
    const out: Delivery[] = [];
    for (let d = g.broker.vhost('/').get(queue); d; d = g.broker.vhost('/').get(queue)) {
      out.push(d.delivery);
    }
    return out;
  }

  it('restarts on the same Redis with its durable queue, binding and persistent messages', async () => {
    const keyPrefix = newPrefix();
    const g1 = await start(keyPrefix);
    const v = g1.broker.vhost('/');
    v.declareExchange({ name: 'dx', type: 'topic', durable: true });
    v.declareQueue({ name: 'dq', durable: true });
    v.declareQueue({ name: 'tq', durable: false });
    v.bindQueue('dq', 'dx', 'orders.*');
    v.bindQueue('tq', 'dx', 'orders.*');
    const commits = ['p1', 'p2', 'p3'].map((b) => v.publish(publish(b, true)).committed);
    expect(commits.every((c) => c instanceof Promise)).toBe(true);
    expect(v.publish(publish('transient', false)).committed).toBeUndefined();
    await Promise.all(commits.filter((c) => c !== undefined));
    v.get('dq')?.delivery.ack(); // p1: acked, must not come back
    expect(v.get('dq')?.delivery.message.body.toString()).toBe('p2'); // delivered, never acked
    running.splice(running.indexOf(g1), 1);
    await g1.stop();

    const g2 = await start(keyPrefix);
    const v2 = g2.broker.vhost('/');
    expect(v2.exchangeExists('dx')).toBe(true);
    expect(v2.queueInfo('tq')).toBeUndefined();
    const back = drain(g2, 'dq');
    expect(back.map((d) => d.message.body.toString())).toEqual(['p2', 'p3']);
    expect(back.map((d) => d.redelivered)).toEqual([true, false]);
    expect(v2.publish(publish('after', true)).queues).toBe(1);
    for (const d of back) d.ack();
  });
});
