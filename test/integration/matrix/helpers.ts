/**
 * The cross-protocol matrix: one uniform publisher and subscriber per client protocol, each
 * built on the real client library (mqtt, amqplib, rhea, @stomp/stompjs over TCP and over
 * WebSocket). Publishers resolve only once the gateway acknowledged (PUBACK, confirm, `accepted`,
 * RECEIPT); subscribers acknowledge every delivery (MQTT QoS 1, basic.ack, `accepted`,
 * client-individual ACK). No sleeps: every wait is an event with a timeout.
 */
import amqplib, { type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { IPublishPacket, MqttClient } from 'mqtt';
import type { Client, IMessage, StompSubscription } from '@stomp/stompjs';
import type { EventContext, Message as RheaMessage, Receiver, Sender } from 'rhea';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import type { GatewayConfigInput } from '../../../src/config/schema.js';
import { connectMqtt } from '../helpers/mqtt-clients.js';
import { connectStomp, hdr, waitFor } from '../helpers/stomp-clients.js';
import { connectClient, dataBody, next, type TestClient } from '../helpers/amqp10-client.js';

export type Proto = 'mqtt' | 'amqp091' | 'amqp10' | 'stomp-tcp' | 'stomp-ws';

export const PROTOCOLS: readonly Proto[] = ['mqtt', 'amqp091', 'amqp10', 'stomp-tcp', 'stomp-ws'];

/** Every publisher protocol x every subscriber protocol: 25 pairs. */
export const PAIRS: readonly (readonly [Proto, Proto])[] = PROTOCOLS.flatMap((p) =>
  PROTOCOLS.map((s) => [p, s] as const),
);

export const TIMEOUT_MS = 5_000;

/** One gateway for a whole test file: every adapter on loopback port 0, the memory store. */
export function startMatrixGateway(config: GatewayConfigInput = {}): Promise<TestGateway> {
  return startTestGateway(config);
}

// ---------------------------------------------------------------------------------------------
// Topics

/** One topic in both spellings: the MQTT topic (or filter) and the AMQP routing key (or
 * binding pattern) on `amq.topic`. */
export interface Topic {
  readonly mqtt: string;
  readonly amqp: string;
}

/** A topic whose words need no escaping: `a.b.c` <-> `a/b/c`, `*` <-> `+`. */
export function plain(amqp: string): Topic {
  if (/[%/+]/.test(amqp)) throw new Error(`not a plain key: ${amqp}`);
  return {
    amqp,
    mqtt: amqp
      .split('.')
      .map((w) => (w === '*' ? '+' : w))
      .join('/'),
  };
}

/** Percent-encodes what a STOMP destination cannot carry literally: `%` and `/` (and
 * non-ASCII), as RabbitMQ's STOMP plugin writes a MESSAGE destination. */
export function stompKey(key: string): string {
  return Array.from(Buffer.from(key, 'utf8'), (b) =>
    b >= 0x20 && b < 0x7f && b !== 0x25 && b !== 0x2f
      ? String.fromCharCode(b)
      : '%' + b.toString(16).toUpperCase().padStart(2, '0'),
  ).join('');
}

/** How a receiver of protocol `proto` writes a message published to `amq.topic` with `t`. */
export function writtenAs(proto: Proto, t: Topic): string {
  switch (proto) {
    case 'mqtt':
      return t.mqtt;
    case 'amqp091':
    case 'amqp10':
      return t.amqp;
    case 'stomp-tcp':
    case 'stomp-ws':
      return `/topic/${stompKey(t.amqp)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Waiting

/** A list that grows from events; `until(n)` waits for its length to reach n. */
export class Growing<T> {
  readonly items: T[] = [];
  readonly #waiters: (() => void)[] = [];

  push(item: T): void {
    this.items.push(item);
    for (const w of this.#waiters.splice(0)) w();
  }

  async until(n: number, what: string, ms = TIMEOUT_MS): Promise<T[]> {
    const deadline = Date.now() + ms;
    while (this.items.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}: ${this.items.length} of ${n}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.items.slice(0, n);
  }

  /** Waits for the first item matching `pred`. */
  async find(pred: (item: T) => boolean, what: string, ms = TIMEOUT_MS): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.items.find(pred);
      if (hit !== undefined) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

/** Time allowed for n messages to cross the gateway (2 shared cores, several files at once). */
export function budget(n: number): number {
  return TIMEOUT_MS + n * 3;
}

// ---------------------------------------------------------------------------------------------
// Received messages, as each protocol hands them over

interface GotBase {
  readonly body: Buffer;
  /** The topic / routing key / destination as the receiver's protocol writes it. */
  readonly topic: string;
}
export type Got =
  | (GotBase & { readonly proto: 'mqtt'; readonly packet: IPublishPacket })
  | (GotBase & { readonly proto: 'amqp091'; readonly msg: ConsumeMessage })
  | (GotBase & { readonly proto: 'amqp10'; readonly msg: RheaMessage })
  | (GotBase & { readonly proto: 'stomp-tcp' | 'stomp-ws'; readonly msg: IMessage });

/** The bytes of an AMQP 1.0 body: a `data` section, an `amqp-value` string or binary. */
export function amqp10Body(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (typeof body === 'object' && body !== null && 'content' in body) {
    const content = body.content;
    if (Buffer.isBuffer(content)) return content;
  }
  throw new Error(`unexpected AMQP 1.0 body ${JSON.stringify(body)}`);
}

export function annotation(msg: RheaMessage, key: string): unknown {
  const annotations = msg.message_annotations as Record<string, unknown> | undefined;
  return annotations?.[key];
}

// ---------------------------------------------------------------------------------------------
// Connections

/** Closes everything opened through it; call `closeAll()` in afterEach/afterAll. */
export class Clients {
  readonly #closers: (() => Promise<void>)[] = [];

  add(close: () => Promise<void>): void {
    this.#closers.push(close);
  }

  async closeAll(): Promise<void> {
    const closers = this.#closers.splice(0).reverse();
    for (const close of closers) await close().catch(() => undefined);
  }

  async mqtt(gw: TestGateway, clientId?: string): Promise<MqttClient> {
    const c = await connectMqtt(gw.port('mqtt'), clientId === undefined ? {} : { clientId });
    c.on('error', () => undefined);
    this.add(() => c.endAsync(true));
    return c;
  }

  async amqp091(gw: TestGateway): Promise<amqplib.ChannelModel> {
    const conn = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${gw.port('amqp091')}`);
    conn.on('error', () => undefined);
    this.add(() => conn.close());
    return conn;
  }

  async amqp10(gw: TestGateway): Promise<TestClient> {
    const c = await connectClient(gw.port('amqp10'));
    this.add(() => c.close());
    return c;
  }

  async stomp(gw: TestGateway, proto: 'stomp-tcp' | 'stomp-ws'): Promise<Client> {
    const { client } = await connectStomp(
      proto === 'stomp-tcp'
        ? { kind: 'tcp', port: gw.port('stomp') }
        : { kind: 'ws', url: `ws://127.0.0.1:${gw.port('stomp', 'ws')}/ws` },
    );
    this.add(() => client.deactivate());
    return client;
  }
}

