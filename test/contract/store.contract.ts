/**
 * The store contract: every Store implementation runs this suite (the aedes-persistence
 * `abstract.js` pattern). `make` returns a fresh, unopened store; `reopen` (when the store is
 * durable) returns a new instance over the same data.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Message, Store, StoredBinding, StoredMessage } from '../../src/spi.js';

export interface StoreContractOptions {
  readonly make: () => Store;
  /** A new instance on the same data, for durable stores. */
  readonly reopen?: (() => Store) | undefined;
}

const message = (body: string, extra: Partial<Message> = {}): Message => ({
  exchange: 'amq.topic',
  routingKey: 'a.b',
  headers: {
    s: 'text',
    n: 42,
    big: 9007199254740993n,
    buf: Buffer.from([0, 1, 255]),
    when: new Date(1_700_000_000_000),
    typed: { '!': 'decimal', value: { places: 2, digits: 314 } },
    nested: { list: [1, 'two', null, { deep: true }] },
  },
  properties: { contentType: 'text/plain', persistent: true, priority: 3, expiration: '60000' },
  body: Buffer.from(body),
  origin: { protocol: 'amqp091', connectionId: 'c1' },
  ...extra,
});

function stored(store: Store, queue: string, body: string, vhost = '/'): StoredMessage {
  return {
    id: store.nextMessageId(),
    vhost,
    queue,
    message: message(body),
    expiresAt: 0,
    priority: 0,
    deliveryCount: 0,
  };
}

