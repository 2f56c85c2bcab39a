/**
 * AMQP 1.0 sessions and special link endpoints with the real rhea client: channel-max and the
 * session limit (AMQP 1.0 2.7.1, 2.7.2), dynamic sources for request/reply (3.5.3), and the
 * transaction coordinator we refuse (4.5.1).
 */
import { connect, type Channel, type ChannelModel } from 'amqplib';
import rhea, { type Receiver, type Session, type Source } from 'rhea';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from './helpers/gateway.js';
import { startAmqp10Gateway } from './helpers/amqp10-gateway.js';
import { collect, connectClient, next, type TestClient } from './helpers/amqp10-client.js';

const CHANNEL_MAX = 2;
const MAX_SESSIONS = 2;
const MAX_LINKS = 8;
let gw: TestGateway;
let port: number;
let amqp091: ChannelModel;
let ch: Channel;
const clients: TestClient[] = [];

async function client(): Promise<TestClient> {
  const c = await connectClient(port);
  clients.push(c);
  return c;
}

function beginSessions(c: TestClient, n: number): Session[] {
  const sessions: Session[] = [];
  for (let i = 0; i < n; i++) {
    const session = c.connection.create_session();
    session.on('session_error', () => undefined);
    session.begin();
    sessions.push(session);
  }
  return sessions;
}

function errorOf(e: { error?: unknown } | undefined): string | undefined {
  return (e?.error as { condition?: string } | undefined)?.condition;
}

const vhost = (): ReturnType<TestGateway['gateway']['broker']['vhost']> =>
  gw.gateway.broker.vhost('/');

beforeAll(async () => {
  gw = await startAmqp10Gateway(
    { channelMax: CHANNEL_MAX, maxSessions: MAX_SESSIONS, maxLinksPerSession: MAX_LINKS },
    ['amqp091'],
  );
  port = gw.port('amqp10');
  amqp091 = await connect({ hostname: '127.0.0.1', port, heartbeat: 0 });
  ch = await amqp091.createChannel();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await amqp091.close();
  await gw.stop();
});

describe('AMQP 1.0 sessions: channel-max and maxSessions (2.7.1, 2.7.2)', () => {
  it('a session past maxSessions is ended with amqp:resource-limit-exceeded; the connection and its other sessions stay', async () => {
    const c = await client();
    // Channels 0 and 1 are within maxSessions, 2 is one too many.
    const [, second, third] = beginSessions(c, 3);
    if (!second || !third) throw new Error('no sessions');
    const refused = await next(third, 'session_error');
    expect(errorOf(refused.session)).toBe('amqp:resource-limit-exceeded');
    const q = `sess-${Math.random().toString(36).slice(2)}`;
    vhost().declareQueue({ name: q });
    const sender = second.open_sender(`/queues/${q}`);
    await next(sender, 'sendable');
    const accepted = next(sender, 'accepted');
    sender.send({ body: 'on the second session' });
    await accepted;
    expect(vhost().queueInfo(q)?.messageCount).toBe(1);
    expect(c.connection.is_open()).toBe(true);
  });

  it('a begin on a channel above channel-max closes the connection with amqp:connection:framing-error', async () => {
    const c = await client();
    const closed = next(c.connection, 'connection_error');
    // Channels 0..3: 2 is refused (maxSessions), 3 is above channel-max 2.
    beginSessions(c, CHANNEL_MAX + 2);
    const ctx = await closed;
    expect(errorOf(ctx.connection)).toBe('amqp:connection:framing-error');
    // Other connections are unharmed.
    const other = await client();
    const q = `after-${Math.random().toString(36).slice(2)}`;
    vhost().declareQueue({ name: q });
    expect((await other.send(await other.openSender(`/queues/${q}`), { body: 'x' })).outcome).toBe(
      'accepted',
    );
  });
});

describe('AMQP 1.0 link limits both ways (2.7.2, 2.7.3)', () => {
  it('our begin announces handle-max = maxLinksPerSession - 1', async () => {
    const c = await client();
    const q = `hm-${Math.random().toString(36).slice(2)}`;
    vhost().declareQueue({ name: q });
    const sender = await c.openSender(`/queues/${q}`);
    const begin = (sender.session as unknown as { remote: { begin?: { handle_max?: number } } })
      .remote.begin;
    expect(begin?.handle_max).toBe(MAX_LINKS - 1);
  });

  it("a message over the receiver's max-message-size is not sent to it: rejected (dropped here), the next one flows", async () => {
    const c = await client();
    const q = `mms-${Math.random().toString(36).slice(2)}`;
    vhost().declareQueue({ name: q });
    const sender = await c.openSender(`/queues/${q}`);
    expect((await c.send(sender, { body: 'x'.repeat(2000) })).outcome).toBe('accepted');
    expect((await c.send(sender, { body: 'small' })).outcome).toBe('accepted');
    const receiver = await c.openReceiver({ source: `/queues/${q}`, max_message_size: 600 });
    const [m] = await collect(receiver, 1);
    expect(m?.message?.body).toBe('small');
    expect(vhost().queueInfo(q)?.messageCount).toBe(0);
  });
});

