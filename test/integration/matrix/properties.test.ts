/**
 * The matrix, properties and headers: one test per row of the property tables in
 * `docs/mapping.md`, named after the row. Each test publishes one message from one protocol
 * and checks what every receiving protocol sees (MQTT 3.1.1, AMQP 0-9-1, AMQP 1.0, STOMP over
 * TCP and over WebSocket), including what is dropped (`undefined` below = absent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Options } from 'amqplib';
import type { Client } from '@stomp/stompjs';
import type { MqttClient } from 'mqtt';
import rhea, { type Message as RheaMessage, type Sender } from 'rhea';
import type { TestGateway } from '../helpers/gateway.js';
import { hdr, waitFor } from '../helpers/stomp-clients.js';
import {
  Clients,
  PROTOCOLS,
  receiptId,
  receiptOf,
  sendAll,
  startMatrixGateway,
  subscribe,
  writtenAs,
  consumeQueue,
  type Got,
  type Proto,
  type Subscriber,
  type Topic,
} from './helpers.js';

type View = Record<string, unknown>;
type Family = 'mqtt' | 'amqp091' | 'amqp10' | 'stomp';
type Expect = Partial<Record<Family, View>>;

const familyOf = (p: Proto): Family => (p === 'stomp-tcp' || p === 'stomp-ws' ? 'stomp' : p);

/** What a receiver sees, flattened: AMQP 0-9-1 headers as `headers.<k>`, AMQP 1.0
 * application-properties as `ap.<k>` and message-annotations as `ma.<k>`. */
function view(g: Got): View {
  switch (g.proto) {
    case 'mqtt':
      return {
        qos: g.packet.qos,
        retain: g.packet.retain,
        dup: g.packet.dup,
        properties: g.packet.properties,
      };
    case 'amqp091': {
      const p = g.msg.properties;
      const out: View = {
        contentType: p.contentType,
        contentEncoding: p.contentEncoding,
        deliveryMode: p.deliveryMode,
        priority: p.priority,
        correlationId: p.correlationId,
        replyTo: p.replyTo,
        expiration: p.expiration,
        messageId: p.messageId,
        timestamp: p.timestamp,
        type: p.type,
        userId: p.userId,
        appId: p.appId,
        exchange: g.msg.fields.exchange,
      };
      const headers = (p.headers ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(headers)) out[`headers.${k}`] = v;
      return out;
    }
    case 'amqp10': {
      const m = g.msg;
      const created: unknown = m.creation_time;
      const user: unknown = m.user_id;
      const out: View = {
        durable: m.durable,
        priority: m.priority,
        ttl: m.ttl,
        message_id: m.message_id,
        correlation_id: m.correlation_id,
        reply_to: m.reply_to,
        content_type: m.content_type,
        content_encoding: m.content_encoding,
        creation_time: created instanceof Date ? created.getTime() : created,
        group_id: m.group_id,
        user_id: Buffer.isBuffer(user) ? user.toString('utf8') : user,
        subject: m.subject,
        body: typeof m.body === 'string' ? 'amqp-value string' : 'data',
      };
      const ap = (m.application_properties ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(ap)) out[`ap.${k}`] = v;
      const ma = (m.message_annotations ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(ma)) out[`ma.${k}`] = v;
      return out;
    }
    case 'stomp-tcp':
    case 'stomp-ws':
      return Object.fromEntries(Object.entries(g.msg.headers));
  }
}

/** Properties no one set must be absent everywhere (no invented values). */
const ABSENT: Record<Family, readonly string[]> = {
  mqtt: ['properties'],
  amqp091: [
    'contentType',
    'contentEncoding',
    'priority',
    'correlationId',
    'replyTo',
    'expiration',
    'messageId',
    'timestamp',
    'type',
    'userId',
    'appId',
  ],
  amqp10: [
    'priority',
    'ttl',
    'message_id',
    'correlation_id',
    'reply_to',
    'content_type',
    'content_encoding',
    'creation_time',
    'group_id',
    'user_id',
  ],
  stomp: [
    'content-type',
    'content-encoding',
    'priority',
    'correlation-id',
    'reply-to',
    'expiration',
    'amqp-message-id',
    'timestamp',
    'type',
    'user-id',
    'app-id',
  ],
};

let gw: TestGateway;
beforeAll(async () => {
  gw = await startMatrixGateway();
});
afterAll(async () => {
  await gw.stop();
});

