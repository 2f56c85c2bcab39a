import { randomBytes } from 'node:crypto';
import { BrokerError } from '../errors.js';
import type {
  Arguments,
  ConsumeOptions,
  ConsumerSink,
  GetResult,
  Message,
  QueueInfo,
} from '../../spi.js';
import { QueueConsumer, type ConsumerHost } from './consumer.js';
import { QueueDelivery, type SettleTarget } from './delivery.js';
import { expiresAtOf, priorityOf, type QueueArgs } from './queue-args.js';
import { ReadyList, type Entry } from './ready-list.js';

export type DeathReason = 'rejected' | 'expired' | 'maxlen';

/** What a queue needs from its virtual host. */
export interface QueueHooks {
  deadLetter(queue: Queue, message: Message, reason: DeathReason): void;
  /** The queue decided to go (auto-delete, x-expires). */
  expire(queue: Queue): void;
  /** Persistence of durable messages; absent = nothing is stored. */
  readonly persistence?: QueuePersistence | undefined;
}

/** The store operations a durable queue performs, in the order it performs them. */
export interface QueuePersistence {
  nextId(): number;
  /** Resolves once the message is durable. */
  append(queue: Queue, entry: Entry): Promise<void>;
  remove(queue: Queue, entry: Entry): void;
  delivered(queue: Queue, entry: Entry): void;
  /** The queue's `unusedSince` changed (x-expires). */
  usageChanged(queue: Queue): void;
}

export interface EnqueueResult {
  readonly outcome: EnqueueOutcome;
  /** Set when the message had to be stored. */
  readonly committed?: Promise<void> | undefined;
}

export interface QueueOptions {
  readonly name: string;
  readonly durable: boolean;
  readonly exclusiveOwner: string | undefined;
  readonly autoDelete: boolean;
  readonly args: QueueArgs;
  /** The arguments as declared, kept for the store and for equivalence messages. */
  readonly rawArgs: Arguments;
  readonly maxConsumers: number;
  /** Restored from the store: x-expires counts from here rather than from now. */
  readonly unusedSince?: number | undefined;
}

/** A newer `unusedSince` is written at most this often (a polling basic.get touches the queue
 * each time); after a restart the queue may expire up to this much early. */
const UNUSED_WRITE_INTERVAL_MS = 1000;

export type EnqueueOutcome = 'queued' | 'refused';
const QUEUED: EnqueueResult = { outcome: 'queued' };
const REFUSED: EnqueueResult = { outcome: 'refused' };

/** Per-message overhead counted against x-max-length-bytes is the body only (as RabbitMQ). */
function entrySize(m: Message): number {
  return m.body.length;
}

/**
 * A classic queue: ready messages in order (per priority level), consumers served round-robin
 * within prefetch / credit / sink backpressure, unsettled deliveries tracked per consumer.
 */
export class Queue implements ConsumerHost, SettleTarget {
  readonly options: QueueOptions;
  readonly #hooks: QueueHooks;
  readonly #ready: ReadyList;
  readonly #consumers: QueueConsumer[] = [];
  #readyBytes = 0;
  #unacked = 0;
  #seq = 0;
  #rr = 0;
  #dispatching = false;
  #again = false;
  #hadConsumer = false;
  #deleted = false;
  #ttlTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  #unusedSince: number | undefined;

  constructor(options: QueueOptions, hooks: QueueHooks) {
    this.options = options;
    this.#hooks = hooks;
    this.#ready = new ReadyList(options.args.maxPriority);
    // A restored queue's expiry waits for `resumeExpiry`, once recovery has finished.
    if (options.unusedSince === undefined) this.touch();
    else this.#unusedSince = options.unusedSince;
  }

