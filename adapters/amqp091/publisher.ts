/**
 * The publishing side of a channel: basic.publish content assembly (method, content header,
 * body frames: AMQP 0-9-1 §4.2.6), mandatory returns (312 NO_ROUTE), publisher confirms
 * (RabbitMQ confirm.select extension: ack only once every queue has the message, after the
 * store commit when there is one) and transactions (tx.select/commit/rollback).
 */
import type { Message, MessageProperties } from '../../src/spi.js';
import { AmqpError, REPLY } from './amqp-error.js';
import {
  CLASS_BASIC,
  decodeContentHeader,
  decodeProperties,
  encodeContent,
  encodedMethod,
} from './codec/content.js';
import { encodeMethod, METHOD, type ClientMethod } from './codec/defs.js';
import type { Amqp091Channel, Unacked } from './channel.js';
import { DIRECT_REPLY_TO } from './direct-reply-to.js';
import { settleQuietly, type Outcome } from './settle.js';
import { Amqp091Native, rawPropertiesOf } from './message-codec.js';

interface PendingContent {
  readonly exchange: string;
  readonly routingKey: string;
  readonly mandatory: boolean;
  bodySize: number;
  rawProperties: Buffer | undefined;
  properties: MessageProperties;
  headers: Message['headers'];
  readonly chunks: Buffer[];
  received: number;
}

interface TxSettle {
  readonly entries: [number, Unacked][];
  readonly outcome: Outcome;
}

export class Publisher {
  readonly #ch: Amqp091Channel;
  #content: PendingContent | undefined;
  #mode: 'none' | 'confirm' | 'tx' = 'none';
  /** Publish sequence number of the last publish in confirm mode (delivery tag of confirms). */
  #seq = 0;
  /** Confirm outcome per sequence number in order; undefined = not decided yet. */
  readonly #confirms = new Map<number, boolean | undefined>();
  #confirmFlushScheduled = false;
  #txPublishes: { message: Message; mandatory: boolean }[] = [];
  #txSettles: TxSettle[] = [];
  #released = false;

  constructor(ch: Amqp091Channel) {
    this.#ch = ch;
  }

  get inTransaction(): boolean {
    return this.#mode === 'tx';
  }

  /** §4.2.6: the frames of one content may not be interleaved with methods on its channel. */
  assertNoContentPending(methodId: number): void {
    if (this.#content) {
      throw new AmqpError(
        REPLY.UNEXPECTED_FRAME,
        'expected content frames for basic.publish, got a method',
        {
          scope: 'connection',
          methodId,
        },
      );
    }
  }