/** Subscribers of every protocol on `props.<from>.#`, and a check of one message on all. */
function receivers(from: string): {
  readonly clients: Clients;
  setup(): Promise<void>;
  check(row: string, body: Buffer, expected: Expect): Promise<void>;
  topic(row: string): Topic;
} {
  const clients = new Clients();
  const subs: Subscriber[] = [];
  const slug = (row: string): string => row.replace(/[^a-z0-9]+/gi, '-');
  const topic = (row: string): Topic => ({
    amqp: `props.${from}.${slug(row)}`,
    mqtt: `props/${from}/${slug(row)}`,
  });
  return {
    clients,
    topic,
    async setup() {
      for (const proto of PROTOCOLS) {
        subs.push(
          await subscribe(clients, gw, proto, {
            amqp: `props.${from}.#`,
            mqtt: `props/${from}/#`,
          }),
        );
      }
    },
    async check(row, body, expected) {
      const t = topic(row);
      for (const sub of subs) {
        const where = writtenAs(sub.proto, t);
        const g = await sub.got.find((x) => x.topic === where, `${row} on ${sub.proto}`);
        expect(g.body.equals(body), `${sub.proto} body`).toBe(true);
        const v = view(g);
        const family = familyOf(sub.proto);
        // Where it was published: AMQP 0-9-1 `exchange`, AMQP 1.0 annotation `x-exchange`.
        const where0: Expect = {
          amqp091: { exchange: 'amq.topic' },
          amqp10: { 'ma.x-exchange': 'amq.topic' },
        };
        const want = { ...where0[family], ...expected[family] };
        for (const key of ABSENT[family]) {
          if (!(key in want)) expect(v[key], `${sub.proto} ${key}`).toBeUndefined();
        }
        for (const [key, value] of Object.entries(want)) {
          expect(v[key], `${sub.proto} ${key}`).toEqual(value);
        }
      }
    },
  };
}

/** `it.each` rows as [name, row], so the test is named after the row without quotes. */
function named<R extends { readonly name: string }>(rows: readonly R[]): (readonly [string, R])[] {
  return rows.map((row) => [row.name, row] as const);
}

interface Row<P> {
  readonly name: string;
  readonly publish: P;
  readonly expect: Expect;
}

// ---------------------------------------------------------------------------------------------
// From AMQP 0-9-1