let receiptSeq = 0;
/** A fresh receipt id. */
export function receiptId(): string {
  receiptSeq += 1;
  return `r-${receiptSeq}`;
}

/** Waits for the RECEIPT of `receipt` (register before the frame goes out). */
export function receiptOf(client: Client, receipt: string, ms = TIMEOUT_MS): Promise<void> {
  return waitFor<undefined>(
    (resolve) => {
      client.watchForReceipt(receipt, () => {
        resolve(undefined);
      });
    },
    `RECEIPT ${receipt}`,
    ms,
  );
}

// ---------------------------------------------------------------------------------------------
// Subscribers

export interface Subscriber {
  readonly proto: Proto;
  readonly got: Growing<Got>;
  /** Stop consuming (the connection stays open until the Clients are closed). */
  stop(): Promise<void>;
}

/** Subscribes with `filter` (a wildcard pattern is fine) to `amq.topic`, acknowledging every
 * delivery; ready when the promise resolves (SUBACK, bind-ok, attach, RECEIPT). */
export async function subscribe(
  clients: Clients,
  gw: TestGateway,
  proto: Proto,
  filter: Topic,
): Promise<Subscriber> {
  const got = new Growing<Got>();
  switch (proto) {
    case 'mqtt': {
      const c = await clients.mqtt(gw);
      c.on('message', (topic, payload, packet) => {
        got.push({ proto, topic, body: Buffer.from(payload), packet });
      });
      const granted = await c.subscribeAsync(filter.mqtt, { qos: 1 });
      if (granted[0]?.qos !== 1) throw new Error(`SUBACK ${JSON.stringify(granted)}`);
      return {
        proto,
        got,
        stop: async () => {
          await c.unsubscribeAsync(filter.mqtt);
        },
      };
    }
    case 'amqp091': {
      const conn = await clients.amqp091(gw);
      const ch = await conn.createChannel();
      await ch.prefetch(1000);
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, 'amq.topic', filter.amqp);
      const { consumerTag } = await ch.consume(queue, (m) => {
        if (!m) return;
        got.push({ proto, topic: m.fields.routingKey, body: m.content, msg: m });
        ch.ack(m);
      });
      return {
        proto,
        got,
        stop: async () => {
          await ch.cancel(consumerTag);
        },
      };
    }
    case 'amqp10': {
      const c = await clients.amqp10(gw);
      const receiver = await c.openReceiver(
        `/exchanges/amq.topic/${encodeURIComponent(filter.amqp)}`,
      );
      onAmqp10(receiver, got);
      return {
        proto,
        got,
        stop: async () => {
          const closed = next(receiver, 'receiver_close');
          receiver.close();
          await closed;
        },
      };
    }
    case 'stomp-tcp':
    case 'stomp-ws': {
      const c = await clients.stomp(gw, proto);
      const sub = await stompSubscribe(c, `/topic/${stompKey(filter.amqp)}`, (m) => {
        got.push({
          proto,
          topic: m.headers.destination ?? '',
          body: Buffer.from(m.binaryBody),
          msg: m,
        });
        m.ack();
      });
      return {
        proto,
        got,
        stop: async () => {
          await stompUnsubscribe(c, sub);
        },
      };
    }
  }
}

