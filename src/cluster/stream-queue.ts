import { QueueRefusedError } from '../core/errors.js';
import type { RedisConn } from './redis-client.js';
import type { ConsumeOptions, ConsumerSink, Message } from '../spi.js';
import type { QueueConsumer } from '../core/queues/consumer.js';
import {
  Queue,
  type EnqueueResult,
  type QueueHooks,
  type QueueOptions,
  type QueuePersistence,
} from '../core/queues/queue.js';
import { expiresAtOf, priorityOf } from '../core/queues/queue-args.js';
import type { Entry } from '../core/queues/ready-list.js';
import { decodeRecord, encodeRecord } from '../store/redis-record.js';
import { GROUP } from './cluster-keys.js';
import type { ReadReply, Returned, StreamOps } from './stream-ops.js';

export interface StreamQueueContext {
  readonly ops: StreamOps;
  readonly key: string;
  /** Where the nodes record their use of the queue (cluster-keys.ts). */
  readonly usedKey: string;
  /** This node process's consumer name in the stream's group. */
  readonly consumer: string;
  readonly fetchBatch: number;
  readonly blockMs: number;
  /** A new connection for blocking reads (not yet connected). */
  readonly connect: () => RedisConn;
  readonly onError: (err: unknown) => void;
}

/** After a failed read, the next one waits this long (Redis down: no busy loop). */
const RETRY_MS = 250;
/** How long a read for less than half the consumers' window waits for more room. */
const COALESCE_MS = 2;

/**
 * A shared queue when nodes share a Redis: its messages live in a Redis stream, and consumers
 * on every node compete for them through one consumer group (one group consumer per node
 * process). A publish on any node is an XADD (publisher confirms wait for it). This node reads
 * (XREADGROUP, blocking) only as many messages as its own consumers have room for, so the
 * others' consumers get the rest, and hands them out with the ordinary queue machinery
 * (prefetch, credit, ack, nack/requeue, TTL, dead-lettering). An ack is an XACK + XDEL; a
 * message whose consumer goes away returns to the stream's tail, and a dead node's pending
 * messages are moved back by the others (node-presence.ts).
 *
 * `x-expires` and auto-delete are decided with the other nodes' use of the queue (the `used`
 * hash), `x-max-length` in Redis with each add; `basic.get` reads one message first when this
 * node has none fetched. Not as on one node (docs/cluster.md): `x-max-length-bytes` (not
 * enforced), priorities (stream order). Message counts are the stream's backlog as of the last
 * presence pass.
 */
export class StreamQueue extends Queue {
  readonly #ctx: StreamQueueContext;
  readonly #consumers = new Set<QueueConsumer>();
  /** Local handle (Entry.storeId) -> stream id, and back, for what this node holds. */
  readonly #ids = new Map<number, string>();
  readonly #held = new Set<string>();
  #nextHandle = 1;
  #seq = 0;
  /** Set while giving messages back: an entry leaving goes to the stream, not away. */
  #returning: Returned[] | undefined;
  #reader: RedisConn | undefined;
  #reading = false;
  /** '0' re-reads this consumer's own pending entries (after a restart of the reader, some
   * may have been delivered to it without reaching it); then '>' for new ones. */
  #cursor = '0';
  #retry: NodeJS.Timeout | undefined;
  /** A small read waiting for more acks to join it. */
  #soon: NodeJS.Timeout | undefined;