const FROM_AMQP091: readonly Row<Options.Publish>[] = [
  {
    name: 'content type',
    publish: { contentType: 'application/json' },
    expect: {
      amqp091: { contentType: 'application/json' },
      amqp10: { content_type: 'application/json' },
      stomp: { 'content-type': 'application/json' },
    },
  },
  {
    name: 'content encoding',
    publish: { contentEncoding: 'gzip' },
    expect: {
      amqp091: { contentEncoding: 'gzip' },
      amqp10: { content_encoding: 'gzip' },
      stomp: { 'content-encoding': 'gzip' },
    },
  },
  {
    name: 'correlation id',
    publish: { correlationId: 'corr-1' },
    expect: {
      amqp091: { correlationId: 'corr-1' },
      amqp10: { correlation_id: 'corr-1' },
      stomp: { 'correlation-id': 'corr-1' },
    },
  },
  {
    name: 'reply-to',
    publish: { replyTo: 'replies-q' },
    expect: {
      amqp091: { replyTo: 'replies-q' },
      amqp10: { reply_to: '/queues/replies-q' },
      stomp: { 'reply-to': '/reply-queue/replies-q' },
    },
  },
  {
    name: 'message id',
    publish: { messageId: 'mid-1' },
    expect: {
      amqp091: { messageId: 'mid-1' },
      amqp10: { message_id: 'mid-1' },
      stomp: { 'amqp-message-id': 'mid-1' },
    },
  },
  {
    name: 'expiration',
    publish: { expiration: '60000' },
    expect: {
      amqp091: { expiration: '60000' },
      amqp10: { ttl: 60000 },
      stomp: { expiration: '60000' },
    },
  },
  {
    name: 'priority',
    publish: { priority: 7 },
    expect: { amqp091: { priority: 7 }, amqp10: { priority: 7 }, stomp: { priority: '7' } },
  },
  {
    name: 'persistent (delivery-mode 2)',
    publish: { persistent: true },
    expect: {
      mqtt: { qos: 1 },
      amqp091: { deliveryMode: 2 },
      amqp10: { durable: true },
      stomp: { persistent: 'true' },
    },
  },
  {
    name: 'transient (delivery-mode 1)',
    publish: { persistent: false },
    expect: {
      mqtt: { qos: 0 },
      amqp091: { deliveryMode: 1 },
      amqp10: { durable: false },
      stomp: { persistent: undefined },
    },
  },
  {
    name: 'MQTT QoS asked through header x-mqtt-publish-qos',
    publish: { persistent: false, headers: { 'x-mqtt-publish-qos': 1 } },
    expect: {
      mqtt: { qos: 1 },
      amqp091: { deliveryMode: 1, 'headers.x-mqtt-publish-qos': 1 },
      amqp10: { durable: false, 'ma.x-mqtt-publish-qos': 1 },
      stomp: { persistent: undefined, 'x-mqtt-publish-qos': '1' },
    },
  },
  {
    name: 'timestamp',
    publish: { timestamp: 1_700_000_000 },
    expect: {
      amqp091: { timestamp: 1_700_000_000 },
      amqp10: { creation_time: 1_700_000_000_000 },
      stomp: { timestamp: '1700000000' },
    },
  },
  {
    name: 'type',
    publish: { type: 'order.created' },
    expect: {
      amqp091: { type: 'order.created' },
      amqp10: { 'ma.x-basic-type': 'order.created' },
      stomp: { type: 'order.created' },
    },
  },
  {
    name: 'app id',
    publish: { appId: 'billing' },
    expect: {
      amqp091: { appId: 'billing' },
      amqp10: { group_id: 'billing' },
      stomp: { 'app-id': 'billing' },
    },
  },
  {
    name: 'user id',
    publish: { userId: 'guest' },
    expect: {
      amqp091: { userId: 'guest' },
      amqp10: { user_id: 'guest' },
      stomp: { 'user-id': 'guest' },
    },
  },
  {
    name: 'custom headers',
    publish: {
      headers: {
        color: 'blue',
        n: 42,
        'x-trace': 't1',
        ratio: 0.5,
        flag: true,
        nothing: null,
        bin: Buffer.from([0, 1]),
        arr: [1, 2],
        tbl: { a: 1 },
      },
    },
    expect: {
      amqp091: {
        'headers.color': 'blue',
        'headers.n': 42,
        'headers.x-trace': 't1',
        'headers.ratio': 0.5,
        'headers.flag': true,
        'headers.nothing': null,
        'headers.bin': Buffer.from([0, 1]),
        'headers.arr': [1, 2],
        'headers.tbl': { a: 1 },
      },
      amqp10: {
        'ap.color': 'blue',
        'ap.n': 42,
        'ma.x-trace': 't1',
        'ap.ratio': 0.5,
        'ap.flag': true,
        'ap.nothing': null,
        'ap.bin': Buffer.from([0, 1]),
        'ap.arr': undefined,
        'ap.tbl': undefined,
      },
      stomp: {
        color: 'blue',
        n: '42',
        'x-trace': 't1',
        ratio: undefined,
        flag: undefined,
        nothing: undefined,
        bin: undefined,
        arr: undefined,
        tbl: undefined,
      },
    },
  },
  {
    name: 'header value with `:`, a line break and non-ASCII',
    publish: { headers: { note: 'a:b\nc é' } },
    expect: {
      amqp091: { 'headers.note': 'a:b\nc é' },
      amqp10: { 'ap.note': 'a:b\nc é' },
      stomp: { note: 'a:b\nc é' },
    },
  },
];

describe('from AMQP 0-9-1', () => {
  const r = receivers('amqp091');
  let ch: import('amqplib').ConfirmChannel;
  beforeAll(async () => {
    await r.setup();
    ch = await (await r.clients.amqp091(gw)).createConfirmChannel();
  });
  afterAll(async () => {
    await r.clients.closeAll();
  });
  it.each(named(FROM_AMQP091))('%s', async (_name, row) => {
    const body = Buffer.from(`amqp091 ${row.name}`);
    await new Promise<void>((resolve, reject) => {
      ch.publish('amq.topic', r.topic(row.name).amqp, body, row.publish, (err) => {
        if (err) reject(err instanceof Error ? err : new Error('nacked'));
        else resolve();
      });
    });
    await r.check(row.name, body, row.expect);
  });
});

// ---------------------------------------------------------------------------------------------
// From AMQP 1.0

/** rhea types `user_id` as a string but sends a Buffer as AMQP binary. */
const binary = (text: string): string => Buffer.from(text) as unknown as string;
const UUID = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