function onAmqp10(receiver: Receiver, got: Growing<Got>): void {
  receiver.on('message', (ctx: EventContext) => {
    const msg = ctx.message;
    if (!msg) return;
    const key = annotation(msg, 'x-routing-key');
    got.push({
      proto: 'amqp10',
      topic: typeof key === 'string' ? key : '',
      body: amqp10Body(msg.body),
      msg,
    });
  });
}

/** UNSUBSCRIBE, resolved on its RECEIPT. */
export async function stompUnsubscribe(c: Client, sub: StompSubscription): Promise<void> {
  const receipt = receiptId();
  const done = receiptOf(c, receipt);
  sub.unsubscribe(hdr({ receipt }));
  await done;
}

/** SUBSCRIBE with client-individual acks, resolved on its RECEIPT. */
export async function stompSubscribe(
  c: Client,
  destination: string,
  onMessage: (m: IMessage) => void,
  headers: Readonly<Record<string, string>> = {},
): Promise<StompSubscription> {
  const receipt = receiptId();
  const ready = receiptOf(c, receipt);
  const sub = c.subscribe(
    destination,
    onMessage,
    hdr({ ack: 'client-individual', ...headers, receipt }),
  );
  await ready;
  return sub;
}

/** A competing consumer of an existing queue (MQTT joins through `$share/<group>/<filter>`,
 * whose queue `queue` is). Acknowledges every delivery, at most `prefetch` in flight. */
