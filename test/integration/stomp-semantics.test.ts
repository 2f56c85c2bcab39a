/**
 * STOMP semantics with @stomp/stompjs over TCP: destinations, receipts, ack modes, prefetch,
 * transactions, header mapping, temp queues. The core is inspected through the real broker.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client, IMessage } from '@stomp/stompjs';
import type { TestGateway } from './helpers/gateway.js';
import {
  connectStomp,
  hdr,
  MessageQueue,
  RawStomp,
  waitFor,
  type StompTransport,
  startStompGateway,
} from './helpers/stomp-clients.js';
import type { VhostApi } from '../../src/spi.js';

let gw: TestGateway;
let tcp: StompTransport;
let vhost: VhostApi;
const clients: Client[] = [];

beforeAll(async () => {
  gw = await startStompGateway({ tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } });
  tcp = { kind: 'tcp', port: gw.port('stomp') };
  vhost = gw.gateway.broker.vhost('/');
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.deactivate()));
});

afterAll(async () => {
  await gw.stop();
});

async function client(headers: Record<string, string> = {}): Promise<Client> {
  const { client: c } = await connectStomp(tcp, { connectHeaders: headers });
  clients.push(c);
  return c;
}

/** Publish and wait for the RECEIPT (sent once the core has the message). */
async function publishConfirmed(
  c: Client,
  destination: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const receipt = `r-${Math.random().toString(36).slice(2)}`;
  const done = waitFor<undefined>((resolve) => {
    c.watchForReceipt(receipt, () => {
      resolve(undefined);
    });
  }, `RECEIPT ${receipt}`);
  c.publish({ destination, body, headers: hdr({ ...headers, receipt }) });
  await done;
}

/** SUBSCRIBE and wait until the server processed it. */
async function subscribe(
  c: Client,
  destination: string,
  headers: Record<string, string> = {},
): Promise<{ q: MessageQueue; unsubscribe: (h?: Record<string, string>) => void }> {
  const q = new MessageQueue();
  const receipt = `s-${Math.random().toString(36).slice(2)}`;
  const done = waitFor<undefined>((resolve) => {
    c.watchForReceipt(receipt, () => {
      resolve(undefined);
    });
  }, `RECEIPT ${receipt}`);
  const sub = c.subscribe(destination, q.push, hdr({ ...headers, receipt }));
  await done;
  return {
    q,
    unsubscribe: (h = {}) => {
      sub.unsubscribe(h);
    },
  };
}