const FROM_AMQP10: readonly Row<Omit<RheaMessage, 'body'>>[] = [
  {
    name: 'content type',
    publish: { content_type: 'application/json' },
    expect: {
      amqp091: { contentType: 'application/json' },
      amqp10: { content_type: 'application/json' },
      stomp: { 'content-type': 'application/json' },
    },
  },
  {
    name: 'content encoding',
    publish: { content_encoding: 'gzip' },
    expect: {
      amqp091: { contentEncoding: 'gzip' },
      amqp10: { content_encoding: 'gzip' },
      stomp: { 'content-encoding': 'gzip' },
    },
  },
  {
    name: 'correlation id',
    publish: { correlation_id: 'corr-1' },
    expect: {
      amqp091: { correlationId: 'corr-1' },
      amqp10: { correlation_id: 'corr-1' },
      stomp: { 'correlation-id': 'corr-1' },
    },
  },
  {
    name: 'reply-to /queues/<q>',
    publish: { reply_to: '/queues/replies-q' },
    expect: {
      amqp091: { replyTo: 'replies-q' },
      amqp10: { reply_to: '/queues/replies-q' },
      stomp: { 'reply-to': '/reply-queue/replies-q' },
    },
  },
  {
    name: 'reply-to /exchanges/amq.topic/<key>',
    publish: { reply_to: '/exchanges/amq.topic/replies.dev1' },
    expect: {
      amqp091: {
        replyTo: '/exchanges/amq.topic/replies.dev1',
        'headers.x-reply-to-topic': 'replies.dev1',
      },
      amqp10: { reply_to: '/exchanges/amq.topic/replies.dev1' },
      stomp: {
        'reply-to': '/exchanges/amq.topic/replies.dev1',
        'x-reply-to-topic': 'replies.dev1',
      },
    },
  },
  {
    name: 'message id',
    publish: { message_id: 'mid-1' },
    expect: {
      amqp091: { messageId: 'mid-1' },
      amqp10: { message_id: 'mid-1' },
      stomp: { 'amqp-message-id': 'mid-1' },
    },
  },
  {
    name: 'message id, ulong',
    publish: { message_id: 12345 },
    expect: {
      amqp091: { messageId: '12345' },
      amqp10: { message_id: 12345 },
      stomp: { 'amqp-message-id': '12345' },
    },
  },
  {
    // rhea sends a Buffer id as a uuid
    name: 'message id, uuid',
    publish: { message_id: UUID },
    expect: {
      amqp091: { messageId: 'urn:uuid:00112233-4455-6677-8899-aabbccddeeff' },
      amqp10: { message_id: UUID },
      stomp: { 'amqp-message-id': 'urn:uuid:00112233-4455-6677-8899-aabbccddeeff' },
    },
  },
  {
    // AMQP 1.0 3.2.4: a binary id stays binary for AMQP 1.0 consumers (not a padded uuid);
    // other protocols get it as hex.
    name: 'message id, binary',
    publish: { message_id: rhea.types.wrap_binary(Buffer.from([1, 2, 3])) as unknown as string },
    expect: {
      amqp091: { messageId: '010203' },
      amqp10: { message_id: Buffer.from([1, 2, 3]) },
      stomp: { 'amqp-message-id': '010203' },
    },
  },
  {
    name: 'expiration (header.ttl)',
    publish: { ttl: 60000 },
    expect: {
      amqp091: { expiration: '60000' },
      amqp10: { ttl: 60000 },
      stomp: { expiration: '60000' },
    },
  },
  {
    name: 'priority',
    publish: { priority: 7 },
    expect: { amqp091: { priority: 7 }, amqp10: { priority: 7 }, stomp: { priority: '7' } },
  },
  {
    name: 'durable',
    publish: { durable: true },
    expect: {
      mqtt: { qos: 1 },
      amqp091: { deliveryMode: 2 },
      amqp10: { durable: true },
      stomp: { persistent: 'true' },
    },
  },
  {
    name: 'not durable',
    publish: { durable: false },
    expect: {
      mqtt: { qos: 0 },
      amqp091: { deliveryMode: 1 },
      amqp10: { durable: false },
      stomp: { persistent: undefined },
    },
  },
  {
    name: 'creation time',
    publish: { creation_time: new Date(1_700_000_000_000) },
    expect: {
      amqp091: { timestamp: 1_700_000_000 },
      amqp10: { creation_time: 1_700_000_000_000 },
      stomp: { timestamp: '1700000000' },
    },
  },
  {
    // The core keeps 0-9-1 seconds; AMQP 1.0 consumers get the milliseconds from
    // Message.native, as absolute-expiry-time.
    name: 'creation time, milliseconds kept for AMQP 1.0',
    publish: { creation_time: new Date(1_700_000_000_123) },
    expect: {
      amqp091: { timestamp: 1_700_000_000 },
      amqp10: { creation_time: 1_700_000_000_123 },
      stomp: { timestamp: '1700000000' },
    },
  },
  {
    name: 'group id',
    publish: { group_id: 'billing' },
    expect: {
      amqp091: { appId: 'billing' },
      amqp10: { group_id: 'billing' },
      stomp: { 'app-id': 'billing' },
    },
  },
  {
    name: 'user id',
    publish: { user_id: binary('guest') },
    expect: {
      amqp091: { userId: 'guest' },
      amqp10: { user_id: 'guest' },
      stomp: { 'user-id': 'guest' },
    },
  },
  {
    name: 'application properties',
    publish: { application_properties: { color: 'blue', n: 42, flag: true } },
    expect: {
      amqp091: { 'headers.color': 'blue', 'headers.n': 42, 'headers.flag': true },
      amqp10: { 'ap.color': 'blue', 'ap.n': 42, 'ap.flag': true },
      stomp: { color: 'blue', n: '42', flag: undefined },
    },
  },
  {
    name: 'message annotations x-',
    publish: { message_annotations: { 'x-opt-trace': 't1', 'x-basic-type': 'order.created' } },
    expect: {
      amqp091: { 'headers.x-opt-trace': 't1', type: 'order.created' },
      amqp10: { 'ma.x-opt-trace': 't1', 'ma.x-basic-type': 'order.created' },
      stomp: { 'x-opt-trace': 't1', type: 'order.created' },
    },
  },
  {
    name: 'subject (the routing key)',
    publish: {},
    expect: {
      amqp091: { 'headers.subject': undefined },
      stomp: { subject: undefined },
    },
  },
  {
    name: 'annotations without x-, delivery annotations, footer',
    publish: {
      message_annotations: { 'opt-no-x': 'v' },
      delivery_annotations: { 'x-da': 'v' },
      footer: { 'x-f': 'v' },
    },
    expect: {
      amqp091: {
        'headers.opt-no-x': undefined,
        'headers.x-da': undefined,
        'headers.x-f': undefined,
      },
      amqp10: { 'ma.opt-no-x': undefined, 'ma.x-da': undefined, 'ma.x-f': undefined },
      stomp: { 'opt-no-x': undefined, 'x-da': undefined, 'x-f': undefined },
    },
  },
];