export function storeContract(name: string, opts: StoreContractOptions): void {
  describe(`store contract: ${name}`, () => {
    const open: Store[] = [];
    const fresh = async (make = opts.make): Promise<Store> => {
      const s = make();
      await s.open();
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    it('starts empty', async () => {
      const s = await fresh();
      expect(await s.loadTopology()).toEqual({ exchanges: [], queues: [], bindings: [] });
      expect(await s.readMessages('/', 'q')).toEqual([]);
      expect(await s.listRetained('/')).toEqual([]);
    });

    it('keeps exchanges, queues and bindings; put replaces; delete removes', async () => {
      const s = await fresh();
      await s.putExchange({ vhost: '/', spec: { name: 'x', type: 'topic', durable: true } });
      await s.putExchange({
        vhost: '/',
        spec: {
          name: 'x',
          type: 'topic',
          durable: true,
          arguments: { 'alternate-exchange': 'ae' },
        },
      });
      await s.putExchange({ vhost: 'other', spec: { name: 'x', type: 'fanout', durable: true } });
      await s.putQueue({
        vhost: '/',
        spec: { name: 'q', durable: true, arguments: { 'x-max-length': 10 } },
      });
      const b: StoredBinding = {
        vhost: '/',
        source: 'x',
        destinationKind: 'queue',
        destination: 'q',
        routingKey: 'a.*',
        arguments: { k: 1 },
      };
      await s.putBinding(b);
      await s.putBinding({ ...b, arguments: { k: 2 } });
      let t = await s.loadTopology();
      expect(t.exchanges).toHaveLength(2);
      expect(t.exchanges.find((x) => x.vhost === '/')?.spec.arguments).toEqual({
        'alternate-exchange': 'ae',
      });
      expect(t.queues).toEqual([
        { vhost: '/', spec: { name: 'q', durable: true, arguments: { 'x-max-length': 10 } } },
      ]);
      expect(t.bindings).toHaveLength(2);
      await s.deleteBinding({ ...b, arguments: { k: 2 } });
      await s.deleteExchange('other', 'x');
      t = await s.loadTopology();
      expect(t.bindings).toEqual([b]);
      expect(t.exchanges.map((x) => x.vhost)).toEqual(['/']);
    });

    it('keeps when a queue became unused, and its clearing (x-expires across a restart)', async () => {
      const s = await fresh();
      const spec = { name: 'q', durable: true, arguments: { 'x-expires': 1000 } };
      await s.putQueue({ vhost: '/', spec, unusedSince: 1_700_000_000_123 });
      expect((await s.loadTopology()).queues[0]?.unusedSince).toBe(1_700_000_000_123);
      await s.putQueue({ vhost: '/', spec });
      const [q] = (await s.loadTopology()).queues;
      expect(q?.spec).toEqual(spec);
      expect(q?.unusedSince).toBeUndefined();
    });

    it("returns a queue's messages in id order with every header type intact", async () => {
      const s = await fresh();
      const ms = ['one', 'two', 'three'].map((body) => stored(s, 'q', body));
      for (const m of ms) await s.appendMessage(m);
      await s.appendMessage(stored(s, 'other', 'elsewhere'));
      const back = await s.readMessages('/', 'q');
      expect(back.map((m) => m.message.body.toString())).toEqual(['one', 'two', 'three']);
      expect(back[0]?.message).toEqual(ms[0]?.message);
      expect(Buffer.isBuffer(back[0]?.message.headers['buf'])).toBe(true);
    });

    it('ids increase', async () => {
      const s = await fresh();
      const a = s.nextMessageId();
      const b = s.nextMessageId();
      expect(b).toBeGreaterThan(a);
    });

    it('removes acked messages and records deliveries', async () => {
      const s = await fresh();
      const [m1, m2] = [stored(s, 'q', '1'), stored(s, 'q', '2')];
      await Promise.all([s.appendMessage(m1), s.appendMessage(m2)]);
      await s.removeMessage('/', 'q', m1.id);
      await s.markDelivered('/', 'q', m2.id, 2);
      const back = await s.readMessages('/', 'q');
      expect(back.map((m) => [m.id, m.deliveryCount])).toEqual([[m2.id, 2]]);
    });

    it('deleting a queue deletes its messages', async () => {
      const s = await fresh();
      await s.putQueue({ vhost: '/', spec: { name: 'q', durable: true } });
      await s.appendMessage(stored(s, 'q', 'x'));
      await s.deleteQueue('/', 'q');
      expect(await s.readMessages('/', 'q')).toEqual([]);
      expect((await s.loadTopology()).queues).toEqual([]);
    });

    it('a write issued before another is never lost when the later one resolves (group commit order)', async () => {
      const s = await fresh();
      const writes = Array.from({ length: 200 }, (_, i) => stored(s, 'q', `m${i}`));
      const promises = writes.map((m) => s.appendMessage(m));
      await promises[promises.length - 1];
      expect(await s.readMessages('/', 'q')).toHaveLength(200);
      await Promise.all(promises);
    });

    it('keeps retained messages per vhost; put replaces, delete clears', async () => {
      const s = await fresh();
      await s.putRetained({ vhost: '/', topic: 'a/b', message: message('v1') });
      await s.putRetained({ vhost: '/', topic: 'a/b', message: message('v2') });
      await s.putRetained({ vhost: '/', topic: 'a/c', message: message('c') });
      await s.putRetained({ vhost: 'v', topic: 'a/b', message: message('other vhost') });
      const list = await s.listRetained('/');
      expect(list.map((r) => [r.topic, r.message.body.toString()]).sort()).toEqual([
        ['a/b', 'v2'],
        ['a/c', 'c'],
      ]);
      await s.deleteRetained('/', 'a/b');
      expect((await s.listRetained('/')).map((r) => r.topic)).toEqual(['a/c']);
    });

    it('keeps keyed records per kind, byte for byte; put replaces, delete removes', async () => {
      const s = await fresh();
      const bytes = Buffer.from([0, 255, 10, 13, 0x80, 0]);
      await s.putRecord('mqtt:/:subs', 'c1', Buffer.from('v1'));
      await s.putRecord('mqtt:/:subs', 'c1', bytes);
      await s.putRecord('mqtt:/:subs', '__proto__', Buffer.from('odd key'));
      await s.putRecord('mqtt:other:subs', 'c1', Buffer.from('other kind'));
      await s.putRecord('mqtt:/:subs', 'gone', Buffer.from('x'));
      await s.deleteRecord('mqtt:/:subs', 'gone');
      await s.deleteRecord('mqtt:/:subs', 'never-there');
      const list = await s.listRecords('mqtt:/:subs');
      expect(list.map((r) => r.key)).toEqual(['__proto__', 'c1']);
      expect(Buffer.compare(list[1]?.value ?? Buffer.alloc(0), bytes)).toBe(0);
      expect(await s.listRecords('empty')).toEqual([]);
    });

    it('lists records in key order whatever the write order (sortable keys keep a sequence)', async () => {
      const s = await fresh();
      const keys = ['c\u0000000a', 'b\u00000002', 'c\u00000001', 'c\u00000010', 'b\u00000001'];
      await Promise.all(keys.map((k) => s.putRecord('q', k, Buffer.from(k))));
      const list = await s.listRecords('q');
      expect(list.map((r) => r.key)).toEqual([...keys].sort());
      expect(list.map((r) => r.value.toString())).toEqual([...keys].sort());
    });

    it('lists only the records whose key starts with a prefix, glob characters included', async () => {
      const s = await fresh();
      const keys = ['dev-1', 'dev-1\u00000001', 'dev-10\u00000001', 'dev-2\u00000001', 'd*v[1]'];
      await Promise.all(keys.map((k) => s.putRecord('p', k, Buffer.from(k))));
      expect((await s.listRecords('p', 'dev-1')).map((r) => r.key)).toEqual([
        'dev-1',
        'dev-1\u00000001',
        'dev-10\u00000001',
      ]);
      expect((await s.listRecords('p', 'dev-1\u0000')).map((r) => r.key)).toEqual([
        'dev-1\u00000001',
      ]);
      expect((await s.listRecords('p', 'd*v[')).map((r) => r.key)).toEqual(['d*v[1]']);
      expect(await s.listRecords('p', 'nobody')).toEqual([]);
    });

    if (opts.reopen) {
      const reopen = opts.reopen;
      it('everything written before close is there after reopening', async () => {
        const s = opts.make();
        await s.open();
        await s.putQueue({ vhost: '/', spec: { name: 'q', durable: true } });
        const m = stored(s, 'q', 'kept');
        const acked = stored(s, 'q', 'acked');
        void s.appendMessage(m);
        void s.appendMessage(acked);
        void s.removeMessage('/', 'q', acked.id);
        void s.putRetained({ vhost: '/', topic: 't', message: message('r') });
        void s.putRecord('k', 'kept', Buffer.from('r1'));
        void s.putRecord('k', 'dropped', Buffer.from('r2'));
        void s.deleteRecord('k', 'dropped');
        await s.close();
        const again = await fresh(reopen);
        expect((await again.loadTopology()).queues.map((q) => q.spec.name)).toEqual(['q']);
        expect((await again.readMessages('/', 'q')).map((x) => x.message.body.toString())).toEqual([
          'kept',
        ]);
        expect((await again.listRetained('/')).map((r) => r.topic)).toEqual(['t']);
        expect((await again.listRecords('k')).map((r) => [r.key, r.value.toString()])).toEqual([
          ['kept', 'r1'],
        ]);
        expect(again.nextMessageId()).toBeGreaterThan(acked.id);
      });
    }
  });
}