  /** After recovery: x-expires goes on counting from the stored `unusedSince`. */
  resumeExpiry(now = Date.now()): void {
    const { expires } = this.options.args;
    const since = this.#unusedSince;
    if (expires === undefined || this.#expiryTimer || this.#consumers.length > 0) return;
    if (since === undefined) this.touch(now);
    else this.#armExpiry(Math.max(0, since + expires - now));
  }

  /** Since when the queue has had no consumer (tracked only with x-expires). */
  get unusedSince(): number | undefined {
    return this.#unusedSince;
  }

  get name(): string {
    return this.options.name;
  }

  get messageCount(): number {
    return this.#ready.length;
  }

  get consumerCount(): number {
    return this.#consumers.length;
  }

  /** Delivered and not yet settled. */
  get unackedCount(): number {
    return this.#unacked;
  }

  /** Running totals for the management API and metrics. */
  readonly stats = { published: 0, delivered: 0, redelivered: 0, acked: 0 };

  get deleted(): boolean {
    return this.#deleted;
  }

  /** Survives a restart: durable and not tied to one connection. */
  get isDurable(): boolean {
    return this.options.durable && this.options.exclusiveOwner === undefined;
  }

  info(): QueueInfo {
    return { name: this.name, messageCount: this.messageCount, consumerCount: this.consumerCount };
  }

  // ------------------------------------------------------------------ enqueue

  enqueue(message: Message, now = Date.now()): EnqueueResult {
    const { args } = this.options;
    const size = entrySize(message);
    if (this.#wouldOverflow(size)) {
      if (args.overflow !== 'drop-head') {
        if (args.overflow === 'reject-publish-dlx') this.#hooks.deadLetter(this, message, 'maxlen');
        return REFUSED;
      }
    }
    const persistence =
      this.isDurable && message.properties.persistent ? this.#hooks.persistence : undefined;
    const entry: Entry = {
      seq: this.#seq++,
      message,
      size,
      expiresAt: expiresAtOf(args, message, now),
      priority: priorityOf(args, message),
      deliveryCount: 0,
      storeId: persistence ? persistence.nextId() : 0,
    };
    const committed = persistence?.append(this, entry);
    this.stats.published++;
    this.#pushReady(entry);
    this.#enforceMaxLength();
    this.dispatch();
    return committed ? { outcome: 'queued', committed } : QUEUED;
  }

  /** Recovery: put back a message read from the store, without storing it again. */
  restore(entry: Entry): void {
    this.#seq = Math.max(this.#seq, entry.seq + 1);
    this.#pushReady(entry);
  }

  /** An entry leaves the queue for good: dead-letter it if there is a reason, unstore it. */
  #discard(entry: Entry, reason: DeathReason | undefined): void {
    if (reason) this.#hooks.deadLetter(this, entry.message, reason);
    if (entry.storeId !== 0) this.#hooks.persistence?.remove(this, entry);
  }

  #wouldOverflow(size: number): boolean {
    const { maxLength, maxLengthBytes } = this.options.args;
    return (
      (maxLength !== undefined && this.#ready.length + 1 > maxLength) ||
      (maxLengthBytes !== undefined && this.#readyBytes + size > maxLengthBytes)
    );
  }

  /** drop-head: the oldest ready messages make room [RabbitMQ maxlength]. */
  #enforceMaxLength(): void {
    const { maxLength, maxLengthBytes } = this.options.args;
    while (
      (maxLength !== undefined && this.#ready.length > maxLength) ||
      (maxLengthBytes !== undefined && this.#readyBytes > maxLengthBytes)
    ) {
      const dropped = this.#shiftReady();
      if (!dropped) break;
      this.#discard(dropped, 'maxlen');
    }
  }

  #pushReady(e: Entry): void {
    this.#ready.push(e);
    this.#readyBytes += e.size;
  }

  #shiftReady(): Entry | undefined {
    const e = this.#ready.shift();
    if (e) this.#readyBytes -= e.size;
    return e;
  }