describe('from AMQP 1.0', () => {
  const r = receivers('amqp10');
  let sender: Sender;
  beforeAll(async () => {
    await r.setup();
    // One sender to the exchange: each message's `subject` is its routing key.
    sender = await (await r.clients.amqp10(gw)).openSender('/exchanges/amq.topic');
  });
  afterAll(async () => {
    await r.clients.closeAll();
  });
  it.each(named(FROM_AMQP10))('%s', async (_name, row) => {
    const body = Buffer.from(`amqp10 ${row.name}`);
    await sendAll(sender, [body], { ...row.publish, subject: r.topic(row.name).amqp });
    await r.check(row.name, body, {
      ...row.expect,
      amqp10: { subject: r.topic(row.name).amqp, ...row.expect.amqp10 },
    });
  });

  it('amqp-value string body', async () => {
    const name = 'amqp-value string body';
    const text = 'héllo ✓';
    await new Promise<void>((resolve, reject) => {
      sender.once('accepted', () => {
        resolve();
      });
      sender.once('rejected', () => {
        reject(new Error('rejected'));
      });
      sender.send({ subject: r.topic(name).amqp, body: text });
    });
    await r.check(name, Buffer.from(text, 'utf8'), {
      amqp10: { body: 'amqp-value string', subject: r.topic(name).amqp },
    });
  });
});

// ---------------------------------------------------------------------------------------------
// From STOMP (over TCP and over WebSocket: one processor)