describe('AMQP 1.0 dynamic sources (3.5.3)', () => {
  async function dynamicReceiver(c: TestClient): Promise<{ receiver: Receiver; queue: string }> {
    // rhea's typings require an address; a dynamic source has none (AMQP 1.0 3.5.3).
    const receiver = await c.openReceiver({ source: { dynamic: true } as unknown as Source });
    const address = (receiver.source as { address?: string } | undefined)?.address ?? '';
    expect(address).toMatch(/^\/queues\/./);
    expect((receiver.source as { dynamic?: boolean }).dynamic).toBe(true);
    return { receiver, queue: decodeURIComponent(address.slice('/queues/'.length)) };
  }

  it('a dynamic source gets a private queue whose /queues/ address comes back in the attach; AMQP 1.0 can send to it', async () => {
    const c = await client();
    const { receiver, queue } = await dynamicReceiver(c);
    expect(vhost().queueInfo(queue)).toBeDefined();
    const got = collect(receiver, 1);
    const sender = await c.openSender(`/queues/${encodeURIComponent(queue)}`);
    expect((await c.send(sender, { body: 'to the dynamic node' })).outcome).toBe('accepted');
    const [m] = await got;
    expect(m?.message?.body).toBe('to the dynamic node');
  });

  it('request/reply: an AMQP 0-9-1 responder answers to reply-to, the dynamic queue goes away with the link', async () => {
    const c = await client();
    const { receiver, queue } = await dynamicReceiver(c);
    const requests = `requests-${Math.random().toString(36).slice(2)}`;
    await ch.assertQueue(requests, { exclusive: true });
    await ch.consume(requests, (m) => {
      if (!m) return;
      ch.ack(m);
      ch.sendToQueue(m.properties.replyTo as string, Buffer.from(`re: ${m.content.toString()}`), {
        correlationId: m.properties.correlationId as string,
      });
    });
    const reply = collect(receiver, 1);
    const sender = await c.openSender(`/queues/${requests}`);
    const sent = await c.send(sender, {
      body: rhea.message.data_section(Buffer.from('ping')) as unknown,
      reply_to: (receiver.source as { address: string }).address,
      correlation_id: 'corr-1',
    });
    expect(sent.outcome).toBe('accepted');
    const [m] = await reply;
    expect((m?.message?.body as { content: Buffer }).content.toString()).toBe('re: ping');
    expect(m?.message?.correlation_id).toBe('corr-1');

    receiver.close();
    await next(receiver, 'receiver_close');
    expect(vhost().queueInfo(queue)).toBeUndefined();
  });
});

describe('AMQP 1.0 dynamic targets (3.5.4) are not built', () => {
  it('a sender asking for a dynamic target is refused with amqp:not-implemented', async () => {
    const c = await client();
    const sender = c.connection.open_sender({ target: { dynamic: true } });
    sender.on('sender_error', () => undefined);
    const ctx = await next(sender, 'sender_close');
    expect(errorOf(ctx.sender)).toBe('amqp:not-implemented');
  });
});

describe('AMQP 1.0 transactions (4.x) are not built', () => {
  it('a link to a coordinator target is refused with amqp:not-implemented; the connection stays', async () => {
    const c = await client();
    const sender = c.connection.open_sender();
    sender.on('sender_error', () => undefined);
    // rhea has no API for a coordinator target: put one (4.5.1) into its attach before it goes out.
    const types = rhea.types as unknown as {
      described(d: unknown, v: unknown): unknown;
      wrap_ulong(n: number): unknown;
      wrap_list(l: unknown[]): unknown;
      wrap_symbol(s: string): unknown;
    };
    (sender as unknown as { local: { attach: { target: unknown } } }).local.attach.target =
      types.described(
        types.wrap_ulong(0x30),
        types.wrap_list([types.wrap_symbol('amqp:local-transactions')]),
      );
    const ctx = await next(sender, 'sender_close');
    expect(errorOf(ctx.sender)).toBe('amqp:not-implemented');
    const q = `tx-${Math.random().toString(36).slice(2)}`;
    vhost().declareQueue({ name: q });
    expect((await c.send(await c.openSender(`/queues/${q}`), { body: 'x' })).outcome).toBe(
      'accepted',
    );
  });
});