describe('destinations (RabbitMQ STOMP, anchors 2.4)', () => {
  it('/topic/<key> fans out to every subscriber, with AMQP pattern syntax on SUBSCRIBE', async () => {
    const [a, b, p] = await Promise.all([client(), client(), client()]);
    const sa = await subscribe(a, '/topic/sensors.*.temp');
    const sb = await subscribe(b, '/topic/sensors.#');
    await publishConfirmed(p, '/topic/sensors.kitchen.temp', '21.5');
    for (const m of [await sa.q.next(), await sb.q.next()]) {
      expect(m.body).toBe('21.5');
      expect(m.headers.destination).toBe('/topic/sensors.kitchen.temp');
    }
  });

  it('/queue/<q> is shared: subscribers are competing consumers', async () => {
    const [a, b, p] = await Promise.all([client(), client(), client()]);
    const sa = await subscribe(a, '/queue/work');
    const sb = await subscribe(b, '/queue/work');
    for (let i = 0; i < 4; i++) await publishConfirmed(p, '/queue/work', `job ${i}`);
    const got = await Promise.all([sa.q.next(), sa.q.next(), sb.q.next(), sb.q.next()]);
    expect(got.map((m) => m.body).sort()).toEqual(['job 0', 'job 1', 'job 2', 'job 3']);
    expect(got[0].headers.destination).toBe('/queue/work');
  });

  it('/exchange/<x>/<key> binds a private queue and publishes with the key', async () => {
    const [a, p] = await Promise.all([client(), client()]);
    const s = await subscribe(a, '/exchange/amq.direct/orders');
    await publishConfirmed(p, '/exchange/amq.direct/orders', 'o1');
    const m = await s.q.next();
    expect(m.body).toBe('o1');
    expect(m.headers.destination).toBe('/exchange/amq.direct/orders');
  });

  it('/amq/queue/<q> uses an existing queue without declaring it', async () => {
    const p = await client();
    await publishConfirmed(p, '/queue/existing', 'already here');
    const s = await subscribe(p, '/amq/queue/existing');
    expect((await s.q.next()).body).toBe('already here');
  });

  it('percent-encodes / in MESSAGE destinations (RabbitMQ unparse)', async () => {
    const p = await client();
    const s = await subscribe(p, '/queue/a%2Fb');
    await publishConfirmed(p, '/queue/a%2Fb', 'slash');
    expect((await s.q.next()).headers.destination).toBe('/queue/a%2Fb');
    expect(vhost.queueInfo('a/b')).toBeDefined();
  });

  it('declares /queue/ with the queue argument headers (x-max-length)', async () => {
    const p = await client();
    for (const body of ['1', '2', '3'])
      await publishConfirmed(p, '/queue/capped', body, { 'x-max-length': '1' });
    expect(vhost.queueInfo('capped')?.messageCount).toBe(1);
  });

  it('keeps a durable /topic subscription across connections and deletes it on UNSUBSCRIBE with durable:true', async () => {
    const durable = { id: 'news-1', durable: 'true', 'auto-delete': 'false' };
    const a = await client({ 'client-id': 'a' });
    await subscribe(a, '/topic/news', durable);
    await a.deactivate();
    const p = await client();
    await publishConfirmed(p, '/topic/news', 'while away');
    const a2 = await client();
    const s = await subscribe(a2, '/topic/news', durable);
    expect((await s.q.next()).body).toBe('while away');
    const receipt = 'unsub-durable';
    const done = waitFor<undefined>((resolve) => {
      a2.watchForReceipt(receipt, () => {
        resolve(undefined);
      });
    }, 'UNSUBSCRIBE receipt');
    s.unsubscribe({ ...durable, receipt });
    await done;
    await publishConfirmed(p, '/topic/news', 'nobody listens');
    const again = await subscribe(a2, '/topic/news', durable);
    await publishConfirmed(p, '/topic/news', 'fresh');
    expect((await again.q.next()).body).toBe('fresh');
  });
});

describe('STOMP 1.2 SEND and RECEIPT', () => {
  it('sends the RECEIPT only once the core holds the message', async () => {
    const p = await client();
    await publishConfirmed(p, '/queue/receipted', 'durable', { persistent: 'true' });
    expect(vhost.queueInfo('receipted')?.messageCount).toBe(1);
  });

  it('carries binary bodies with NUL octets (content-length) and text bodies without it', async () => {
    const p = await client();
    const s = await subscribe(p, '/queue/bin');
    const bytes = new Uint8Array([0, 1, 0, 255, 0]);
    p.publish({
      destination: '/queue/bin',
      binaryBody: bytes,
      headers: hdr({ 'content-type': 'application/octet-stream' }),
    });
    expect(Array.from((await s.q.next()).binaryBody)).toEqual([0, 1, 0, 255, 0]);
    const raw = await RawStomp.connected(gw.port('stomp'));
    raw.send('SEND\ndestination:/queue/bin\n\nplain text\0');
    const m = await s.q.next();
    expect(m.body).toBe('plain text');
    expect(m.headers['content-length']).toBe('10');
    raw.destroy();
  });
});