  /** What the base class calls for entries with a store id: an entry leaving is acked. */
  static readonly #link: QueuePersistence = {
    nextId: () => 0,
    append: () => Promise.resolve(),
    delivered: () => undefined,
    usageChanged: () => undefined,
    remove: (queue, entry) => {
      if (queue instanceof StreamQueue) queue.#left(entry);
    },
  };

  readonly #hooks: QueueHooks;

  constructor(options: QueueOptions, hooks: QueueHooks, ctx: StreamQueueContext) {
    super(options, {
      deadLetter: (q, m, reason) => {
        hooks.deadLetter(q, m, reason);
      },
      expire: (q) => {
        if (q instanceof StreamQueue) q.#expireIfUnused(hooks);
      },
      persistence: StreamQueue.#link,
    });
    this.#ctx = ctx;
    this.#hooks = hooks;
    this.#markUse();
  }

  /** Local use (declare, consume, get) is recorded for the other nodes' expiry checks. */
  override touch(now = Date.now()): void {
    super.touch(now);
    // The base constructor touches before this class has set its fields.
    if (#ctx in this) this.#markUse(now);
  }

  #lastUse = -1;

  #markUse(now = Date.now()): void {
    const { expires } = this.options.args;
    if (expires === undefined && !this.options.autoDelete) return;
    const value = this.#consumers.size > 0 ? 0 : now;
    // A newer time is worth a write only once a second (a polling basic.get touches often).
    if (value !== 0 && this.#lastUse !== 0 && value - this.#lastUse < 1_000) return;
    this.#lastUse = value;
    this.#ctx.ops.markUse(this.#ctx.usedKey, this.#ctx.consumer, value).catch(this.#ctx.onError);
  }

  /** x-expires or auto-delete fired here: the queue goes only if no node consumes from it and,
   * with x-expires, none used it for that long; else this node's timer starts again. */
  #expireIfUnused(hooks: QueueHooks): void {
    const { expires } = this.options.args;
    this.#ctx.ops.usesBesides(this.#ctx.usedKey, this.#ctx.consumer).then(
      (uses) => {
        if (this.deleted || this.#consumers.size > 0) return;
        const now = Date.now();
        const inUse = uses.some((u) => u === 0 || (expires !== undefined && now - u < expires));
        if (!inUse) hooks.expire(this);
        else if (expires !== undefined) super.touch(now);
      },
      (err: unknown) => {
        this.#ctx.onError(err);
        if (expires !== undefined) super.touch();
      },
    );
  }

  /** Recovery reads nothing for it from the store: its messages are in the stream. */
  override restore(): void {
    return;
  }

  override enqueue(message: Message, now = Date.now()): EnqueueResult {
    const { args } = this.options;
    const record = encodeRecord(
      message,
      expiresAtOf(args, message, now),
      priorityOf(args, message),
    );
    this.stats.published++;
    const committed =
      args.maxLength === undefined
        ? this.#ctx.ops.add(this.#ctx.key, record)
        : this.#addBounded(message, record, args.maxLength);
    // Callers that do not wait (QoS 0) must not leave a rejection unhandled.
    committed.catch(() => undefined);
    return { outcome: 'queued', committed };
  }

  /** `x-max-length` across nodes, checked in Redis with the add (stream-ops.ts): drop-head
   * dead-letters the messages it pushed out; reject-publish refuses through the commit (the
   * publisher gets basic.nack), reject-publish-dlx dead-letters the refused message too. */
  async #addBounded(message: Message, record: Buffer, maxLength: number): Promise<void> {
    const { overflow } = this.options.args;
    const mode = overflow === 'drop-head' ? 'drop' : 'reject';
    const { added, dropped } = await this.#ctx.ops.addBounded(
      this.#ctx.key,
      record,
      maxLength,
      mode,
    );
    for (const r of dropped) this.#hooks.deadLetter(this, decodeRecord(r).message, 'maxlen');
    if (added) return;
    if (overflow === 'reject-publish-dlx') this.#hooks.deadLetter(this, message, 'maxlen');
    throw new QueueRefusedError(this.name);
  }

  override consume(sink: ConsumerSink, opts: ConsumeOptions): QueueConsumer {
    const c = super.consume(sink, opts);
    this.#consumers.add(c);
    if (this.#consumers.size === 1) this.#markUse();
    this.#feed();
    return c;
  }

  override removeConsumer(c: QueueConsumer, requeueUnsettled: boolean): void {
    this.#consumers.delete(c);
    super.removeConsumer(c, requeueUnsettled);
    if (this.#consumers.size > 0) return;
    this.#giveBack();
    this.#markUse();
  }

  override dispatch(): void {
    super.dispatch();
    // A delivery settled with requeue after its consumer left (a channel closing) lands in
    // the local buffer with nobody to take it here.
    if (this.#consumers.size === 0 && super.messageCount > 0) this.#giveBack();
    else this.#feed();
  }

  /** AMQP 0-9-1 basic.get on a node that has nothing fetched: one message from the stream, held
   * for this node like a consumer's (acked, or given back if the getter goes). */
  override fetchForGet(): Promise<void> | undefined {
    if (super.messageCount > 0) return undefined;
    return this.#ctx.ops.readOne(this.#ctx.key, this.#ctx.consumer).then((entry) => {
      if (entry && !this.deleted) this.#take(entry[0].toString(), entry[1]);
      else if (entry) this.#ctx.ops.ack(this.#ctx.key, entry[0].toString());
    });
  }

  override purge(connectionId: string | undefined): number {
    const n = super.purge(connectionId);
    this.#ctx.ops.trim(this.#ctx.key).catch(this.#ctx.onError);
    return n;
  }

  override markDeleted(reason: string): number {
    this.#stopReading();
    this.#ids.clear();
    this.#held.clear();
    return super.markDeleted(reason);
  }

  // ------------------------------------------------------------------ reading

  /** How many more messages this node's consumers can take than it already has, and whether
   * that is at least half of their window (else the read waits a moment for more acks, so
   * reads come in batches rather than one per ack). */
  #want(): { readonly want: number; readonly now: boolean } {
    const batch = this.#ctx.fetchBatch;
    let room = 0;
    let window = 0;
    for (const c of this.#consumers) {
      room += Math.min(c.room, batch);
      window += Math.min(c.room + c.unsettled, batch);
    }
    const want = Math.min(room, batch) - super.messageCount;
    return { want, now: want * 2 >= Math.min(window, batch) };
  }

  #feed(waited = false): void {
    if (this.#reading || this.#retry || this.#soon || this.deleted) return;
    const { want, now } = this.#want();
    if (want <= 0) return;
    if (!now && !waited) {
      this.#soon = setTimeout(() => {
        this.#soon = undefined;
        this.#feed(true);
      }, COALESCE_MS);
      return;
    }
    this.#reading = true;
    this.#read(want).then(
      () => {
        this.#reading = false;
        this.#feed();
      },
      (err: unknown) => {
        this.#reading = false;
        this.#readFailed(err);
      },
    );
  }

  async #read(want: number): Promise<void> {
    const reader = await this.#connection();
    const own = this.#cursor !== '>';
    let reply: ReadReply;
    try {
      reply = (await reader.callBuffer(
        'XREADGROUP',
        'GROUP',
        GROUP,
        this.#ctx.consumer,
        'COUNT',
        want,
        'BLOCK',
        own ? 1 : this.#ctx.blockMs,
        'STREAMS',
        this.#ctx.key,
        this.#cursor,
      )) as ReadReply;
    } catch (err) {
      // Disconnected on purpose (#stopReading); a message Redis delivered in that instant is
      // moved back by this node's own reclaim pass (node-presence.ts).
      if (this.#reader !== reader) return;
      throw err;
    }
    if (this.#reader !== reader) {
      // Stopped while blocked: what came is pending on this node; give it back.
      this.#giveBackRaw(reply);
      return;
    }
    const entries = reply?.[0]?.[1] ?? [];
    if (own) {
      const last = entries.at(-1);
      this.#cursor = last ? last[0].toString() : '>';
    }
    for (const [id, fields] of entries) this.#take(id.toString(), fields);
    if (entries.length > 0) super.dispatch();
    if (this.#consumers.size === 0) this.#giveBack();
  }

  async #connection(): Promise<RedisConn> {
    if (this.#reader) return this.#reader;
    const reader = this.#ctx.connect();
    this.#reader = reader;
    await reader.connect();
    await this.#ctx.ops.ensureGroup(this.#ctx.key);
    return reader;
  }

  #take(id: string, fields: Buffer[] | null): void {
    // A re-read of own pending entries also lists those held here or acked but not yet sent.
    if (this.#held.has(id) || this.#ctx.ops.ackPending(this.#ctx.key, id)) return;
    const record = fields?.[fields.findIndex((f, i) => i % 2 === 0 && f.toString() === 'm') + 1];
    if (!fields || !record) {
      this.#ctx.ops.ack(this.#ctx.key, id); // deleted (purged) while pending
      return;
    }
    const d = fields.findIndex((f, i) => i % 2 === 0 && f.toString() === 'd');
    const { message, expiresAt, priority } = decodeRecord(record);
    const handle = this.#nextHandle++;
    this.#ids.set(handle, id);
    this.#held.add(id);
    const entry: Entry = {
      seq: this.#seq++,
      message,
      size: message.body.length,
      expiresAt,
      priority,
      deliveryCount: d >= 0 ? Number(fields[d + 1]?.toString() ?? 0) : 0,
      storeId: handle,
    };
    super.restore(entry);
  }

  #readFailed(err: unknown): void {
    this.#ctx.onError(err);
    const noGroup = err instanceof Error && err.message.includes('NOGROUP');
    // The connection may have dropped mid-read with entries delivered to this consumer.
    this.#cursor = '0';
    this.#retry = setTimeout(
      () => {
        this.#retry = undefined;
        const ready = noGroup ? this.#ctx.ops.ensureGroup(this.#ctx.key) : Promise.resolve();
        ready.then(
          () => {
            this.#feed();
          },
          (e: unknown) => {
            this.#readFailed(e);
          },
        );
      },
      noGroup ? 0 : RETRY_MS,
    );
  }

  /** Messages waiting in Redis for any node (refreshed by the presence pass) plus those this
   * node has fetched and not handed out. */
  override get messageCount(): number {
    return super.messageCount + this.#backlog;
  }

  #backlog = 0;

  /** From the presence pass (node-presence.ts). */
  setBacklog(count: number): void {
    this.#backlog = count;
  }

  get streamKey(): string {
    return this.#ctx.key;
  }

  get usedKey(): string {
    return this.#ctx.usedKey;
  }

  /** Holds nothing and reads nothing: any pending entry of this node's consumer is an orphan. */
  get idle(): boolean {
    return this.#consumers.size === 0 && this.#ids.size === 0 && !this.#reading;
  }

  #stopReading(): void {
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#soon) clearTimeout(this.#soon);
    this.#retry = this.#soon = undefined;
    const reader = this.#reader;
    this.#reader = undefined;
    this.#cursor = '0';
    reader?.disconnect();
  }

  // ------------------------------------------------------------------ leaving

  #left(entry: Entry): void {
    const id = this.#ids.get(entry.storeId);
    if (id === undefined) return;
    this.#ids.delete(entry.storeId);
    this.#held.delete(id);
    if (this.#returning) {
      const record = encodeRecord(entry.message, entry.expiresAt, entry.priority);
      this.#returning.push({ id, record, deliveryCount: entry.deliveryCount });
    } else this.#ctx.ops.ack(this.#ctx.key, id);
  }

  /** No consumer left on this node: what it fetched goes back for the other nodes. */
  #giveBack(): void {
    this.#stopReading();
    const returning: Returned[] = [];
    this.#returning = returning;
    try {
      super.purge(undefined);
    } finally {
      this.#returning = undefined;
    }
    this.#ctx.ops.requeue(this.#ctx.key, returning).catch(this.#ctx.onError);
  }

  #giveBackRaw(reply: ReadReply): void {
    const entries = reply?.[0]?.[1] ?? [];
    const returning: Returned[] = [];
    for (const [id, fields] of entries) {
      const i = fields?.findIndex((f, j) => j % 2 === 0 && f.toString() === 'm') ?? -1;
      const record = i >= 0 ? fields?.[i + 1] : undefined;
      if (record) returning.push({ id: id.toString(), record, deliveryCount: 0 });
    }
    this.#ctx.ops.requeue(this.#ctx.key, returning).catch(this.#ctx.onError);
  }
}
