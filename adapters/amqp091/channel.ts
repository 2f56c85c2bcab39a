/**
 * One AMQP 0-9-1 channel (§2.2.5): open/close/flow, consumers with per-consumer and per-channel
 * (`global`) prefetch, deliveries and their tags, acks, basic.get, recover, and dispatch of the
 * exchange/queue/publish methods to their handlers.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer, ConsumerSink, Delivery, Permission, Resource } from '../../src/spi.js';
import { AmqpError, REPLY } from './amqp-error.js';
import { DeliverFrame, encodeContent, encodedMethod } from './codec/content.js';
import {
  encodeMethod,
  METHOD,
  splitMethodId,
  type ClientMethod,
  type ServerMethodName,
  type ServerMethods,
} from './codec/defs.js';
import type { Amqp091Connection } from './connection.js';
import { onExchangeMethod, onQueueMethod } from './handlers/topology.js';
import { rawPropertiesOf } from './message-codec.js';
import { DIRECT_REPLY_TO } from './direct-reply-to.js';
import { Publisher } from './publisher.js';
import { settleQuietly, type Outcome } from './settle.js';

interface ConsumerState {
  readonly tag: string;
  /** `tag` as shortstr bytes for basic.deliver. */
  readonly wireTag: Buffer;
  readonly noAck: boolean;
  consumer: Consumer | undefined;
  /** consume-ok is out: deliveries may flow. */
  ready: boolean;
  /** We returned false from the sink: resume() once there is room. */
  paused: boolean;
  /** Direct reply-to: the server-named queue standing in for `amq.rabbitmq.reply-to`. */
  readonly replyQueue: string | undefined;
}

export interface Unacked {
  readonly delivery: Delivery;
  /** Counted against the channel's `global` prefetch (consumer deliveries, not basic.get). */
  readonly counted: boolean;
}

export class Amqp091Channel {
  readonly conn: Amqp091Connection;
  readonly id: number;
  /** We sent channel.close and wait for close-ok (§2.2.5: ignore everything else). */
  closing = false;
  #released = false;
  /** The queue name an empty queue argument stands for (§1.7.2.1 queue.declare). */
  lastQueue = '';
  #consumerPrefetch = 0;
  #globalPrefetch = 0;
  #flowActive = true;
  readonly #consumers = new Map<string, ConsumerState>();
  /** Deliveries accepted from the core that may not be sent yet (flow, global prefetch,
   * before consume-ok). */
  #held: [ConsumerState, Delivery][] = [];
  #deliveryTag = 0;
  readonly #unacked = new Map<number, Unacked>();
  #countedUnacked = 0;
  readonly publisher: Publisher;
  /** Direct reply-to queue of this channel, set by the reply consumer. */
  replyQueue: string | undefined;

  constructor(conn: Amqp091Connection, id: number) {
    this.conn = conn;
    this.id = id;
    this.publisher = new Publisher(this);
  }

  get vhost() {
    const v = this.conn.vhost;
    if (!v) throw new AmqpError(REPLY.INTERNAL_ERROR, 'channel without vhost');
    return v;
  }

  authorize(perm: Permission, kind: Resource['kind'], name: string, routingKey?: string): void {
    const principal = this.conn.principal;
    if (!principal) throw new AmqpError(REPLY.ACCESS_REFUSED, 'not authenticated');
    this.conn.ctx.authz.check(principal, perm, {
      vhost: this.conn.vhostName,
      kind,
      name,
      ...(routingKey === undefined ? {} : { routingKey }),
    });
  }

  /** An empty queue name means the last queue declared on this channel. */
  queueName(name: string): string {
    if (name !== '') return name;
    if (this.lastQueue === '') throw new AmqpError(REPLY.NOT_FOUND, 'no previously declared queue');
    return this.lastQueue;
  }

  reply<N extends ServerMethodName>(name: N, fields: ServerMethods[N]): void {
    this.conn.sendMethod(this.id, name, fields);
  }

  /** Frames that arrived while a reply waits for the store (see `replyWhenStored`). */
  #waiting: (() => void)[] | undefined;