describe('header mapping (anchors 2.6)', () => {
  const mapped = {
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    persistent: 'true',
    priority: '7',
    'correlation-id': 'c-42',
    'reply-to': '/queue/answers',
    expiration: '60000',
    'amqp-message-id': 'm-1',
    timestamp: '1700000000',
    type: 'order.created',
    'user-id': 'guest',
    'app-id': 'shop',
  };

  it('maps SEND headers to core properties and other headers to the headers table', async () => {
    const p = await client();
    await publishConfirmed(p, '/queue/map-in', 'x', {
      ...mapped,
      'x-custom': 'yes',
      'message-id': 'ignored',
    });
    const got = vhost.get('map-in', { noAck: true });
    expect(got?.delivery.message.properties).toEqual({
      contentType: 'application/json',
      contentEncoding: 'gzip',
      persistent: true,
      priority: 7,
      correlationId: 'c-42',
      replyTo: '/queue/answers',
      expiration: '60000',
      messageId: 'm-1',
      timestamp: 1700000000,
      type: 'order.created',
      userId: 'guest',
      appId: 'shop',
    });
    expect(got?.delivery.message.headers).toEqual({ 'x-custom': 'yes' });
  });

  it('maps core properties and headers back onto MESSAGE', async () => {
    const p = await client();
    const s = await subscribe(p, '/queue/map-out');
    await publishConfirmed(p, '/queue/map-out', 'x', { ...mapped, 'x-custom': 'yes' });
    const m: IMessage = await s.q.next();
    expect(m.headers).toMatchObject({ ...mapped, 'x-custom': 'yes', redelivered: 'false' });
    expect(m.headers['message-id']).toMatch(/@@/);
  });

  it('prefixes a bare reply-to queue name with /reply-queue/', async () => {
    const p = await client();
    const s = await subscribe(p, '/queue/bare-reply');
    vhost.publish({
      exchange: '',
      routingKey: 'bare-reply',
      headers: { n: 5, big: 7n, f: 1.5, flag: true },
      properties: { replyTo: 'amq.gen-abc' },
      body: Buffer.from('hi'),
      origin: { protocol: 'amqp091', connectionId: 'test' },
    });
    const m = await s.q.next();
    expect(m.headers['reply-to']).toBe('/reply-queue/amq.gen-abc');
    // RabbitMQ emits only string and integer header values on MESSAGE.
    expect(m.headers).toMatchObject({ n: '5', big: '7' });
    expect(m.headers.f).toBeUndefined();
    expect(m.headers.flag).toBeUndefined();
  });

  it('escapes : \\n \\\\ in 1.2 header values both ways (STOMP 1.2 Value Encoding)', async () => {
    const p = await client();
    const s = await subscribe(p, '/queue/escapes');
    await publishConfirmed(p, '/queue/escapes', 'x', { odd: 'a:b\nc\\d' });
    expect((await s.q.next()).headers.odd).toBe('a:b\nc\\d');
    expect(vhost.queueInfo('escapes')).toBeDefined();
  });

  it('escapes header names too, and writes 1.0 headers verbatim', async () => {
    const raw = await RawStomp.connected(gw.port('stomp'));
    raw.send(
      'SUBSCRIBE\nid:e\ndestination:/queue/esc-names\n\n\0SEND\ndestination:/queue/esc-names\nk\\cx:v\\\\\n\n\0',
    );
    const m = await raw.next();
    expect(m.headers.get('k:x')).toBe('v\\');
    raw.destroy();
    const raw10 = await RawStomp.connected(gw.port('stomp'), '1.0');
    raw10.send(
      'SUBSCRIBE\ndestination:/queue/esc-10\n\n\0SEND\ndestination:/queue/esc-10\nk:a\\cb\n\n\0',
    );
    expect((await raw10.next()).headers.get('k')).toBe('a\\cb');
    raw10.destroy();
  });

  it('uses the first of repeated headers (STOMP 1.2 Repeated Header Entries)', async () => {
    const p = await client();
    const s = await subscribe(p, '/queue/repeated');
    const raw = await RawStomp.connected(gw.port('stomp'));
    raw.send('SEND\ndestination:/queue/repeated\nfoo:first\nfoo:second\n\n\0');
    expect((await s.q.next()).headers.foo).toBe('first');
    raw.destroy();
  });
});

