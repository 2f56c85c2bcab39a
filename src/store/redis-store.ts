import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { pendingBatch, type PendingBatch } from './pending-batch.js';
import { BrokerError } from '../core/errors.js';
import type {
  ExchangeSpec,
  RetainedMessage,
  Store,
  StoredBinding,
  StoredExchange,
  StoredMessage,
  StoredQueue,
  StoredRecord,
  Topology,
} from '../spi.js';
import { bindingKey } from './binding-key.js';
import { byKey } from './record-order.js';
import { CommandBatch } from './redis-batch.js';
import { IdBlocks } from './id-blocks.js';
import { decodeValue, encodeValue } from './message-codec.js';
import { decodeQueue, encodeQueue } from './queue-record.js';
import { redisConnection, type RedisConn } from './redis-connection.js';
import { RedisKeys } from './redis-keys.js';
import { decodeRecord, encodeRecord } from './redis-record.js';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]`, `rediss://` for TLS. */
  readonly url: string;
  /** Seed nodes of a Redis Cluster (redis-connection.ts); none: the single Redis at `url`. */
  readonly clusterNodes?: readonly string[] | undefined;
  /** Every key starts with it (layout in redis-keys.ts). */
  readonly prefix: string;
  /** A command Redis does not answer within this time fails (a half-open connection). */
  readonly commandTimeoutMs?: number | undefined;
  readonly connectTimeoutMs?: number | undefined;
  /** Ids reserved per INCRBY (grows when refills come fast). */
  readonly idBlock?: number | undefined;
}

type Batch = PendingBatch<CommandBatch>;
const newBatch = (): Batch => pendingBatch<CommandBatch>(new CommandBatch());

/** Ids per HMGET when reading a queue back, so a long queue is not one huge reply. */
const READ_CHUNK = 1000;