  onPublish(f: {
    exchange: string;
    routingKey: string;
    mandatory: boolean;
    immediate: boolean;
  }): void {
    if (f.immediate) {
      // RabbitMQ dropped `immediate` in 3.0 the same way.
      throw new AmqpError(REPLY.NOT_IMPLEMENTED, 'immediate=true', {
        methodId: METHOD.BasicPublish,
      });
    }
    this.#content = {
      exchange: f.exchange,
      routingKey: f.routingKey,
      mandatory: f.mandatory,
      bodySize: -1,
      rawProperties: undefined,
      properties: {},
      headers: {},
      chunks: [],
      received: 0,
    };
  }

  onContentHeader(payload: Buffer): void {
    const c = this.#content;
    if (!c || c.rawProperties)
      throw new AmqpError(REPLY.UNEXPECTED_FRAME, 'unexpected content header frame');
    let decoded;
    let header;
    try {
      header = decodeContentHeader(payload);
      decoded = decodeProperties(header.rawProperties);
    } catch (err) {
      throw new AmqpError(REPLY.FRAME_ERROR, 'cannot decode content header', { cause: err });
    }
    if (header.classId !== CLASS_BASIC) {
      throw new AmqpError(
        REPLY.UNEXPECTED_FRAME,
        `content header for class ${header.classId}, expected ${CLASS_BASIC}`,
      );
    }
    const max = this.#ch.conn.options.maxMessageSize;
    if (header.bodySize > max) {
      this.#content = undefined;
      throw new AmqpError(
        REPLY.PRECONDITION_FAILED,
        `message size ${header.bodySize} is larger than configured max size ${max}`,
        {
          methodId: METHOD.BasicPublish,
        },
      );
    }
    c.bodySize = header.bodySize;
    c.rawProperties = Buffer.from(header.rawProperties);
    c.properties = decoded.properties;
    c.headers = decoded.headers;
    if (c.bodySize === 0) this.#complete(c, Buffer.alloc(0));
  }

  onContentBody(payload: Buffer): void {
    const c = this.#content;
    if (!c?.rawProperties)
      throw new AmqpError(REPLY.UNEXPECTED_FRAME, 'unexpected content body frame');
    c.received += payload.length;
    if (c.received > c.bodySize) {
      throw new AmqpError(
        REPLY.UNEXPECTED_FRAME,
        `content body exceeds the announced ${c.bodySize} bytes`,
      );
    }
    if (c.received < c.bodySize) {
      c.chunks.push(payload);
      return;
    }
    // Copy: the payload is a view of a socket chunk shared with other frames.
    const body =
      c.chunks.length === 0
        ? Buffer.from(payload)
        : Buffer.concat([...c.chunks, payload], c.bodySize);
    this.#complete(c, body);
  }

  #complete(c: PendingContent, body: Buffer): void {
    this.#content = undefined;
    const ch = this.#ch;
    const conn = ch.conn;
    const methodId = METHOD.BasicPublish;
    let properties = c.properties;
    let raw = c.rawProperties ?? Buffer.alloc(0);
    const { expiration, userId, replyTo } = properties;
    if (expiration !== undefined && !/^\d{1,15}$/.test(expiration)) {
      throw new AmqpError(REPLY.PRECONDITION_FAILED, `invalid expiration '${expiration}'`, {
        methodId,
      });
    }
    const user = conn.principal?.username;
    if (userId !== undefined && userId !== user) {
      throw new AmqpError(
        REPLY.PRECONDITION_FAILED,
        `user_id property set to '${userId}' but authenticated user was '${user ?? ''}'`,
        { methodId },
      );
    }
    if (replyTo === DIRECT_REPLY_TO) {
      if (ch.replyQueue === undefined) {
        throw new AmqpError(REPLY.PRECONDITION_FAILED, 'fast reply consumer does not exist', {
          methodId,
        });
      }
      properties = { ...properties, replyTo: ch.replyQueue };
      raw = Buffer.alloc(0);
    }
    ch.authorize('write', 'exchange', c.exchange, c.routingKey);
    const message: Message = {
      exchange: c.exchange,
      routingKey: c.routingKey,
      headers: c.headers,
      properties,
      body,
      origin: { protocol: 'amqp091', connectionId: conn.id },
      native: raw.length > 0 ? new Amqp091Native(raw, c.headers, properties) : undefined,
    };
    conn.countIn();
    conn.published();
    if (this.#mode === 'tx') {
      if (this.#txPublishes.length >= conn.options.maxPendingPerChannel) {
        throw new AmqpError(REPLY.PRECONDITION_FAILED, 'too many uncommitted publishes', {
          methodId,
        });
      }
      this.#txPublishes.push({ message, mandatory: c.mandatory });
      return;
    }
    const committed = this.#publish(message, c.mandatory);
    // Without confirms nobody waits for the store: a failure is only logged.
    committed?.catch((err: unknown) => {
      conn.log.warn({ err }, 'store commit failed for an unconfirmed publish');
    });
  }

  /** Routes one message; returns the store commit to wait for, if any. */
  #publish(message: Message, mandatory: boolean): Promise<void> | undefined {
    const seq = this.#mode === 'confirm' ? ++this.#seq : 0;
    const result = this.#ch.vhost.publish(message, { mandatory });
    if (result.status === 'unroutable' && mandatory) this.#sendReturn(message);
    if (seq === 0) return result.committed;
    if (result.status === 'refused') {
      // x-overflow reject-publish: the publisher learns through basic.nack.
      this.#confirm(seq, false);
    } else if (result.committed) {
      this.#confirms.set(seq, undefined);
      void result.committed.then(
        () => {
          this.#confirm(seq, true);
        },
        () => {
          this.#confirm(seq, false);
        },
      );
    } else {
      this.#confirm(seq, true);
    }
    return result.committed;
  }

  #sendReturn(message: Message): void {
    const ch = this.#ch;
    const out: Buffer[] = [];
    const method = encodeMethod('BasicReturn', ch.id, {
      replyCode: REPLY.NO_ROUTE,
      replyText: 'NO_ROUTE',
      exchange: message.exchange,
      routingKey: message.routingKey,
    });
    encodeContent(
      ch.id,
      encodedMethod(method),
      rawPropertiesOf(message),
      message.body,
      ch.conn.frameMax,
      out,
    );
    ch.conn.sendAll(out);
  }

  #confirm(seq: number, ok: boolean): void {
    if (this.#released) return;
    this.#confirms.set(seq, ok);
    if (this.#confirmFlushScheduled) return;
    this.#confirmFlushScheduled = true;
    queueMicrotask(() => {
      this.#flushConfirms();
    });
  }

  /** Confirms go out in order: the decided prefix as one `multiple` ack, nacks singly. */
  #flushConfirms(): void {
    this.#confirmFlushScheduled = false;
    if (this.#released) return;
    let lastAck = 0;
    for (const [seq, ok] of this.#confirms) {
      if (ok === undefined) break;
      this.#confirms.delete(seq);
      if (ok) {
        lastAck = seq;
        continue;
      }
      if (lastAck !== 0) this.#ch.reply('BasicAck', { deliveryTag: lastAck, multiple: true });
      lastAck = 0;
      this.#ch.reply('BasicNack', { deliveryTag: seq, multiple: false, requeue: false });
    }
    if (lastAck !== 0) this.#ch.reply('BasicAck', { deliveryTag: lastAck, multiple: true });
  }

  // ------------------------------------------------------------------ confirm / tx modes

  onModeMethod(m: ClientMethod): void {
    const ch = this.#ch;
    switch (m.name) {
      case 'ConfirmSelect':
        if (this.#mode === 'tx') {
          throw new AmqpError(REPLY.PRECONDITION_FAILED, 'cannot switch from tx to confirm mode', {
            methodId: m.id,
          });
        }
        this.#mode = 'confirm';
        if (!m.fields.nowait) ch.reply('ConfirmSelectOk', {});
        return;
      case 'TxSelect':
        if (this.#mode === 'confirm') {
          throw new AmqpError(REPLY.PRECONDITION_FAILED, 'cannot switch from confirm to tx mode', {
            methodId: m.id,
          });
        }
        this.#mode = 'tx';
        ch.reply('TxSelectOk', {});
        return;
      case 'TxCommit':
        this.#assertTx(m.id);
        this.#commit(m.id);
        return;
      case 'TxRollback':
        this.#assertTx(m.id);
        this.#txPublishes = [];
        for (const s of this.#txSettles.splice(0)) ch.restoreUnacked(s.entries);
        ch.reply('TxRollbackOk', {});
        return;
      default:
        throw new AmqpError(REPLY.COMMAND_INVALID, `unexpected ${m.name}`, { methodId: m.id });
    }
  }

  #assertTx(methodId: number): void {
    if (this.#mode !== 'tx')
      throw new AmqpError(REPLY.PRECONDITION_FAILED, 'channel is not transactional', { methodId });
  }

  deferSettle(tag: number, multiple: boolean, outcome: Outcome): void {
    this.#txSettles.push({ entries: this.#ch.takeUnacked(tag, multiple), outcome });
  }

  /** tx.commit: publish and settle what the transaction holds, answer once stored. */
  #commit(methodId: number): void {
    const ch = this.#ch;
    const publishes = this.#txPublishes;
    const settles = this.#txSettles;
    this.#txPublishes = [];
    this.#txSettles = [];
    const commits: Promise<void>[] = [];
    for (const p of publishes) {
      const committed = this.#publish(p.message, p.mandatory);
      if (committed) commits.push(committed);
    }
    for (const s of settles) for (const [, u] of s.entries) settleQuietly(u.delivery, s.outcome);
    ch.pump();
    if (commits.length === 0) {
      ch.reply('TxCommitOk', {});
      return;
    }
    Promise.all(commits).then(
      () => {
        if (!this.#released) ch.reply('TxCommitOk', {});
      },
      (err: unknown) => {
        if (!this.#released) ch.conn.channelError(ch, err, methodId);
      },
    );
  }

  /** The channel is going: drop partial content and uncommitted work. */
  release(): void {
    this.#released = true;
    this.#content = undefined;
    this.#txPublishes = [];
    for (const s of this.#txSettles.splice(0)) {
      for (const [, u] of s.entries) settleQuietly(u.delivery, 'requeue');
    }
    this.#confirms.clear();
  }
}
