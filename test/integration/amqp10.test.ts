import type { Receiver } from 'rhea';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VhostApi } from '../../src/spi.js';
import type { TestGateway } from './helpers/gateway.js';
import { startAmqp10Gateway } from './helpers/amqp10-gateway.js';
import { collect, connectClient, next, type TestClient } from './helpers/amqp10-client.js';

let gw: TestGateway;
let port: number;
let vhost: VhostApi;
const clients: TestClient[] = [];
let seq = 0;
const SESSION_WINDOW = 16;

async function client(): Promise<TestClient> {
  const c = await connectClient(port);
  clients.push(c);
  return c;
}

/** A fresh queue name per test. */
function queue(args: Record<string, string | number> = {}): string {
  const name = `q-${++seq}`;
  vhost.declareQueue({ name, arguments: args });
  return name;
}

async function refusal(
  link: NodeJS.EventEmitter,
  kind: 'sender' | 'receiver',
): Promise<string | undefined> {
  const ctx = await next(link, `${kind}_error`);
  const endpoint = kind === 'sender' ? ctx.sender : ctx.receiver;
  return (endpoint?.error as { condition?: string } | undefined)?.condition;
}

beforeAll(async () => {
  gw = await startAmqp10Gateway({ linkCredit: 16, sessionWindow: SESSION_WINDOW });
  port = gw.port('amqp10');
  vhost = gw.gateway.broker.vhost('/');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gw.stop();
});

describe('AMQP 1.0 targets (RabbitMQ 4 v2 addresses)', () => {
  it('/queues/<q>: accepted once the core has it, then consumed from /queues/<q>', async () => {
    const q = queue();
    const c = await client();
    const sender = await c.openSender(`/queues/${q}`);
    expect((await c.send(sender, { body: 'hello', message_id: 'm1' })).outcome).toBe('accepted');
    expect(vhost.queueInfo(q)?.messageCount).toBe(1);
    const receiver = await c.openReceiver({ source: `/queues/${q}` });
    const [m] = await collect(receiver, 1);
    expect(m?.message?.body).toBe('hello');
    expect(m?.message?.message_id).toBe('m1');
  });

  it('/exchanges/<x>/<key> routes with the key; /exchanges/<x> takes the key from subject', async () => {
    const q = queue();
    vhost.bindQueue(q, 'amq.direct', 'k1');
    const c = await client();
    const withKey = await c.openSender('/exchanges/amq.direct/k1');
    const bySubject = await c.openSender('/exchanges/amq.direct');
    expect((await c.send(withKey, { body: 'a' })).outcome).toBe('accepted');
    expect((await c.send(bySubject, { body: 'b', subject: 'k1' })).outcome).toBe('accepted');
    expect(vhost.queueInfo(q)?.messageCount).toBe(2);
  });

  it('names are percent-encoded: /queues/a%2Fb is queue a/b', async () => {
    vhost.declareQueue({ name: 'a/b' });
    const c = await client();
    const sender = await c.openSender('/queues/a%2Fb');
    expect((await c.send(sender, { body: 'x' })).outcome).toBe('accepted');
    expect(vhost.queueInfo('a/b')?.messageCount).toBe(1);
  });

  it('anonymous terminus (null target): each message names its target in `to`', async () => {
    const q1 = queue();
    const q2 = queue();
    const c = await client();
    const sender = await c.openSender({ target: {} });
    expect((await c.send(sender, { body: '1', to: `/queues/${q1}` })).outcome).toBe('accepted');
    expect((await c.send(sender, { body: '2', to: `/queues/${q2}` })).outcome).toBe('accepted');
    const missing = await c.send(sender, { body: '3', to: '/exchanges/no-such-x/k' });
    expect(missing.outcome).toBe('rejected');
    const noTo = await c.send(sender, { body: '4' });
    expect(noTo.outcome).toBe('rejected');
    expect((await c.send(sender, { body: '5', to: `/queues/${q1}` })).outcome).toBe('accepted');
    expect(vhost.queueInfo(q1)?.messageCount).toBe(2);
    expect(vhost.queueInfo(q2)?.messageCount).toBe(1);
  });

  it('v1 short forms: /topic/<key> publishes to amq.topic, /queue/<q> declares the queue', async () => {
    const q = queue();
    vhost.bindQueue(q, 'amq.topic', 'short.*');
    const c = await client();
    const topic = await c.openSender('/topic/short.form');
    expect((await c.send(topic, { body: 't' })).outcome).toBe('accepted');
    expect(vhost.queueInfo(q)?.messageCount).toBe(1);
    const declared = await c.openSender('/queue/declared-by-attach');
    expect((await c.send(declared, { body: 'q' })).outcome).toBe('accepted');
    expect(vhost.queueInfo('declared-by-attach')?.messageCount).toBe(1);
  });

  it('unknown exchange or queue: the attach is refused with amqp:not-found, the connection stays', async () => {
    const c = await client();
    expect(await refusal(c.connection.open_sender('/exchanges/no-such-exchange/k'), 'sender')).toBe(
      'amqp:not-found',
    );
    expect(await refusal(c.connection.open_sender('/queues/no-such-queue'), 'sender')).toBe(
      'amqp:not-found',
    );
    expect(await refusal(c.connection.open_receiver('/queues/no-such-queue'), 'receiver')).toBe(
      'amqp:not-found',
    );
    expect(await refusal(c.connection.open_receiver('/exchanges/nope/#'), 'receiver')).toBe(
      'amqp:not-found',
    );
    const q = queue();
    const sender = await c.openSender(`/queues/${q}`);
    expect((await c.send(sender, { body: 'still fine' })).outcome).toBe('accepted');
  });

  it('an invalid address is refused with amqp:invalid-field', async () => {
    const c = await client();
    expect(await refusal(c.connection.open_sender('no-leading-slash'), 'sender')).toBe(
      'amqp:invalid-field',
    );
    expect(await refusal(c.connection.open_receiver('/queues/%zz'), 'receiver')).toBe(
      'amqp:invalid-field',
    );
    expect(await refusal(c.connection.open_receiver({ source: {} as never }), 'receiver')).toBe(
      'amqp:invalid-field',
    );
  });
});