const FROM_STOMP: readonly Row<Record<string, string>>[] = [
  {
    name: 'content-type',
    publish: { 'content-type': 'application/json' },
    expect: {
      amqp091: { contentType: 'application/json' },
      amqp10: { content_type: 'application/json' },
      stomp: { 'content-type': 'application/json' },
    },
  },
  {
    name: 'content-encoding',
    publish: { 'content-encoding': 'gzip' },
    expect: {
      amqp091: { contentEncoding: 'gzip' },
      amqp10: { content_encoding: 'gzip' },
      stomp: { 'content-encoding': 'gzip' },
    },
  },
  {
    name: 'correlation-id',
    publish: { 'correlation-id': 'corr-1' },
    expect: {
      amqp091: { correlationId: 'corr-1' },
      amqp10: { correlation_id: 'corr-1' },
      stomp: { 'correlation-id': 'corr-1' },
    },
  },
  {
    name: 'reply-to /temp-queue/<name>',
    publish: { 'reply-to': '/temp-queue/answers' },
    expect: {
      amqp091: { replyTo: expect.stringMatching(/^stomp-reply-/) as unknown },
      amqp10: { reply_to: expect.stringMatching(/^\/queues\/stomp-reply-/) as unknown },
      stomp: { 'reply-to': expect.stringMatching(/^\/reply-queue\/stomp-reply-/) as unknown },
    },
  },
  {
    name: 'reply-to other destinations',
    publish: { 'reply-to': '/queue/answers' },
    expect: {
      amqp091: { replyTo: '/queue/answers' },
      amqp10: { reply_to: '/queue/answers' },
      stomp: { 'reply-to': '/queue/answers' },
    },
  },
  {
    name: 'amqp-message-id',
    publish: { 'amqp-message-id': 'mid-1' },
    expect: {
      amqp091: { messageId: 'mid-1' },
      amqp10: { message_id: 'mid-1' },
      stomp: { 'amqp-message-id': 'mid-1' },
    },
  },
  {
    name: 'expiration',
    publish: { expiration: '60000' },
    expect: {
      amqp091: { expiration: '60000' },
      amqp10: { ttl: 60000 },
      stomp: { expiration: '60000' },
    },
  },
  {
    name: 'priority',
    publish: { priority: '7' },
    expect: { amqp091: { priority: 7 }, amqp10: { priority: 7 }, stomp: { priority: '7' } },
  },
  {
    name: 'persistent:true',
    publish: { persistent: 'true' },
    expect: {
      mqtt: { qos: 1 },
      amqp091: { deliveryMode: 2 },
      amqp10: { durable: true },
      stomp: { persistent: 'true' },
    },
  },
  {
    name: 'no persistent header',
    publish: {},
    expect: {
      mqtt: { qos: 0 },
      amqp091: { deliveryMode: undefined },
      amqp10: { durable: undefined },
      stomp: { persistent: undefined },
    },
  },
  {
    name: 'timestamp',
    publish: { timestamp: '1700000000' },
    expect: {
      amqp091: { timestamp: 1_700_000_000 },
      amqp10: { creation_time: 1_700_000_000_000 },
      stomp: { timestamp: '1700000000' },
    },
  },
  {
    name: 'type',
    publish: { type: 'order.created' },
    expect: {
      amqp091: { type: 'order.created' },
      amqp10: { 'ma.x-basic-type': 'order.created' },
      stomp: { type: 'order.created' },
    },
  },
  {
    name: 'app-id',
    publish: { 'app-id': 'web' },
    expect: {
      amqp091: { appId: 'web' },
      amqp10: { group_id: 'web' },
      stomp: { 'app-id': 'web' },
    },
  },
  {
    name: 'user-id',
    publish: { 'user-id': 'guest' },
    expect: {
      amqp091: { userId: 'guest' },
      amqp10: { user_id: 'guest' },
      stomp: { 'user-id': 'guest' },
    },
  },
  {
    name: 'custom headers',
    publish: { color: 'blue', 'x-trace': 't1' },
    expect: {
      amqp091: { 'headers.color': 'blue', 'headers.x-trace': 't1' },
      amqp10: { 'ap.color': 'blue', 'ma.x-trace': 't1' },
      stomp: { color: 'blue', 'x-trace': 't1' },
    },
  },
  {
    name: 'header value with `:`, a line break and non-ASCII',
    publish: { note: 'a:b\nc é' },
    expect: {
      amqp091: { 'headers.note': 'a:b\nc é' },
      amqp10: { 'ap.note': 'a:b\nc é' },
      stomp: { note: 'a:b\nc é' },
    },
  },
  {
    // `receipt` and `destination` are on every SEND of this suite
    name: 'frame and queue headers are not message headers',
    publish: { 'x-max-length': '10', 'x-message-ttl': '5000', durable: 'true' },
    expect: {
      amqp091: {
        'headers.receipt': undefined,
        'headers.destination': undefined,
        'headers.content-length': undefined,
        'headers.x-max-length': undefined,
        'headers.x-message-ttl': undefined,
        'headers.durable': undefined,
      },
      amqp10: {
        'ap.receipt': undefined,
        'ap.destination': undefined,
        'ma.x-max-length': undefined,
        'ap.durable': undefined,
      },
      stomp: { receipt: undefined, 'x-max-length': undefined, durable: undefined },
    },
  },
];

describe.each(['stomp-tcp', 'stomp-ws'] as const)('from STOMP (%s)', (proto) => {
  const r = receivers(proto);
  let c: Client;
  beforeAll(async () => {
    await r.setup();
    c = await r.clients.stomp(gw, proto);
  });
  afterAll(async () => {
    await r.clients.closeAll();
  });
  it.each(named(FROM_STOMP))('%s', async (_name, row) => {
    const body = Buffer.from(`${proto} ${row.name}`);
    const receipt = receiptId();
    const done = receiptOf(c, receipt);
    c.publish({
      destination: `/topic/${r.topic(row.name).amqp}`,
      binaryBody: new Uint8Array(body),
      headers: hdr({ ...row.publish, receipt }),
    });
    await done;
    await r.check(row.name, body, row.expect);
  });
});

// ---------------------------------------------------------------------------------------------
// From MQTT 3.1.1: topic, QoS, retain, dup and payload are all it has