describe('STOMP 1.2 SUBSCRIBE ack modes, ACK and NACK', () => {
  it('client-individual: only the ACKed message leaves; the rest is redelivered', async () => {
    const p = await client();
    await publishConfirmed(p, '/queue/ind', 'm1');
    await publishConfirmed(p, '/queue/ind', 'm2');
    const c = await client();
    const s = await subscribe(c, '/queue/ind', { ack: 'client-individual' });
    const m1 = await s.q.next();
    const m2 = await s.q.next();
    expect(m1.headers.ack).toBe(m1.headers['message-id']);
    m2.ack();
    s.unsubscribe();
    const s2 = await subscribe(c, '/queue/ind', { ack: 'client-individual' });
    const again = await s2.q.next();
    expect(again.body).toBe('m1');
    expect(again.headers.redelivered).toBe('true');
    again.ack();
  });

  it('client: ACK is cumulative', async () => {
    const p = await client();
    for (const b of ['m1', 'm2', 'm3']) await publishConfirmed(p, '/queue/cumulative', b);
    const c = await client();
    const s = await subscribe(c, '/queue/cumulative', { ack: 'client' });
    await s.q.next();
    const m2 = await s.q.next();
    await s.q.next();
    m2.ack();
    s.unsubscribe();
    const s2 = await subscribe(c, '/queue/cumulative', { ack: 'client' });
    const left = await s2.q.next();
    expect(left.body).toBe('m3');
    left.ack();
  });

  it('NACK requeues by default and drops with requeue:false', async () => {
    const p = await client();
    await publishConfirmed(p, '/queue/nacks', 'n1');
    const c = await client();
    const s = await subscribe(c, '/queue/nacks', { ack: 'client-individual' });
    (await s.q.next()).nack();
    const back = await s.q.next();
    expect(back.headers.redelivered).toBe('true');
    back.nack(hdr({ requeue: 'false' }));
    await publishConfirmed(p, '/queue/nacks', 'n2');
    expect((await s.q.next()).body).toBe('n2');
  });

  it('NACK requeue:false dead-letters through the queue headers x-dead-letter-exchange / -routing-key', async () => {
    const c = await client();
    const dead = await subscribe(c, '/queue/dead-letters');
    const work = await subscribe(c, '/queue/dlx-work', {
      ack: 'client-individual',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'dead-letters',
    });
    // /amq/queue/ does not redeclare: a /queue/ SEND without the same x- headers would be an
    // inequivalent redeclare (precondition_failed), as in RabbitMQ.
    await publishConfirmed(c, '/amq/queue/dlx-work', 'poison');
    (await work.q.next()).nack(hdr({ requeue: 'false' }));
    const m = await dead.q.next();
    expect(m.body).toBe('poison');
    // Dead-lettering republishes with the x-dead-letter-routing-key (RabbitMQ).
    expect(m.headers.destination).toBe('/queue/dead-letters');
  });

  it('prefetch-count limits unacknowledged messages', async () => {
    const p = await client();
    for (const b of ['p1', 'p2', 'p3']) await publishConfirmed(p, '/queue/prefetch', b);
    const c = await client();
    const s = await subscribe(c, '/queue/prefetch', {
      ack: 'client-individual',
      'prefetch-count': '1',
    });
    const first = await s.q.next();
    expect(vhost.queueInfo('prefetch')?.messageCount).toBe(2);
    first.ack();
    expect((await s.q.next()).body).toBe('p2');
  });

  it('STOMP 1.1 and 1.0 ACK by message-id', async () => {
    for (const version of ['1.1', '1.0']) {
      const raw = await RawStomp.connected(gw.port('stomp'), version);
      const dest = `/queue/ack-${version}`;
      raw.send(
        `SEND\ndestination:${dest}\n\nold\0SUBSCRIBE\n${version === '1.1' ? 'id:s\n' : ''}destination:${dest}\nack:client\n\n\0`,
      );
      const m = await raw.next();
      expect(m.command).toBe('MESSAGE');
      expect(m.headers.has('ack')).toBe(false);
      raw.send(
        `ACK\nmessage-id:${m.headers.get('message-id') ?? ''}\nsubscription:${m.headers.get('subscription') ?? ''}\nreceipt:a\n\n\0`,
      );
      expect((await raw.next()).command).toBe('RECEIPT');
      expect(vhost.queueInfo(`ack-${version}`)?.messageCount).toBe(0);
      raw.destroy();
    }
  });

  it('UNSUBSCRIBE stops deliveries', async () => {
    const c = await client();
    const s = await subscribe(c, '/queue/unsub');
    s.unsubscribe();
    await publishConfirmed(c, '/queue/unsub', 'kept');
    expect(vhost.queueInfo('unsub')?.messageCount).toBe(1);
  });
});