describe('AMQP 1.0 incoming outcomes (anchors 2.11)', () => {
  it('released when unroutable', async () => {
    const c = await client();
    const sender = await c.openSender('/exchanges/amq.topic/nobody.listens.here');
    expect((await c.send(sender, { body: 'lost' })).outcome).toBe('released');
  });

  it('rejected with amqp:resource-limit-exceeded when a reject-publish queue is full', async () => {
    const q = queue({ 'x-max-length': 1, 'x-overflow': 'reject-publish' });
    const c = await client();
    const sender = await c.openSender(`/queues/${q}`);
    expect((await c.send(sender, { body: '1' })).outcome).toBe('accepted');
    const second = await c.send(sender, { body: '2' });
    expect(second.outcome).toBe('rejected');
    const state = second.ctx.delivery?.remote_state as
      { error?: { condition?: string } } | undefined;
    expect(state?.error?.condition).toBe('amqp:resource-limit-exceeded');
  });

  it('credit is granted and topped up: many more messages than linkCredit all arrive', async () => {
    const q = queue();
    const c = await client();
    const sender = await c.openSender(`/queues/${q}`);
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) => c.send(sender, { body: `m${i}` })),
    );
    expect(outcomes.every((o) => o.outcome === 'accepted')).toBe(true);
    expect(vhost.queueInfo(q)?.messageCount).toBe(100);
  });

  it('pre-settled sends (snd-settle-mode settled) are taken without dispositions, beyond the session window', async () => {
    const q = queue();
    const c = await client();
    const sender = await c.openSender({ target: `/queues/${q}`, snd_settle_mode: 1 });
    const n = SESSION_WINDOW * 4;
    let sent = 0;
    const pump = (): void => {
      while (sent < n && sender.sendable()) sender.send({ body: `p${sent++}` });
    };
    sender.on('sendable', pump);
    pump();
    const receiver = await c.openReceiver(`/queues/${q}`);
    const got = await collect(receiver, n);
    expect(got.map((m) => String(m.message?.body))).toEqual(
      Array.from({ length: n }, (_, i) => `p${i}`),
    );
  });
});