interface MqttPublish {
  readonly qos: 0 | 1 | 2;
  readonly retain?: boolean;
}
const FROM_MQTT: readonly Row<MqttPublish>[] = [
  {
    name: 'QoS 0',
    publish: { qos: 0 },
    expect: {
      mqtt: { qos: 0, retain: false },
      amqp091: { deliveryMode: 1, 'headers.x-mqtt-publish-qos': 0 },
      amqp10: { durable: false, 'ma.x-mqtt-publish-qos': 0 },
      stomp: { persistent: undefined, 'x-mqtt-publish-qos': '0' },
    },
  },
  {
    name: 'QoS 1',
    publish: { qos: 1 },
    expect: {
      mqtt: { qos: 1, retain: false, dup: false },
      amqp091: {
        deliveryMode: 2,
        'headers.x-mqtt-publish-qos': 1,
        'headers.x-mqtt-dup': undefined,
      },
      amqp10: { durable: true, 'ma.x-mqtt-publish-qos': 1 },
      stomp: { persistent: 'true', 'x-mqtt-publish-qos': '1' },
    },
  },
  {
    name: 'QoS 2',
    publish: { qos: 2 },
    expect: {
      // min(QoS 2, granted QoS 1)
      mqtt: { qos: 1, retain: false },
      amqp091: { deliveryMode: 2, 'headers.x-mqtt-publish-qos': 2 },
      amqp10: { durable: true, 'ma.x-mqtt-publish-qos': 2 },
      stomp: { persistent: 'true', 'x-mqtt-publish-qos': '2' },
    },
  },
  {
    name: 'retain',
    publish: { qos: 1, retain: true },
    expect: {
      // A live delivery never carries retain [MQTT-3.3.1-9]; no other protocol sees it.
      mqtt: { qos: 1, retain: false },
      amqp091: {
        deliveryMode: 2,
        'headers.x-mqtt-publish-qos': 1,
        'headers.x-mqtt-retain': undefined,
      },
      amqp10: { durable: true, 'ma.x-mqtt-retain': undefined },
      stomp: { persistent: 'true', retain: undefined, 'x-mqtt-retain': undefined },
    },
  },
];

describe('from MQTT 3.1.1', () => {
  const r = receivers('mqtt');
  let c: MqttClient;
  beforeAll(async () => {
    await r.setup();
    c = await r.clients.mqtt(gw);
  });
  afterAll(async () => {
    // Clear the retained message of the `retain` row.
    await c.publishAsync(r.topic('retain').mqtt, Buffer.alloc(0), { qos: 1, retain: true });
    await r.clients.closeAll();
  });
  it.each(named(FROM_MQTT))('%s', async (_name, row) => {
    const body = Buffer.from(`mqtt ${row.name}`);
    await c.publishAsync(r.topic(row.name).mqtt, body, {
      qos: row.publish.qos,
      retain: row.publish.retain ?? false,
    });
    await r.check(row.name, body, row.expect);
  });
});

// ---------------------------------------------------------------------------------------------
// user id is checked against the login (RabbitMQ validates user_id for every protocol)

describe('user id of another user', () => {
  const clients = new Clients();
  afterAll(async () => {
    await clients.closeAll();
  });

  it('AMQP 0-9-1: user-id of another user closes the channel with 406', async () => {
    const ch = await (await clients.amqp091(gw)).createChannel();
    const closed = new Promise<Error>((resolve) => {
      ch.once('error', (err: Error) => {
        resolve(err);
      });
    });
    ch.publish('amq.topic', 'props.userid.amqp091', Buffer.from('x'), { userId: 'mallory' });
    expect((await closed).message).toMatch(/406/);
  });

  it('STOMP: user-id of another user is an ERROR', async () => {
    const c = await clients.stomp(gw, 'stomp-tcp');
    const error = waitFor<string>((resolve) => {
      c.onStompError = (frame) => {
        resolve(frame.headers.message ?? '');
      };
    }, 'ERROR');
    c.publish({
      destination: '/topic/props.userid.stomp',
      body: 'x',
      headers: hdr({ 'user-id': 'mallory' }),
    });
    expect(await error).toBe('Invalid header');
  });

  // As AMQP 0-9-1 (406) and STOMP (ERROR) refuse it: the transfer is rejected with
  // amqp:unauthorized-access and the link stays up.
  it('AMQP 1.0: user-id of another user is not accepted', async () => {
    const c = await clients.amqp10(gw);
    const sender = await c.openSender('/exchanges/amq.topic/props.userid.amqp10');
    const { outcome } = await c.send(sender, { user_id: binary('mallory'), body: 'x' });
    expect(outcome).toBe('rejected');
    // The link stays up: the next transfer is routed as usual (no queue is bound: released).
    expect((await c.send(sender, { body: 'y' })).outcome).toBe('released');
  });
});