  #requeue(e: Entry): void {
    this.#ready.requeue(e);
    this.#readyBytes += e.size;
  }

  // ------------------------------------------------------------------ dispatch

  /** Hand ready messages to consumers that have room. Re-entrant calls (a sink that settles
   * synchronously) fold into the running loop. */
  dispatch(): void {
    if (this.#deleted) return;
    if (this.#dispatching) {
      this.#again = true;
      return;
    }
    this.#dispatching = true;
    try {
      do this.#dispatchLoop(Date.now());
      while (this.#takeAgain());
    } finally {
      this.#dispatching = false;
    }
    this.#expireHead(Date.now());
  }

  /** Whether a re-entrant dispatch asked for another pass; clears the request. */
  #takeAgain(): boolean {
    const again = this.#again;
    this.#again = false;
    return again;
  }

  #dispatchLoop(now: number): void {
    while (this.#ready.length > 0) {
      const consumer = this.#nextConsumer();
      if (!consumer) return;
      const entry = this.#shiftReady() as Entry;
      if (entry.expiresAt !== 0 && entry.expiresAt < now) {
        this.#discard(entry, 'expired');
        continue;
      }
      consumer.took(this.#handOut(entry, consumer.noAck, consumer));
    }
  }

  /** Round-robin over consumers with room; with single-active-consumer only the first. */
  #nextConsumer(): QueueConsumer | undefined {
    const list = this.#consumers;
    if (list.length === 0) return undefined;
    if (this.options.args.singleActiveConsumer) {
      const first = list[0] as QueueConsumer;
      return first.canTake() ? first : undefined;
    }
    for (let i = 0; i < list.length; i++) {
      const idx = (this.#rr + i) % list.length;
      const c = list[idx] as QueueConsumer;
      if (c.canTake()) {
        this.#rr = idx + 1;
        return c;
      }
    }
    return undefined;
  }

  // ------------------------------------------------------------------ TTL

  /** Expired messages leave from the head (RabbitMQ semantics); a timer covers the next one. */
  #expireHead(now: number): void {
    if (this.#ttlTimer) {
      clearTimeout(this.#ttlTimer);
      this.#ttlTimer = undefined;
    }
    let head = this.#ready.peek();
    while (head && head.expiresAt !== 0 && head.expiresAt <= now) {
      this.#shiftReady();
      this.#discard(head, 'expired');
      head = this.#ready.peek();
    }
    if (head && head.expiresAt !== 0 && !this.#deleted) {
      this.#ttlTimer = setTimeout(() => {
        this.#ttlTimer = undefined;
        this.dispatch();
      }, head.expiresAt - now);
      this.#ttlTimer.unref();
    }
  }

  /** x-expires: the queue goes after this long unused (no consumers, no get, no redeclare). */
  touch(now = Date.now()): void {
    const { expires } = this.options.args;
    if (expires === undefined || this.#deleted) return;
    if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    if (this.#consumers.length > 0) {
      this.#setUnusedSince(undefined);
      return;
    }
    const since = this.#unusedSince;
    if (since === undefined || now - since >= UNUSED_WRITE_INTERVAL_MS) this.#setUnusedSince(now);
    this.#armExpiry(expires);
  }

  #armExpiry(ms: number): void {
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = undefined;
      this.#hooks.expire(this);
    }, ms);
    this.#expiryTimer.unref();
  }

  #setUnusedSince(since: number | undefined): void {
    if (since === this.#unusedSince) return;
    this.#unusedSince = since;
    this.#hooks.persistence?.usageChanged(this);
  }

  // ------------------------------------------------------------------ consumers

  consume(sink: ConsumerSink, opts: ConsumeOptions): QueueConsumer {
    this.#checkOwner(opts.connectionId);
    if (
      this.#consumers.some((c) => c.exclusive) ||
      (opts.exclusive && this.#consumers.length > 0)
    ) {
      throw new BrokerError(
        'GW_ERR_ACCESS_REFUSED',
        `queue '${this.name}' in use by an exclusive consumer or cannot be consumed exclusively`,
      );
    }
    if (this.#consumers.length >= this.options.maxConsumers) {
      throw new BrokerError('GW_ERR_RESOURCE_ERROR', `queue '${this.name}' has too many consumers`);
    }
    const tag = opts.tag ?? `amq.ctag-${randomBytes(12).toString('base64url')}`;
    if (this.#consumers.some((c) => c.tag === tag)) {
      throw new BrokerError(
        'GW_ERR_NOT_ALLOWED',
        `consumer tag '${tag}' already in use on '${this.name}'`,
      );
    }
    const consumer = new QueueConsumer(this, tag, sink, {
      noAck: opts.noAck ?? false,
      prefetch: opts.prefetch ?? 0,
      credit: opts.credit,
      exclusive: opts.exclusive ?? false,
      connectionId: opts.connectionId,
    });
    this.#consumers.push(consumer);
    this.#hadConsumer = true;
    this.touch();
    this.dispatch();
    return consumer;
  }

  removeConsumer(c: QueueConsumer, requeueUnsettled: boolean): void {
    const idx = this.#consumers.indexOf(c);
    if (idx >= 0) this.#consumers.splice(idx, 1);
    if (requeueUnsettled) this.#requeueAll(c);
    if (this.#consumers.length === 0 && this.#hadConsumer && this.options.autoDelete) {
      this.#hooks.expire(this);
      return;
    }
    this.touch();
    this.dispatch();
  }

  #requeueAll(c: QueueConsumer): void {
    for (const d of c.pending) {
      d.settled = true;
      if (this.#deleted) continue;
      this.#unacked--;
      this.#requeue(d.entry);
    }
    c.pending.clear();
  }

  #checkOwner(connectionId: string | undefined): void {
    const owner = this.options.exclusiveOwner;
    if (owner !== undefined && owner !== connectionId) {
      throw new BrokerError(
        'GW_ERR_RESOURCE_LOCKED',
        `cannot obtain exclusive access to locked queue '${this.name}'`,
      );
    }
  }

  checkAccess(connectionId: string | undefined): void {
    this.#checkOwner(connectionId);
  }

  // ------------------------------------------------------------------ get / settle

  /** A queue whose messages live elsewhere (cluster) fetches one before a `get`; here they are
   * all in memory. */
  fetchForGet(): Promise<void> | undefined {
    return undefined;
  }

  get(noAck: boolean, connectionId: string | undefined, now = Date.now()): GetResult | undefined {
    this.#checkOwner(connectionId);
    this.touch();
    this.#expireHead(now);
    const entry = this.#shiftReady();
    if (!entry) return undefined;
    return { delivery: this.#handOut(entry, noAck, undefined), messageCount: this.#ready.length };
  }

  /** A no-ack delivery leaves the queue at once; others are recorded as delivered so a restart
   * marks them redelivered. */
  #handOut(entry: Entry, noAck: boolean, consumer: QueueConsumer | undefined): QueueDelivery {
    const delivery = new QueueDelivery(this, entry, noAck, consumer);
    if (entry.deliveryCount > 0) this.stats.redelivered++;
    this.stats.delivered++;
    entry.deliveryCount++;
    if (!noAck) this.#unacked++;
    if (noAck) this.#discard(entry, undefined);
    else if (entry.storeId !== 0) this.#hooks.persistence?.delivered(this, entry);
    return delivery;
  }

  settle(d: QueueDelivery, outcome: 'ack' | 'requeue' | 'reject'): void {
    d.consumer?.pending.delete(d);
    if (this.#deleted) return;
    this.#unacked--;
    if (outcome === 'ack') this.stats.acked++;
    if (outcome === 'requeue') this.#requeue(d.entry);
    else this.#discard(d.entry, outcome === 'reject' ? 'rejected' : undefined);
    this.dispatch();
  }

  // ------------------------------------------------------------------ purge / delete

  purge(connectionId: string | undefined): number {
    this.#checkOwner(connectionId);
    const purged = this.#ready.clear();
    this.#readyBytes = 0;
    for (const e of purged) this.#discard(e, undefined);
    return purged.length;
  }

  /** Marks the queue deleted, cancels its consumers (server-side cancel) and stops timers. */
  markDeleted(reason: string): number {
    this.#deleted = true;
    if (this.#ttlTimer) clearTimeout(this.#ttlTimer);
    if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
    const count = this.#ready.length;
    this.#ready.clear();
    this.#readyBytes = 0;
    this.#unacked = 0;
    for (const c of this.#consumers.splice(0)) {
      c.active = false;
      c.pending.clear();
      c.sink.cancelled(reason);
    }
    return count;
  }
}