describe('AMQP 1.0 outgoing links: credit and outcomes', () => {
  async function fill(q: string, n: number): Promise<void> {
    const c = await client();
    const sender = await c.openSender(`/queues/${q}`);
    await Promise.all(Array.from({ length: n }, (_, i) => c.send(sender, { body: `m${i}` })));
  }

  function manual(c: TestClient, source: string): Promise<Receiver> {
    return c.openReceiver({ source, credit_window: 0, autoaccept: false });
  }

  it('delivers only within the credit the client grants (AMQP 1.0 2.6.7)', async () => {
    const q = queue();
    await fill(q, 5);
    const c = await client();
    const receiver = await manual(c, `/queues/${q}`);
    receiver.add_credit(2);
    const first = await collect(receiver, 2);
    expect(first.map((m) => String(m.message?.body))).toEqual(['m0', 'm1']);
    // No third message without credit: 3 are still ready in the queue.
    expect(vhost.queueInfo(q)?.messageCount).toBe(3);
    for (const m of first) m.delivery?.accept();
    receiver.add_credit(3);
    const rest = await collect(receiver, 3);
    expect(rest.map((m) => String(m.message?.body))).toEqual(['m2', 'm3', 'm4']);
  });

  it('drain: sends what is ready, then the credit is used up and echoed (receiver_drained)', async () => {
    const q = queue();
    await fill(q, 2);
    const c = await client();
    const receiver = await manual(c, `/queues/${q}`);
    const got = collect(receiver, 2);
    receiver.add_credit(10);
    await got;
    const drained = next(receiver, 'receiver_drained');
    receiver.drain_credit();
    await drained;
  });

  it('accepted removes, released requeues with delivery-count, rejected drops', async () => {
    const q = queue();
    await fill(q, 3);
    const c = await client();
    const receiver = await manual(c, `/queues/${q}`);
    receiver.add_credit(3);
    const [a, b, r] = await collect(receiver, 3);
    const redelivered = collect(receiver, 1);
    a?.delivery?.accept();
    r?.delivery?.reject({ condition: 'amqp:internal-error', description: 'bad' });
    receiver.add_credit(1);
    b?.delivery?.release();
    const [again] = await redelivered;
    expect(again?.message?.body).toBe('m1');
    expect(again?.message?.delivery_count).toBe(1);
    again?.delivery?.accept();
    await expect.poll(() => vhost.queueInfo(q)?.messageCount).toBe(0);
  });

  it('modified: delivery-failed requeues, undeliverable-here does not come back', async () => {
    const q = queue();
    await fill(q, 2);
    const c = await client();
    const receiver = await manual(c, `/queues/${q}`);
    receiver.add_credit(2);
    const [failed, elsewhere] = await collect(receiver, 2);
    const back = collect(receiver, 1);
    elsewhere?.delivery?.modified({ undeliverable_here: true });
    failed?.delivery?.modified({ delivery_failed: true });
    receiver.add_credit(1);
    const [again] = await back;
    expect(again?.message?.body).toBe('m0');
    again?.delivery?.accept();
    await expect.poll(() => vhost.queueInfo(q)?.messageCount).toBe(0);
  });

  it('pre-settled receivers (snd-settle-mode settled) get auto-acked deliveries', async () => {
    const q = queue();
    await fill(q, 3);
    const c = await client();
    const receiver = await c.openReceiver({
      source: `/queues/${q}`,
      snd_settle_mode: 1,
      autoaccept: false,
    });
    const got = await collect(receiver, 3);
    expect(got.every((m) => m.delivery?.remote_settled)).toBe(true);
    expect(vhost.queueInfo(q)?.messageCount).toBe(0);
  });

  it('more credit than the session window: deliveries wait for settlements, none is lost', async () => {
    const q = queue();
    await fill(q, 40);
    const c = await client();
    const receiver = await manual(c, `/queues/${q}`);
    receiver.add_credit(40);
    const first = await collect(receiver, SESSION_WINDOW);
    expect(vhost.queueInfo(q)?.messageCount).toBe(40 - SESSION_WINDOW);
    const rest = collect(receiver, 40 - SESSION_WINDOW);
    receiver.on('message', (ctx: { delivery?: { accept(): void } }) => ctx.delivery?.accept());
    for (const m of first) m.delivery?.accept();
    const all = [...first, ...(await rest)].map((m) => String(m.message?.body));
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}`));
  });

  it('unsettled deliveries return to the queue when the link detaches', async () => {
    const q = queue();
    await fill(q, 2);
    const c = await client();
    const receiver = await manual(c, `/queues/${q}`);
    receiver.add_credit(2);
    await collect(receiver, 2);
    receiver.close();
    await next(receiver, 'receiver_close');
    const again = await c.openReceiver(`/queues/${q}`);
    const redelivered = await collect(again, 2);
    expect(redelivered.map((m) => String(m.message?.body))).toEqual(['m0', 'm1']);
  });

  it('/exchanges/<x>/<binding-key> source: a private queue bound for the link, deleted after it', async () => {
    const c = await client();
    const receiver = await c.openReceiver('/exchanges/amq.topic/sensors.*.temp');
    const sender = await c.openSender('/exchanges/amq.topic/sensors.kitchen.temp');
    const got = collect(receiver, 1);
    expect((await c.send(sender, { body: '21.5' })).outcome).toBe('accepted');
    const [m] = await got;
    expect(m?.message?.body).toBe('21.5');
    expect(m?.message?.message_annotations).toMatchObject({
      'x-exchange': 'amq.topic',
      'x-routing-key': 'sensors.kitchen.temp',
    });
    receiver.close();
    await next(receiver, 'receiver_close');
    expect((await c.send(sender, { body: 'nobody' })).outcome).toBe('released');
  });
});

describe('AMQP 1.0 sessions and links', () => {
  it('a cleanly closed connection leaves no consumer and no private queue behind', async () => {
    const q = queue();
    const c = await connectClient(port);
    await c.openReceiver(`/queues/${q}`);
    await c.openReceiver('/exchanges/amq.fanout');
    expect(vhost.queueInfo(q)?.consumerCount).toBe(1);
    await c.close();
    await expect.poll(() => vhost.queueInfo(q)?.consumerCount).toBe(0);
    const sender = await (await client()).openSender('/exchanges/amq.fanout');
    expect((await clients.at(-1)?.send(sender, { body: 'to nobody' }))?.outcome).toBe('released');
  });

  it('many sessions and links on one connection; closing one session leaves the others', async () => {
    const c = await client();
    const q = queue();
    const sessions = Array.from({ length: 3 }, () => c.connection.create_session());
    for (const s of sessions) s.begin();
    const senders = sessions.map((s) => s.open_sender(`/queues/${q}`));
    await Promise.all(senders.map((s) => next(s, 'sendable')));
    const firstSession = sessions[0];
    firstSession?.close();
    if (firstSession) await next(firstSession, 'session_close');
    const [, second, third] = senders;
    if (!second || !third) throw new Error('senders');
    expect((await c.send(second, { body: 's2' })).outcome).toBe('accepted');
    expect((await c.send(third, { body: 's3' })).outcome).toBe('accepted');
    expect(vhost.queueInfo(q)?.messageCount).toBe(2);
  });
});