export async function consumeQueue(
  clients: Clients,
  gw: TestGateway,
  proto: Proto,
  queue: string,
  opts: {
    readonly share?: string;
    readonly prefetch?: number;
    /** STOMP only: subscribe to `/queue/<queue>` (declaring it) instead of `/amq/queue/`. */
    readonly stompQueue?: boolean;
  } = {},
): Promise<Subscriber> {
  const got = new Growing<Got>();
  const prefetch = opts.prefetch ?? 10;
  switch (proto) {
    case 'mqtt': {
      if (opts.share === undefined) throw new Error('MQTT joins a queue only through $share/');
      const share = opts.share;
      const c = await clients.mqtt(gw);
      c.on('message', (topic, payload, packet) => {
        got.push({ proto, topic, body: Buffer.from(payload), packet });
      });
      const granted = await c.subscribeAsync(share, { qos: 1 });
      if (granted[0]?.qos !== 1) throw new Error(`SUBACK ${JSON.stringify(granted)}`);
      return {
        proto,
        got,
        stop: async () => {
          await c.unsubscribeAsync(share);
        },
      };
    }
    case 'amqp091': {
      const conn = await clients.amqp091(gw);
      const ch = await conn.createChannel();
      await ch.prefetch(prefetch);
      const { consumerTag } = await ch.consume(queue, (m) => {
        if (!m) return;
        got.push({ proto, topic: m.fields.routingKey, body: m.content, msg: m });
        ch.ack(m);
      });
      return {
        proto,
        got,
        stop: async () => {
          await ch.cancel(consumerTag);
        },
      };
    }
    case 'amqp10': {
      const c = await clients.amqp10(gw);
      const receiver = await c.openReceiver({
        source: { address: `/queues/${encodeURIComponent(queue)}` },
        credit_window: prefetch,
      });
      onAmqp10(receiver, got);
      return {
        proto,
        got,
        stop: async () => {
          const closed = next(receiver, 'receiver_close');
          receiver.close();
          await closed;
        },
      };
    }
    case 'stomp-tcp':
    case 'stomp-ws': {
      const c = await clients.stomp(gw, proto);
      const sub = await stompSubscribe(
        c,
        `${opts.stompQueue === true ? '/queue/' : '/amq/queue/'}${stompKey(queue)}`,
        (m) => {
          got.push({
            proto,
            topic: m.headers.destination ?? '',
            body: Buffer.from(m.binaryBody),
            msg: m,
          });
          m.ack();
        },
        { 'prefetch-count': String(prefetch) },
      );
      return {
        proto,
        got,
        stop: async () => {
          await stompUnsubscribe(c, sub);
        },
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Publishers

export interface Publisher {
  readonly proto: Proto;
  /** Publishes persistent messages (MQTT QoS 1) to `amq.topic` with `topic`, in order, and
   * resolves once the gateway acknowledged every one of them. `unroutable`: the topic may
   * match no queue (AMQP 1.0 then answers `released`, which is accepted too). */
  publish(
    topic: Topic,
    bodies: readonly Buffer[],
    opts?: { readonly ms?: number; readonly unroutable?: boolean },
  ): Promise<void>;
}

export async function publisher(
  clients: Clients,
  gw: TestGateway,
  proto: Proto,
): Promise<Publisher> {
  switch (proto) {
    case 'mqtt': {
      const c = await clients.mqtt(gw);
      return {
        proto,
        async publish(topic, bodies, opts = {}) {
          const ms = opts.ms ?? budget(bodies.length);
          await withTimeout(
            Promise.all(bodies.map((b) => c.publishAsync(topic.mqtt, b, { qos: 1 }))),
            ms,
            `${bodies.length} PUBACKs`,
          );
        },
      };
    }
    case 'amqp091': {
      const conn = await clients.amqp091(gw);
      const ch: ConfirmChannel = await conn.createConfirmChannel();
      return {
        proto,
        async publish(topic, bodies, opts = {}) {
          const ms = opts.ms ?? budget(bodies.length);
          const confirms: Promise<void>[] = [];
          for (const b of bodies) {
            confirms.push(
              new Promise<void>((resolve, reject) => {
                ch.publish('amq.topic', topic.amqp, b, { persistent: true }, (err) => {
                  if (err) reject(err instanceof Error ? err : new Error('nacked'));
                  else resolve();
                });
              }),
            );
          }
          await withTimeout(Promise.all(confirms), ms, `${bodies.length} confirms`);
        },
      };
    }
    case 'amqp10': {
      const c = await clients.amqp10(gw);
      const senders = new Map<string, Sender>();
      return {
        proto,
        async publish(topic, bodies, opts = {}) {
          const ms = opts.ms ?? budget(bodies.length);
          const address = `/exchanges/amq.topic/${encodeURIComponent(topic.amqp)}`;
          let sender = senders.get(address);
          if (!sender) {
            sender = await c.openSender(address);
            senders.set(address, sender);
          }
          await withTimeout(
            sendAll(sender, bodies, {}, opts.unroutable === true),
            ms,
            `${bodies.length} AMQP 1.0 outcomes`,
          );
        },
      };
    }
    case 'stomp-tcp':
    case 'stomp-ws': {
      const c = await clients.stomp(gw, proto);
      return {
        proto,
        async publish(topic, bodies, opts = {}) {
          const ms = opts.ms ?? budget(bodies.length);
          const receipts: Promise<void>[] = [];
          for (const b of bodies) {
            const receipt = receiptId();
            receipts.push(receiptOf(c, receipt, ms));
            c.publish({
              destination: `/topic/${stompKey(topic.amqp)}`,
              binaryBody: new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
              headers: hdr({ persistent: 'true', receipt }),
            });
          }
          await Promise.all(receipts);
        },
      };
    }
  }
}

/** Sends every body on an AMQP 1.0 link within its credit and resolves when each is
 * `accepted` (rejects on any other outcome). */
export function sendAll(
  sender: Sender,
  bodies: readonly Buffer[],
  extra: Omit<RheaMessage, 'body'> = {},
  releasedOk = false,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let accepted = 0;
    const cleanup = (): void => {
      sender.off('sendable', pump);
      sender.off('accepted', onAccepted);
      sender.off('rejected', onFailed);
      sender.off('released', releasedOk ? onAccepted : onFailed);
      sender.off('modified', onFailed);
    };
    const onAccepted = (): void => {
      accepted += 1;
      if (accepted === bodies.length) {
        cleanup();
        resolve();
      }
    };
    const onFailed = (ctx: EventContext): void => {
      cleanup();
      reject(new Error(`outcome ${JSON.stringify(ctx.delivery?.remote_state ?? null)}`));
    };
    const pump = (): void => {
      while (next < bodies.length && sender.sendable()) {
        const body = bodies[next] ?? Buffer.alloc(0);
        next += 1;
        sender.send({ durable: true, ...extra, body: dataBody(body) });
      }
    };
    sender.on('sendable', pump);
    sender.on('accepted', onAccepted);
    sender.on('rejected', onFailed);
    sender.on('released', releasedOk ? onAccepted : onFailed);
    sender.on('modified', onFailed);
    if (bodies.length === 0) {
      cleanup();
      resolve();
      return;
    }
    pump();
  });
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`timed out waiting for ${what}`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Burst payloads `<tag>:<i>` for i in [0, n). */
export function numbered(tag: string, n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`${tag}:${i}`));
}

/** Checks that `got` holds exactly `n` messages of `tag`, in order, none duplicated. */
export function inOrder(got: readonly Got[], tag: string, n: number): string | undefined {
  const seqs = got
    .map((g) => g.body.toString())
    .filter((s) => s.startsWith(`${tag}:`))
    .map((s) => Number(s.slice(tag.length + 1)));
  if (seqs.length !== n) return `${tag}: ${seqs.length} received, ${n} sent`;
  for (let i = 0; i < n; i++) {
    if (seqs[i] !== i) return `${tag}: position ${i} holds ${seqs[i]}`;
  }
  return undefined;
}
