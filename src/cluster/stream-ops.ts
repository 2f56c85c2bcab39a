import type { RedisConn } from './redis-client.js';
import { GROUP } from './cluster-keys.js';

/** A message going back to its queue's tail: it leaves this node's pending entries. */
export interface Returned {
  readonly id: string;
  readonly record: Buffer;
  /** Times it was handed out; > 0 makes the next delivery `redelivered`. */
  readonly deliveryCount: number;
}

/**
 * Puts messages a consumer held back at the queue's tail, atomically per message: only if this
 * node still had it pending (XACK says 1), so a message already reclaimed by another node is
 * not duplicated. KEYS[1] stream; ARGV: group, then (id, record, delivery count) triples.
 */
const REQUEUE = `
local n = 0
for i = 2, #ARGV, 3 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    redis.call('XADD', KEYS[1], '*', 'm', ARGV[i + 1], 'd', ARGV[i + 2])
    n = n + 1
  end
end
return n`;

/**
 * A dead node's pending messages go back to the tail with their delivery count + 1, and the
 * dead consumer is dropped once it holds nothing. One script, so two nodes reclaiming at once
 * move each message once. KEYS[1] stream; ARGV: group, consumer, most entries per call, least
 * idle time (ms) of an entry to move.
 */
const RECLAIM = `
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', tonumber(ARGV[4]), '-', '+',
  tonumber(ARGV[3]), ARGV[2])
for _, p in ipairs(pending) do
  local id = p[1]
  local e = redis.call('XRANGE', KEYS[1], id, id)
  redis.call('XACK', KEYS[1], ARGV[1], id)
  redis.call('XDEL', KEYS[1], id)
  if e[1] then
    local f, m, d = e[1][2], nil, 0
    for j = 1, #f, 2 do
      if f[j] == 'm' then m = f[j + 1] elseif f[j] == 'd' then d = tonumber(f[j + 1]) end
    end
    if m then redis.call('XADD', KEYS[1], '*', 'm', m, 'd', d + 1) end
  end
end
if #pending == 0 and tonumber(ARGV[4]) == 0 then redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) end
return #pending`;

/**
 * An XADD under `x-max-length`, checked against the messages waiting in the stream (its length
 * less the group's pending entries: RabbitMQ counts ready messages only). `reject`: a full queue
 * takes nothing (returns {0}); else the message is added and the oldest waiting messages (after
 * the group's last-delivered id) make room: their records come back for dead-lettering
 * (returns {1, record...}). KEYS[1] stream; ARGV: group, record, max length, 'reject'|'drop'.
 */
const ADD_BOUNDED = `
local len = redis.call('XLEN', KEYS[1])
local pending, last = 0, '0-0'
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
if ok then
  for _, g in ipairs(groups) do
    local name, p, l
    for j = 1, #g, 2 do
      if g[j] == 'name' then name = g[j + 1]
      elseif g[j] == 'pending' then p = g[j + 1]
      elseif g[j] == 'last-delivered-id' then l = g[j + 1] end
    end
    if name == ARGV[1] then pending, last = p, l end
  end
end
local ready, max = len - pending, tonumber(ARGV[3])
if ARGV[4] == 'reject' and ready >= max then return {0} end
redis.call('XADD', KEYS[1], '*', 'm', ARGV[2])
local out = {1}
if ready + 1 > max then
  for _, e in ipairs(redis.call('XRANGE', KEYS[1], '(' .. last, '+', 'COUNT', ready + 1 - max)) do
    redis.call('XDEL', KEYS[1], e[1])
    local f = e[2]
    for j = 1, #f, 2 do if f[j] == 'm' then out[#out + 1] = f[j + 1] end end
  end
end
return out`;

/** XREADGROUP reply: [[key, [[id, [field, value, ...]], ...]]]; fields are null for an entry
 * deleted while pending. */
export type ReadReply = [Buffer, [Buffer, Buffer[] | null][]][] | null;

const RECLAIM_BATCH = 500;
const ACK_RETRY_MS = 500;