  /** Runs a frame's work now, or after the reply the channel waits on, so replies keep the
   * order of their requests. */
  run(fn: () => void): void {
    if (this.#waiting) this.#waiting.push(fn);
    else fn();
  }

  /** A topology change's -ok goes out only once the store has committed it, so a crash after
   * the -ok cannot lose a durable queue, exchange or binding (as RabbitMQ); the channel's later
   * frames wait behind it. */
  replyWhenStored<N extends ServerMethodName>(
    name: N,
    fields: ServerMethods[N],
    methodId: number,
  ): void {
    this.#after(this.vhost.sync(), methodId, () => {
      this.reply(name, fields);
    });
  }

  /** Runs `then` once `ready` resolves (a channel error if it rejects); the channel's later
   * frames wait behind it. */
  #after(ready: Promise<void>, methodId: number, then: () => void): void {
    const waiting: (() => void)[] = [];
    this.#waiting = waiting;
    void ready
      .then(() => {
        if (!this.#released) then();
      })
      .catch((err: unknown) => {
        this.conn.channelError(this, err, methodId);
      })
      .finally(() => {
        this.#waiting = undefined;
        this.#replay(waiting);
      });
  }

  #replay(frames: readonly (() => void)[]): void {
    for (const [i, fn] of frames.entries()) {
      if (this.#released) return;
      // A replayed frame may wait for the store again: the rest queue up behind it.
      if (this.#waiting) {
        this.#waiting.push(...frames.slice(i));
        return;
      }
      fn();
    }
  }

  // ------------------------------------------------------------------ frames

  onMethod(m: ClientMethod): void {
    if (this.closing) {
      if (m.name === 'ChannelCloseOk') this.#finishClose();
      else if (m.name === 'ChannelClose') {
        this.reply('ChannelCloseOk', {});
        this.#finishClose();
      }
      return;
    }
    this.publisher.assertNoContentPending(m.id);
    switch (m.name) {
      case 'ChannelClose':
        this.release();
        this.reply('ChannelCloseOk', {});
        this.conn.channelClosed(this.id);
        return;
      case 'ChannelCloseOk':
        return;
      case 'ChannelFlow':
        this.#flowActive = m.fields.active;
        this.reply('ChannelFlowOk', { active: m.fields.active });
        this.pump();
        return;
      case 'ChannelFlowOk':
        return;
      case 'AccessRequest':
        this.reply('AccessRequestOk', { ticket: 1 });
        return;
      case 'ExchangeDeclare':
      case 'ExchangeDelete':
      case 'ExchangeBind':
      case 'ExchangeUnbind':
        onExchangeMethod(this, m);
        return;
      case 'QueueDeclare':
      case 'QueueBind':
      case 'QueueUnbind':
      case 'QueuePurge':
      case 'QueueDelete':
        onQueueMethod(this, m);
        return;
      case 'BasicPublish':
        this.publisher.onPublish(m.fields);
        return;
      case 'BasicQos':
        this.#onQos(m.fields);
        return;
      case 'BasicConsume':
        this.#onConsume(m.fields);
        return;
      case 'BasicCancel':
        this.#onCancel(m.fields.consumerTag, m.fields.nowait);
        return;
      case 'BasicCancelOk':
        return;
      case 'BasicGet':
        this.#onGet(m.fields.queue, m.fields.noAck);
        return;
      case 'BasicAck':
        this.#settle(m.fields.deliveryTag, m.fields.multiple, 'ack');
        return;
      case 'BasicNack':
        this.#settle(
          m.fields.deliveryTag,
          m.fields.multiple,
          m.fields.requeue ? 'requeue' : 'reject',
        );
        return;
      case 'BasicReject':
        this.#settle(m.fields.deliveryTag, false, m.fields.requeue ? 'requeue' : 'reject');
        return;
      case 'BasicRecover':
      case 'BasicRecoverAsync':
        this.#recover();
        if (m.name === 'BasicRecover') this.reply('BasicRecoverOk', {});
        return;
      case 'ConfirmSelect':
      case 'TxSelect':
      case 'TxCommit':
      case 'TxRollback':
        this.publisher.onModeMethod(m);
        return;
      default:
        throw new AmqpError(REPLY.COMMAND_INVALID, `${m.name} is not allowed on a channel`, {
          methodId: m.id,
        });
    }
  }

  onContentHeader(payload: Buffer): void {
    if (this.closing) return;
    this.publisher.onContentHeader(payload);
  }

  onContentBody(payload: Buffer): void {
    if (this.closing) return;
    this.publisher.onContentBody(payload);
  }

  // ------------------------------------------------------------------ close

  /** Soft error (§1.2: 403-406): channel.close, then wait for close-ok. */
  closeWithError(err: AmqpError): void {
    if (this.closing) return;
    this.conn.log.debug(
      { channel: this.id, replyCode: err.replyCode, reason: err.message },
      'closing channel',
    );
    this.release();
    this.closing = true;
    const { classId, methodId } = splitMethodId(err.methodId);
    this.reply('ChannelClose', {
      replyCode: err.replyCode,
      replyText: err.replyText,
      classId,
      methodId,
    });
  }

  #finishClose(): void {
    this.conn.channelClosed(this.id);
  }

  /** Give back everything this channel holds: consumers stop, unacked messages are requeued
   * in delivery order (§1.8.3.13: unacknowledged messages are redelivered). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.publisher.release();
    for (const cs of this.#consumers.values()) this.#stopConsumer(cs);
    this.#consumers.clear();
    const unacked = [...this.#unacked.values()];
    this.#unacked.clear();
    this.#countedUnacked = 0;
    for (const u of unacked) settleQuietly(u.delivery, 'requeue');
  }

  #stopConsumer(cs: ConsumerState): void {
    cs.consumer?.cancel(false);
    // Held deliveries were never sent: back to the queue (no-ack ones are already settled).
    const keep: [ConsumerState, Delivery][] = [];
    for (const h of this.#held) {
      if (h[0] !== cs) keep.push(h);
      else if (!cs.noAck) settleQuietly(h[1], 'requeue');
    }
    this.#held = keep;
    if (cs.replyQueue !== undefined) {
      if (this.replyQueue === cs.replyQueue) this.replyQueue = undefined;
      try {
        this.vhost.deleteQueue(cs.replyQueue, { connectionId: this.conn.id });
      } catch {
        // already gone
      }
    }
  }

  // ------------------------------------------------------------------ consumers

  #onQos(f: { prefetchSize: number; prefetchCount: number; global: boolean }): void {
    if (f.prefetchSize !== 0) {
      throw new AmqpError(REPLY.NOT_IMPLEMENTED, 'prefetch_size!=0 is not supported', {
        methodId: METHOD.BasicQos,
      });
    }
    // RabbitMQ semantics: global=false applies to consumers started afterwards, global=true
    // limits the channel as a whole.
    if (f.global) this.#globalPrefetch = f.prefetchCount;
    else this.#consumerPrefetch = f.prefetchCount;
    this.reply('BasicQosOk', {});
    this.pump();
  }

  #onConsume(f: {
    queue: string;
    consumerTag: string;
    noAck: boolean;
    exclusive: boolean;
    nowait: boolean;
  }): void {
    const tag = f.consumerTag === '' ? generatedTag() : f.consumerTag;
    if (this.#consumers.has(tag)) {
      throw new AmqpError(REPLY.NOT_ALLOWED, `attempt to reuse consumer tag '${tag}'`);
    }
    if (this.#consumers.size >= this.conn.options.maxConsumersPerChannel) {
      throw new AmqpError(
        REPLY.NOT_ALLOWED,
        `reached maximum (${this.conn.options.maxConsumersPerChannel}) of consumers per channel`,
      );
    }
    let queue: string;
    let replyQueue: string | undefined;
    if (f.queue === DIRECT_REPLY_TO) {
      if (!f.noAck)
        throw new AmqpError(REPLY.PRECONDITION_FAILED, 'reply consumer cannot acknowledge');
      if (this.replyQueue !== undefined)
        throw new AmqpError(REPLY.PRECONDITION_FAILED, 'reply consumer already set');
      // A server-named exclusive queue stands in for the pseudo-queue, so replies published
      // by any protocol to the default exchange reach it.
      replyQueue = this.vhost.declareQueue(
        { name: '', exclusiveOwner: this.conn.id },
        { connectionId: this.conn.id },
      ).name;
      queue = replyQueue;
    } else {
      queue = this.queueName(f.queue);
      this.authorize('read', 'queue', queue);
    }
    const cs: ConsumerState = {
      tag,
      wireTag: DeliverFrame.tag(tag),
      noAck: f.noAck,
      consumer: undefined,
      ready: false,
      paused: false,
      replyQueue,
    };
    const sink: ConsumerSink = {
      deliver: (d) => this.#onDelivery(cs, d),
      cancelled: () => {
        this.#onServerCancel(cs);
      },
    };
    try {
      cs.consumer = this.vhost.consume(queue, sink, {
        // Consumer tags are unique per channel in AMQP 0-9-1 (§1.8.3.3), the core's per queue:
        // two clients may both call their consumer 'worker' on one queue.
        tag: `${this.conn.id}/${this.id}/${tag}`,
        noAck: f.noAck,
        prefetch: this.#consumerPrefetch,
        exclusive: f.exclusive,
        connectionId: this.conn.id,
      });
    } catch (err) {
      if (replyQueue !== undefined)
        this.vhost.deleteQueue(replyQueue, { connectionId: this.conn.id });
      throw err;
    }
    this.#consumers.set(tag, cs);
    if (replyQueue !== undefined) this.replyQueue = replyQueue;
    if (!f.nowait) this.reply('BasicConsumeOk', { consumerTag: tag });
    cs.ready = true;
    this.pump();
  }

  #onCancel(tag: string, nowait: boolean): void {
    const cs = this.#consumers.get(tag);
    if (cs) {
      this.#consumers.delete(tag);
      this.#stopConsumer(cs);
    }
    if (!nowait) this.reply('BasicCancelOk', { consumerTag: tag });
  }

  /** The queue went away (§1.8.3.4 server-sent basic.cancel, RabbitMQ consumer_cancel_notify). */
  #onServerCancel(cs: ConsumerState): void {
    if (this.#consumers.get(cs.tag) !== cs) return;
    this.#consumers.delete(cs.tag);
    cs.consumer = undefined;
    this.#held = this.#held.filter((h) => h[0] !== cs);
    if (!this.closing && !this.#released)
      this.reply('BasicCancel', { consumerTag: cs.tag, nowait: true });
  }

  #canSend(): boolean {
    return (
      this.#flowActive &&
      (this.#globalPrefetch === 0 || this.#countedUnacked < this.#globalPrefetch)
    );
  }

  #onDelivery(cs: ConsumerState, d: Delivery): boolean {
    if (!cs.ready || this.#held.length > 0 || !this.#canSend()) {
      this.#held.push([cs, d]);
      cs.paused = true;
      return false;
    }
    this.#sendDelivery(cs, d);
    if (!this.conn.writable || !this.#canSend()) {
      cs.paused = true;
      return false;
    }
    return true;
  }

  #sendDelivery(cs: ConsumerState, d: Delivery): void {
    const tag = ++this.#deliveryTag;
    if (!cs.noAck) {
      this.#unacked.set(tag, { delivery: d, counted: true });
      this.#countedUnacked++;
    }
    const m = d.message;
    const out: Buffer[] = [];
    const frame = new DeliverFrame(
      this.id,
      cs.wireTag,
      tag,
      d.redelivered,
      m.exchange,
      m.routingKey,
    );
    encodeContent(this.id, frame, rawPropertiesOf(m), m.body, this.conn.frameMax, out);
    this.conn.sendAll(out);
    this.conn.countOut();
  }

  /** Send held deliveries while allowed, then let paused consumers go on. Called on ack, qos,
   * flow, consume-ok and socket drain. */
  pump(): void {
    if (this.closing || this.#released) return;
    let i = 0;
    while (i < this.#held.length && this.#canSend()) {
      const [cs, d] = this.#held[i++] as [ConsumerState, Delivery];
      this.#sendDelivery(cs, d);
    }
    if (i > 0) this.#held = this.#held.slice(i);
    if (this.#held.length > 0 || !this.#canSend() || !this.conn.writable) return;
    for (const cs of this.#consumers.values()) {
      if (cs.paused && cs.ready) {
        cs.paused = false;
        cs.consumer?.resume();
      }
    }
  }

  #onGet(queueArg: string, noAck: boolean): void {
    const queue = this.queueName(queueArg);
    this.authorize('read', 'queue', queue);
    // A shared queue (cluster) may fetch from Redis first; later frames wait behind the reply.
    const fetching = this.vhost.fetchForGet(queue, { connectionId: this.conn.id });
    if (fetching) {
      this.#after(fetching, METHOD.BasicGet, () => {
        this.#getNow(queue, noAck);
      });
    } else this.#getNow(queue, noAck);
  }

  #getNow(queue: string, noAck: boolean): void {
    const res = this.vhost.get(queue, { noAck, connectionId: this.conn.id });
    if (!res) {
      this.reply('BasicGetEmpty', {});
      return;
    }
    const tag = ++this.#deliveryTag;
    const d = res.delivery;
    if (!noAck) this.#unacked.set(tag, { delivery: d, counted: false });
    const m = d.message;
    const out: Buffer[] = [];
    const method = encodeMethod('BasicGetOk', this.id, {
      deliveryTag: tag,
      redelivered: d.redelivered,
      exchange: m.exchange,
      routingKey: m.routingKey,
      messageCount: res.messageCount,
    });
    encodeContent(
      this.id,
      encodedMethod(method),
      rawPropertiesOf(m),
      m.body,
      this.conn.frameMax,
      out,
    );
    this.conn.sendAll(out);
    this.conn.countOut();
  }

  // ------------------------------------------------------------------ acks

  /** Removes and returns the deliveries `tag`/`multiple` name (§1.8.3.13 basic.ack: tag 0 with
   * multiple = all outstanding). Unknown tags are 406 PRECONDITION_FAILED, as in RabbitMQ. */
  takeUnacked(tag: number, multiple: boolean): [number, Unacked][] {
    const out: [number, Unacked][] = [];
    if (multiple) {
      for (const entry of this.#unacked) {
        if (tag !== 0 && entry[0] > tag) break;
        out.push(entry);
      }
      if (out.length === 0 && tag !== 0)
        throw new AmqpError(REPLY.PRECONDITION_FAILED, `unknown delivery tag ${tag}`);
    } else {
      const u = this.#unacked.get(tag);
      if (!u) throw new AmqpError(REPLY.PRECONDITION_FAILED, `unknown delivery tag ${tag}`);
      out.push([tag, u]);
    }
    for (const [t, u] of out) {
      this.#unacked.delete(t);
      if (u.counted) this.#countedUnacked--;
    }
    return out;
  }

  /** Puts deliveries taken by a rolled-back transaction back under their tags. */
  restoreUnacked(entries: readonly [number, Unacked][]): void {
    const all = [...this.#unacked, ...entries];
    all.sort((a, b) => a[0] - b[0]);
    this.#unacked.clear();
    for (const [t, u] of all) {
      this.#unacked.set(t, u);
    }
    for (const [, u] of entries) if (u.counted) this.#countedUnacked++;
  }

  #settle(tag: number, multiple: boolean, outcome: Outcome): void {
    if (this.publisher.inTransaction) {
      this.publisher.deferSettle(tag, multiple, outcome);
      return;
    }
    for (const [, u] of this.takeUnacked(tag, multiple)) settleQuietly(u.delivery, outcome);
    this.pump();
  }

  /** basic.recover: every unacked message goes back to its queue (requeue=false is treated
   * as requeue=true, as RabbitMQ does). */
  #recover(): void {
    for (const [, u] of this.takeUnacked(0, true)) settleQuietly(u.delivery, 'requeue');
    this.pump();
  }
}

function generatedTag(): string {
  return `amq.ctag-${randomBytes(12).toString('base64url')}`;
}