describe('STOMP 1.2 transactions', () => {
  it('delivers SENDs on COMMIT, in order, and drops them on ABORT', async () => {
    const c = await client();
    const tx = c.begin();
    c.publish({ destination: '/queue/tx', body: 't1', headers: hdr({ transaction: tx.id }) });
    c.publish({ destination: '/queue/tx', body: 't2', headers: hdr({ transaction: tx.id }) });
    await publishConfirmed(c, '/queue/tx-probe', 'probe');
    expect(vhost.queueInfo('tx')?.messageCount ?? 0).toBe(0);
    tx.commit();
    const aborted = c.begin();
    c.publish({
      destination: '/queue/tx',
      body: 'never',
      headers: hdr({ transaction: aborted.id }),
    });
    aborted.abort();
    await publishConfirmed(c, '/queue/tx', 't3');
    const s = await subscribe(c, '/queue/tx');
    expect([(await s.q.next()).body, (await s.q.next()).body, (await s.q.next()).body]).toEqual([
      't1',
      't2',
      't3',
    ]);
  });

  it('applies a transactional ACK only on COMMIT', async () => {
    const c = await client();
    await publishConfirmed(c, '/queue/tx-ack', 'a1');
    const s = await subscribe(c, '/queue/tx-ack', { ack: 'client-individual' });
    const m = await s.q.next();
    const tx = c.begin();
    m.ack(hdr({ transaction: tx.id }));
    tx.abort();
    s.unsubscribe();
    const s2 = await subscribe(c, '/queue/tx-ack', { ack: 'client-individual' });
    const again = await s2.q.next();
    expect(again.headers.redelivered).toBe('true');
    const tx2 = c.begin();
    again.ack(hdr({ transaction: tx2.id }));
    tx2.commit();
    await publishConfirmed(c, '/queue/tx-probe', 'probe');
    s2.unsubscribe();
    await publishConfirmed(c, '/queue/tx-probe', 'probe');
    expect(vhost.queueInfo('tx-ack')?.messageCount).toBe(0);
  });
});

describe('/temp-queue/ in reply-to', () => {
  it('creates a private reply queue; the responder sees its real name and replies to /reply-queue/', async () => {
    const [requester, responder] = await Promise.all([client(), client()]);
    const service = await subscribe(responder, '/queue/rpc');
    const reply = waitFor<IMessage>((resolve) => {
      requester.onUnhandledMessage = resolve;
    }, 'reply');
    await publishConfirmed(requester, '/queue/rpc', 'ping', {
      'reply-to': '/temp-queue/r1',
      'correlation-id': 'c1',
    });
    const request = await service.q.next();
    const replyTo = request.headers['reply-to'] ?? '';
    expect(replyTo).toMatch(/^\/reply-queue\/stomp-reply-/);
    responder.publish({
      destination: replyTo,
      body: 'pong',
      headers: hdr({ 'correlation-id': 'c1' }),
    });
    const m = await reply;
    expect(m.body).toBe('pong');
    expect(m.headers.subscription).toBe('/temp-queue/r1');
    expect(m.headers['correlation-id']).toBe('c1');
  });
});

describe('write backpressure', () => {
  it('a subscriber that stops reading holds back only its own queue', async () => {
    const slow = await RawStomp.connected(gw.port('stomp'));
    slow.send('SUBSCRIBE\nid:slow\ndestination:/queue/bp-slow\nreceipt:s\n\n\0');
    expect((await slow.next()).command).toBe('RECEIPT');
    slow.socket.pause();
    const fast = await client();
    const s = await subscribe(fast, '/queue/bp-fast');
    const raw = await RawStomp.connected(gw.port('stomp'));
    const body = 'x'.repeat(64 * 1024);
    const count = 200;
    for (let i = 0; i < count; i++) {
      raw.send(
        `SEND\ndestination:/queue/bp-slow\n\n${body}\0SEND\ndestination:/queue/bp-fast\n\n${i}\0`,
      );
    }
    raw.send('SEND\ndestination:/queue/bp-fast\nreceipt:all\n\nlast\0');
    expect((await raw.next(20_000)).headers.get('receipt-id')).toBe('all');
    for (let i = 0; i < count; i++) expect((await s.q.next()).body).toBe(String(i));
    // 12.5 MiB cannot all sit in socket buffers: the core stopped feeding the slow one.
    expect(vhost.queueInfo('bp-slow')?.messageCount).toBeGreaterThan(0);
    slow.destroy();
    raw.destroy();
  });
});