// ---------------------------------------------------------------------------------------------
// priority, end to end: a priority queue orders messages of every publisher

describe('priority orders a priority queue', () => {
  const clients = new Clients();
  afterAll(async () => {
    await clients.closeAll();
  });

  it.each(['amqp091', 'amqp10', 'stomp-tcp', 'stomp-ws'] as const)(
    'whoever published, for the %s consumer',
    async (proto) => {
      const ch = await (await clients.amqp091(gw)).createConfirmChannel();
      const queue = `prio.${proto}`;
      await ch.assertQueue(queue, { durable: true, arguments: { 'x-max-priority': 10 } });
      await ch.bindQueue(queue, 'amq.topic', `${queue}.#`);
      // Nobody consumes yet: all five wait in the queue, then leave by priority.
      const st = await clients.stomp(gw, 'stomp-tcp');
      const receipt = receiptId();
      const sent = receiptOf(st, receipt);
      st.publish({
        destination: `/topic/${queue}.stomp`,
        body: 'stomp priority 1',
        headers: hdr({ priority: '1', receipt }),
      });
      await sent;
      ch.publish('amq.topic', `${queue}.amqp091`, Buffer.from('amqp091 priority 9'), {
        priority: 9,
      });
      await ch.waitForConfirms();
      const sender = await (
        await clients.amqp10(gw)
      ).openSender(`/exchanges/amq.topic/${queue}.amqp10`);
      await sendAll(sender, [Buffer.from('amqp10 priority 5')], { priority: 5 });
      const m = await clients.mqtt(gw);
      // MQTT levels: `prio/<proto>/mqtt` is the key `prio.<proto>.mqtt`.
      await m.publishAsync(`prio/${proto}/mqtt`, 'mqtt, no priority', { qos: 1 });
      await sendAll(sender, [Buffer.from('amqp10 priority 3')], { priority: 3 });

      const c = await consumeQueue(clients, gw, proto, queue, { prefetch: 1 });
      const got = await c.got.until(5, 'all five');
      expect(got.map((g) => g.body.toString())).toEqual([
        'amqp091 priority 9',
        'amqp10 priority 5',
        'amqp10 priority 3',
        'stomp priority 1',
        'mqtt, no priority',
      ]);
      await c.stop();
    },
  );
});

// ---------------------------------------------------------------------------------------------
// expiration, end to end: the TTL each protocol sets is the one the queue enforces

describe('expiration expires the message in a queue', () => {
  const clients = new Clients();
  afterAll(async () => {
    await clients.closeAll();
  });

  it.each(['amqp091', 'amqp10', 'stomp-tcp', 'stomp-ws'] as const)(
    'published by %s: dead-lettered as expired',
    async (proto) => {
      const ch = await (await clients.amqp091(gw)).createConfirmChannel();
      const queue = `ttl.${proto}`;
      // No consumer: the message waits until its TTL, then goes to the DLX (an event to wait
      // for, no sleep).
      await ch.assertQueue(queue, {
        durable: true,
        arguments: {
          'x-dead-letter-exchange': 'amq.topic',
          'x-dead-letter-routing-key': `expired.${proto}`,
        },
      });
      await ch.bindQueue(queue, 'amq.topic', `ttl.${proto}.in`);
      const dead = await subscribe(clients, gw, 'amqp091', plainTopic(`expired.${proto}`));
      const body = Buffer.from(`expires ${proto}`);
      const key = `ttl.${proto}.in`;
      if (proto === 'amqp091') {
        ch.publish('amq.topic', key, body, { expiration: '20' });
        await ch.waitForConfirms();
      } else if (proto === 'amqp10') {
        const sender = await (await clients.amqp10(gw)).openSender(`/exchanges/amq.topic/${key}`);
        await sendAll(sender, [body], { ttl: 20 });
      } else {
        const st = await clients.stomp(gw, proto);
        const receipt = receiptId();
        const sent = receiptOf(st, receipt);
        st.publish({
          destination: `/topic/${key}`,
          binaryBody: new Uint8Array(body),
          headers: hdr({ expiration: '20', receipt }),
        });
        await sent;
      }
      const [g] = await dead.got.until(1, 'the expired message');
      if (g?.proto !== 'amqp091') throw new Error('expected an AMQP 0-9-1 delivery');
      expect(g.body.equals(body)).toBe(true);
      const deaths = g.msg.properties.headers?.['x-death'] as
        readonly { reason?: unknown; queue?: unknown }[] | undefined;
      expect(deaths?.[0]).toMatchObject({ reason: 'expired', queue });
    },
  );
});

function plainTopic(amqp: string): Topic {
  return { amqp, mqtt: amqp.replaceAll('.', '/') };
}