const unavailable = (what: string, err: unknown): BrokerError =>
  new BrokerError(
    'GW_ERR_STORE_UNAVAILABLE',
    `${what}: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err },
  );

/**
 * Durable state in Redis. Processes on one Redis and prefix share ids safely (id-blocks.ts),
 * but each loads the state only at open: cross-node routing is not built yet. Like
 * the SQLite store, writes queue up in call order and go out together on the next turn of the
 * event loop as one MULTI/EXEC (atomic, and one round trip for every publish of that turn);
 * a write resolves when Redis has answered EXEC. How durable that is, is Redis' own setting
 * (`appendonly yes`, `appendfsync always|everysec`).
 *
 * Redis unreachable: the client keeps no offline queue and retries nothing, so writes reject
 * at once with GW_ERR_STORE_UNAVAILABLE (publishers get refusals, not a hang) while it
 * reconnects in the background; service resumes when Redis is back.
 */
export class RedisStore implements Store {
  readonly kind = 'redis';
  readonly #opts: RedisStoreOptions;
  readonly #keys: RedisKeys;
  readonly #ids: IdBlocks;
  #client: RedisConn | undefined;
  #batch: Batch = newBatch();
  #scheduled: NodeJS.Immediate | undefined;
  #lastError: Error | undefined;

  constructor(opts: RedisStoreOptions) {
    this.#opts = opts;
    this.#keys = new RedisKeys(opts.prefix, (opts.clusterNodes ?? []).length > 0);
    // async, so a closed store rejects the reservation instead of throwing inside next().
    this.#ids = new IdBlocks(
      async (n) => this.#redis().incrby(this.#keys.ids, n),
      opts.idBlock ?? 10_000,
    );
  }

  async open(): Promise<void> {
    const client = redisConnection(
      { url: this.#opts.url, clusterNodes: this.#opts.clusterNodes ?? [] },
      {
        connectTimeoutMs: this.#opts.connectTimeoutMs ?? 5_000,
        commandTimeoutMs: this.#opts.commandTimeoutMs ?? 5_000,
        retryMaxMs: 2_000,
      },
    );
    // ioredis prints unhandled 'error' events; keep the last one for the rejection messages.
    client.on('error', (err: Error) => {
      this.#lastError = err;
    });
    this.#client = client;
    try {
      await client.connect();
      await this.#ids.init();
    } catch (err) {
      this.#client = undefined;
      client.disconnect();
      throw new BrokerError(
        'GW_ERR_STORE_UNAVAILABLE',
        `cannot connect to Redis at ${this.#where()}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      await this.#flushNow();
    } finally {
      this.#client = undefined;
      if (client.status === 'ready') {
        await client.quit().catch(() => {
          client.disconnect();
        });
      } else client.disconnect();
    }
  }

  #where(): string {
    const nodes = this.#opts.clusterNodes ?? [];
    return nodes.length > 0
      ? `Redis Cluster ${nodes.map(redactUrl).join(', ')}`
      : redactUrl(this.#opts.url);
  }

  #redis(): RedisConn {
    if (!this.#client) throw new BrokerError('GW_ERR_STORE_UNAVAILABLE', 'store is not open');
    return this.#client;
  }

  /** Add a write's commands to the batch; the promise resolves when Redis has acknowledged it. */
  #write(build: (b: CommandBatch) => void): Promise<void> {
    const batch = this.#batch;
    build(batch.content);
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      void this.#commit();
    });
    return batch.done;
  }

  async #commit(): Promise<void> {
    const batch = this.#batch;
    this.#batch = newBatch();
    if (batch.content.length === 0) {
      batch.resolve();
      return;
    }
    try {
      const r = this.#redis();
      // A transaction on a Redis Cluster must stay in one slot: one per slot, side by side.
      // A queue's keys share a hash tag (redis-keys.ts), so each message stays atomic.
      const parts = r instanceof Cluster ? batch.content.bySlot(calculateSlot) : [batch.content];
      await Promise.all(
        parts.map(async (part) => {
          const tx = r.multi();
          part.sendTo(tx);
          const results = await tx.exec();
          if (!results) throw new Error('transaction aborted');
          const failed = results.find(([err]) => err);
          if (failed) throw failed[0] ?? new Error('command failed');
        }),
      );
      batch.resolve();
    } catch (err) {
      batch.reject(unavailable('store write failed', this.#explain(err)));
    }
  }

  /** "Stream isn't writeable" says little; the connection error behind it says more. */
  #explain(err: unknown): unknown {
    const last = this.#lastError;
    return err instanceof Error && last && this.#client?.status !== 'ready'
      ? new Error(`${err.message} (${last.message})`, { cause: err })
      : err;
  }

  async #flushNow(): Promise<void> {
    if (this.#scheduled) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    const pending = this.#batch.done;
    void this.#commit();
    await pending;
  }

  /** Reads see this process's queued writes: they go out first, on the same connection. */
  async #read<T>(what: string, fn: (r: RedisConn) => Promise<T>): Promise<T> {
    await this.#flushNow();
    try {
      return await fn(this.#redis());
    } catch (err) {
      throw unavailable(`store read (${what}) failed`, this.#explain(err));
    }
  }

  async loadTopology(): Promise<Topology> {
    return this.#read('topology', async (r) => {
      const vhosts = await r.smembers(this.#keys.vhosts);
      // Separate commands, not one pipeline: on a Redis Cluster the hashes are on any node.
      const res = await Promise.all(
        vhosts.flatMap((vh) =>
          [this.#keys.exchanges(vh), this.#keys.queues(vh), this.#keys.bindings(vh)].map((k) =>
            r.hgetallBuffer(k),
          ),
        ),
      );
      const hash = (i: number): Buffer[] => Object.values(res[i] ?? {});
      const exchanges: StoredExchange[] = [];
      const queues: StoredQueue[] = [];
      const bindings: StoredBinding[] = [];
      vhosts.forEach((vhost, i) => {
        for (const b of hash(3 * i))
          exchanges.push({ vhost, spec: decodeValue(b) as ExchangeSpec });
        for (const b of hash(3 * i + 1)) queues.push(decodeQueue(vhost, b));
        for (const b of hash(3 * i + 2)) bindings.push(decodeValue(b) as StoredBinding);
      });
      return { exchanges, queues, bindings };
    });
  }

  putExchange(x: StoredExchange): Promise<void> {
    const spec = encodeValue(x.spec);
    return this.#write((b) => {
      b.add('sadd', this.#keys.vhosts, x.vhost);
      b.add('hset', this.#keys.exchanges(x.vhost), x.spec.name, spec);
    });
  }

  deleteExchange(vhost: string, name: string): Promise<void> {
    return this.#write((b) => {
      b.add('hdel', this.#keys.exchanges(vhost), name);
    });
  }

  putQueue(q: StoredQueue): Promise<void> {
    const record = encodeQueue(q);
    return this.#write((b) => {
      b.add('sadd', this.#keys.vhosts, q.vhost);
      b.add('hset', this.#keys.queues(q.vhost), q.spec.name, record);
    });
  }

  deleteQueue(vhost: string, name: string): Promise<void> {
    const k = this.#keys.queue(vhost, name);
    return this.#write((b) => {
      b.add('hdel', this.#keys.queues(vhost), name);
      b.del(k.ids, k.msgs, k.deliveries);
    });
  }

  putBinding(x: StoredBinding): Promise<void> {
    const value = encodeValue(x);
    const id = bindingKey(x);
    return this.#write((b) => {
      b.add('sadd', this.#keys.vhosts, x.vhost);
      b.add('hset', this.#keys.bindings(x.vhost), id, value);
    });
  }

  deleteBinding(x: StoredBinding): Promise<void> {
    const id = bindingKey(x);
    return this.#write((b) => {
      b.add('hdel', this.#keys.bindings(x.vhost), id);
    });
  }

  nextMessageId(): number {
    return this.#ids.next();
  }

  appendMessage(m: StoredMessage): Promise<void> {
    const k = this.#keys.queue(m.vhost, m.queue);
    const record = encodeRecord(m.message, m.expiresAt, m.priority);
    return this.#write((b) => {
      b.add('zadd', k.ids, m.id, m.id);
      b.add('hset', k.msgs, m.id, record);
      if (m.deliveryCount > 0) b.add('hset', k.deliveries, m.id, m.deliveryCount);
    });
  }

  removeMessage(vhost: string, queue: string, id: number): Promise<void> {
    const k = this.#keys.queue(vhost, queue);
    return this.#write((b) => {
      b.add('zrem', k.ids, id);
      b.add('hdel', k.msgs, id);
      b.add('hdel', k.deliveries, id);
    });
  }

  markDelivered(vhost: string, queue: string, id: number, deliveryCount: number): Promise<void> {
    // Unconditional: a count left for an id already removed is never read (reads go by the id
    // set, ids are never reused) and goes with the queue; a check would need a script.
    const k = this.#keys.queue(vhost, queue);
    return this.#write((b) => {
      b.add('hset', k.deliveries, id, deliveryCount);
    });
  }

  async readMessages(vhost: string, queue: string): Promise<readonly StoredMessage[]> {
    const k = this.#keys.queue(vhost, queue);
    return this.#read('messages', async (r) => {
      const ids = await r.zrange(k.ids, 0, -1);
      const out: StoredMessage[] = [];
      for (let i = 0; i < ids.length; i += READ_CHUNK) {
        const chunk = ids.slice(i, i + READ_CHUNK);
        const [records, counts] = await Promise.all([
          r.hmgetBuffer(k.msgs, ...chunk),
          r.hmget(k.deliveries, ...chunk),
        ]);
        chunk.forEach((id, j) => {
          const record = records[j];
          // Removed by another process between the two reads.
          if (!record) return;
          const { message, expiresAt, priority } = decodeRecord(record);
          const deliveryCount = Number(counts[j] ?? 0);
          out.push({ id: Number(id), vhost, queue, message, expiresAt, priority, deliveryCount });
        });
      }
      return out;
    });
  }

  putRetained(r: RetainedMessage): Promise<void> {
    const record = encodeRecord(r.message);
    return this.#write((b) => {
      b.add('hset', this.#keys.retained(r.vhost), r.topic, record);
    });
  }

  deleteRetained(vhost: string, topic: string): Promise<void> {
    return this.#write((b) => {
      b.add('hdel', this.#keys.retained(vhost), topic);
    });
  }

  async listRetained(vhost: string): Promise<readonly RetainedMessage[]> {
    return this.#read('retained', async (r) => {
      const all = await r.hgetallBuffer(this.#keys.retained(vhost));
      return Object.entries(all).map(([topic, b]) => ({
        vhost,
        topic,
        message: decodeRecord(b).message,
      }));
    });
  }

  putRecord(kind: string, key: string, value: Buffer): Promise<void> {
    return this.#write((b) => {
      b.add('hset', this.#keys.records(kind), key, value);
    });
  }

  deleteRecord(kind: string, key: string): Promise<void> {
    return this.#write((b) => {
      b.add('hdel', this.#keys.records(kind), key);
    });
  }

  async listRecords(kind: string, keyPrefix = ''): Promise<readonly StoredRecord[]> {
    return this.#read('records', async (r) => {
      const key = this.#keys.records(kind);
      // Flat replies, not hgetallBuffer's object: a key such as `__proto__` survives.
      const flat: Buffer[] = [];
      if (keyPrefix === '') flat.push(...((await r.callBuffer('HGETALL', key)) as Buffer[]));
      else {
        // Redis filters the fields (HSCAN MATCH): one client's records do not cross the wire
        // with everyone's. The scan still visits the whole hash, on the server.
        const match = `${keyPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
        let cursor = '0';
        do {
          const [next, fields] = await r.hscanBuffer(key, cursor, 'MATCH', match, 'COUNT', 1000);
          cursor = next.toString();
          flat.push(...fields);
        } while (cursor !== '0');
      }
      const records = new Map<string, Buffer>();
      // HSCAN may return a field twice.
      for (let i = 0; i + 1 < flat.length; i += 2) {
        records.set(String(flat[i]), flat[i + 1] as Buffer);
      }
      return byKey([...records].map(([k, value]) => ({ key: k, value })));
    });
  }
}

/** The URL without its password, for error messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