type Scripted = RedisConn & {
  gwRequeue(key: string, ...args: (string | Buffer | number)[]): Promise<number>;
  gwAddBoundedBuffer(
    key: string,
    group: string,
    record: Buffer,
    max: number,
    mode: 'reject' | 'drop',
  ): Promise<[number, ...Buffer[]]>;
  gwReclaim(
    key: string,
    group: string,
    consumer: string,
    count: number,
    minIdleMs: number,
  ): Promise<number>;
};

const isBusyGroup = (err: unknown): boolean =>
  err instanceof Error && err.message.startsWith('BUSYGROUP');

/**
 * The stream commands of shared queues, on the node's command connection. Acks of one
 * event-loop turn go out as one XACK and one XDEL per stream; an ack Redis did not take is
 * retried, so the message does not stay pending on a live node.
 */
export class StreamOps {
  readonly #redis: Scripted;
  readonly #onError: (err: unknown) => void;
  readonly #acks = new Map<string, string[]>();
  #flush: NodeJS.Immediate | undefined;
  #retry: NodeJS.Timeout | undefined;

  constructor(redis: RedisConn, onError: (err: unknown) => void) {
    redis.defineCommand('gwRequeue', { numberOfKeys: 1, lua: REQUEUE });
    redis.defineCommand('gwReclaim', { numberOfKeys: 1, lua: RECLAIM });
    redis.defineCommand('gwAddBounded', { numberOfKeys: 1, lua: ADD_BOUNDED });
    this.#redis = redis as Scripted;
    this.#onError = onError;
  }

  /** The group reads from the stream's start, so messages added before it exist are kept. */
  async ensureGroup(key: string): Promise<void> {
    try {
      await this.#redis.xgroup('CREATE', key, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!isBusyGroup(err)) throw err;
    }
  }

  /** Resolves once Redis has the message. */
  async add(key: string, record: Buffer): Promise<void> {
    await this.#redis.xadd(key, '*', 'm', record);
  }

  /** One entry not yet delivered to any node, now pending for `consumer` (no blocking: a
   * basic.get answers get-empty when there is none). */
  async readOne(key: string, consumer: string): Promise<[Buffer, Buffer[] | null] | undefined> {
    // Not `callBuffer`: it loses its command name under auto-pipelining. ioredis has the
    // Buffer form of XREADGROUP but its typings lack it.
    const r = this.#redis as unknown as {
      xreadgroupBuffer(...args: (string | number)[]): Promise<unknown>;
    };
    const read = async (): Promise<ReadReply> =>
      (await r.xreadgroupBuffer(
        'GROUP',
        GROUP,
        consumer,
        'COUNT',
        1,
        'STREAMS',
        key,
        '>',
      )) as ReadReply;
    let reply: ReadReply;
    try {
      reply = await read();
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('NOGROUP'))) throw err;
      await this.ensureGroup(key);
      reply = await read();
    }
    return reply?.[0]?.[1][0];
  }

  /** An add under a length limit: whether the message was taken, and the records of the
   * oldest waiting messages it pushed out (`drop`). */
  async addBounded(
    key: string,
    record: Buffer,
    maxLength: number,
    mode: 'reject' | 'drop',
  ): Promise<{ readonly added: boolean; readonly dropped: readonly Buffer[] }> {
    const [added, ...dropped] = await this.#redis.gwAddBoundedBuffer(
      key,
      GROUP,
      record,
      maxLength,
      mode,
    );
    return { added: added === 1, dropped };
  }

  ack(key: string, id: string): void {
    let ids = this.#acks.get(key);
    if (!ids) this.#acks.set(key, (ids = []));
    ids.push(id);
    this.#flush ??= setImmediate(() => {
      this.#flush = undefined;
      this.#sendAcks();
    });
  }

  /** An ack of `id` is queued or being retried: RedisConn still lists the entry as pending. */
  ackPending(key: string, id: string): boolean {
    return this.#acks.get(key)?.includes(id) ?? false;
  }

  #sendAcks(): void {
    for (const [key, ids] of this.#acks) {
      this.#acks.delete(key);
      const p = this.#redis.pipeline();
      p.xack(key, GROUP, ...ids);
      p.xdel(key, ...ids);
      p.exec().then(
        (res) => {
          const failed = res?.find(([err]) => err);
          if (failed) this.#ackFailed(key, ids, failed[0]);
        },
        (err: unknown) => {
          this.#ackFailed(key, ids, err);
        },
      );
    }
  }

  #ackFailed(key: string, ids: readonly string[], err: unknown): void {
    this.#onError(err);
    const pending = this.#acks.get(key);
    if (pending) pending.push(...ids);
    else this.#acks.set(key, [...ids]);
    this.#retry ??= setTimeout(() => {
      this.#retry = undefined;
      this.#sendAcks();
    }, ACK_RETRY_MS);
  }

  async requeue(key: string, items: readonly Returned[]): Promise<void> {
    if (items.length === 0) return;
    await this.#redis.gwRequeue(
      key,
      GROUP,
      ...items.flatMap((i) => [i.id, i.record, i.deliveryCount]),
    );
  }

  /** Moves a consumer's pending messages idle for `minIdleMs` back to the queue (all of a
   * dead consumer's, with 0, which also drops the consumer). */
  async reclaim(key: string, consumer: string, minIdleMs = 0): Promise<void> {
    while ((await this.#redis.gwReclaim(key, GROUP, consumer, RECLAIM_BATCH, minIdleMs)) > 0);
  }

  /** The group's consumer names; none when the stream or group is gone. */
  async consumers(key: string): Promise<string[]> {
    try {
      const rows = (await this.#redis.xinfo('CONSUMERS', key, GROUP)) as unknown[][];
      return rows.map((r) => String(r[1]));
    } catch (err) {
      if (err instanceof Error && /NOGROUP|no such key/i.test(err.message)) return [];
      throw err;
    }
  }

  /** Messages in the stream not yet delivered to any node (XINFO GROUPS `lag`; when Redis
   * cannot tell, after a purge, the stream length minus the pending entries). */
  async backlog(key: string): Promise<number> {
    try {
      const groups = (await this.#redis.xinfo('GROUPS', key)) as unknown[][];
      const g = groups.find((row) => row[1] === GROUP) ?? [];
      const field = (name: string): unknown => g[g.indexOf(name) + 1];
      const lag = field('lag');
      if (typeof lag === 'number') return lag;
      return Math.max(0, (await this.#redis.xlen(key)) - Number(field('pending') ?? 0));
    } catch (err) {
      if (err instanceof Error && /no such key/i.test(err.message)) return 0;
      throw err;
    }
  }

  /** Purge: the messages nobody holds (held ones come back only if their holder requeues). */
  async trim(key: string): Promise<void> {
    await this.#redis.xtrim(key, 'MAXLEN', 0);
  }

  async drop(...keys: string[]): Promise<void> {
    await this.#redis.del(...keys);
  }

  /** This node's use of a queue: 0 = it has consumers now, else when it last used it. */
  async markUse(usedKey: string, consumer: string, value: number): Promise<void> {
    await this.#redis.hset(usedKey, consumer, value);
  }

  /** The other nodes' use of a queue (this node knows its own). */
  async usesBesides(usedKey: string, consumer: string): Promise<number[]> {
    const all = await this.#redis.hgetall(usedKey);
    return Object.entries(all)
      .filter(([name]) => name !== consumer)
      .map(([, v]) => Number(v));
  }

  async forgetUse(usedKey: string, consumer: string): Promise<void> {
    await this.#redis.hdel(usedKey, consumer);
  }

  /** Sends the acks still waiting; stops retrying. */
  async close(): Promise<void> {
    if (this.#flush) clearImmediate(this.#flush);
    if (this.#retry) clearTimeout(this.#retry);
    this.#flush = this.#retry = undefined;
    const all = [...this.#acks];
    this.#acks.clear();
    await Promise.allSettled(
      all.map(([key, ids]) =>
        this.#redis
          .pipeline()
          .xack(key, GROUP, ...ids)
          .xdel(key, ...ids)
          .exec(),
      ),
    );
  }
}
