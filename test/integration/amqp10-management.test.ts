/**
 * RabbitMQ 4's AMQP 1.0 management node (`/management`, HTTP over AMQP) with the real rhea
 * client driving the link pair the way RabbitMQ's AMQP 1.0 clients do.
 */
import rhea, { type EventContext, type Receiver, type Sender } from 'rhea';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from './helpers/gateway.js';
import { startAmqp10Gateway } from './helpers/amqp10-gateway.js';
import { collect, connectClient, type TestClient } from './helpers/amqp10-client.js';

let gw: TestGateway;
let c: TestClient;
let requests: Sender;
let responses: Receiver;
let ids = 0;

interface Response {
  readonly status: string;
  readonly body: unknown;
}

/** One request on the pair: resolves with the response whose correlation-id is its id. */
async function request(method: string, to: string, body: unknown = null): Promise<Response> {
  const id = Buffer.from(`req-${++ids}`);
  const got = new Promise<EventContext>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no response to ${method} ${to}`));
    }, 5000);
    const on = (ctx: EventContext): void => {
      if (!id.equals(ctx.message?.correlation_id as Buffer)) return;
      clearTimeout(timer);
      responses.off('message', on);
      resolve(ctx);
    };
    responses.on('message', on);
  });
  requests.send({
    message_id: rhea.types.wrap_binary(id) as unknown as string,
    to,
    subject: method,
    reply_to: '$me',
    body,
  });
  const ctx = await got;
  return { status: String(ctx.message?.subject), body: ctx.message?.body };
}

const suffix = (): string => Math.random().toString(36).slice(2);

beforeAll(async () => {
  gw = await startAmqp10Gateway();
  c = await connectClient(gw.port('amqp10'));
  const pair = { name: 'management-link-pair', properties: { paired: true } };
  requests = await c.openSender({ ...pair, target: '/management', snd_settle_mode: 1 });
  responses = await c.openReceiver({
    ...pair,
    source: '/management',
    snd_settle_mode: 1,
    credit_window: 10,
  });
});

afterAll(async () => {
  await c.close();
  await gw.stop();
});

describe('AMQP 1.0 management node: queues', () => {
  it('PUT declares (201, then 200), GET reports counts, purge and DELETE return the messages removed', async () => {
    const q = `mq-${suffix()}`;
    const created = await request('PUT', `/queues/${q}`, { durable: true, exclusive: false });
    expect(created.status).toBe('201');
    expect(created.body).toMatchObject({
      name: q,
      durable: true,
      exclusive: false,
      message_count: 0,
    });
    expect((await request('PUT', `/queues/${q}`, { durable: true })).status).toBe('200');
    expect(gw.gateway.broker.vhost('/').queueInfo(q)).toBeDefined();

    const sender = await c.openSender(`/queues/${q}`);
    for (const body of ['a', 'b'])
      expect((await c.send(sender, { body })).outcome).toBe('accepted');
    const info = await request('GET', `/queues/${q}`);
    expect(info.status).toBe('200');
    expect(info.body).toMatchObject({ name: q, message_count: 2, consumer_count: 0 });

    const purged = await request('DELETE', `/queues/${q}/messages`);
    expect(purged).toEqual({ status: '200', body: { message_count: 2 } });
    expect((await c.send(sender, { body: 'c' })).outcome).toBe('accepted');
    expect(await request('DELETE', `/queues/${q}`)).toEqual({
      status: '200',
      body: { message_count: 1 },
    });
    expect((await request('GET', `/queues/${q}`)).status).toBe('404');
  });

  it('queue arguments are applied (x-max-length), x-queue-type is echoed as the type', async () => {
    const q = `margs-${suffix()}`;
    const created = await request('PUT', `/queues/${q}`, {
      arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish', 'x-queue-type': 'quorum' },
    });
    expect(created.status).toBe('201');
    expect(created.body).toMatchObject({ type: 'quorum', arguments: { 'x-max-length': 1 } });
    const sender = await c.openSender(`/queues/${q}`);
    expect((await c.send(sender, { body: 'fits' })).outcome).toBe('accepted');
    expect((await c.send(sender, { body: 'full' })).outcome).toBe('rejected');
  });

  it('a queue name with a slash is percent-encoded in the path', async () => {
    const q = `a/b-${suffix()}`;
    expect((await request('PUT', `/queues/${encodeURIComponent(q)}`, {})).status).toBe('201');
    expect(gw.gateway.broker.vhost('/').queueInfo(q)).toBeDefined();
  });
});

describe('AMQP 1.0 management node: exchanges and bindings', () => {
  it('PUT exchange, POST binding route messages; DELETE binding and exchange undo it (204s)', async () => {
    const x = `mx-${suffix()}`;
    const q = `mxq-${suffix()}`;
    expect((await request('PUT', `/exchanges/${x}`, { type: 'topic', durable: true })).status).toBe(
      '204',
    );
    expect((await request('PUT', `/queues/${q}`, {})).status).toBe('201');
    const binding = { source: x, destination_queue: q, binding_key: 'a.*', arguments: {} };
    expect((await request('POST', '/bindings', binding)).status).toBe('204');

    const receiver = await c.openReceiver(`/queues/${q}`);
    const got = collect(receiver, 1);
    const sender = await c.openSender(`/exchanges/${x}/a.b`);
    expect((await c.send(sender, { body: 'routed' })).outcome).toBe('accepted');
    expect((await got)[0]?.message?.body).toBe('routed');

    const unbind = `/bindings/src=${x};dstq=${q};key=${encodeURIComponent('a.*')};args=`;
    expect((await request('DELETE', unbind)).status).toBe('204');
    // Nothing is bound any more: unroutable, released (RabbitMQ 4).
    expect((await c.send(sender, { body: 'nowhere' })).outcome).toBe('released');

    expect((await request('DELETE', `/exchanges/${x}`)).status).toBe('204');
    expect(gw.gateway.broker.vhost('/').exchangeExists(x)).toBe(false);
  });
});

describe('AMQP 1.0 management node: errors answer with a status, the links stay up', () => {
  it('404 for an unknown queue, 400 for a bad body or exchange type, 405 for a wrong method, 409 for a mismatch', async () => {
    expect((await request('GET', `/queues/none-${suffix()}`)).status).toBe('404');
    expect((await request('DELETE', `/queues/none-${suffix()}`)).status).toBe('404');
    expect((await request('PUT', `/queues/q-${suffix()}`, 'not a map')).status).toBe('400');
    expect((await request('PUT', `/exchanges/x-${suffix()}`, { type: 'nope' })).status).toBe('400');
    expect((await request('POST', `/queues/q-${suffix()}`)).status).toBe('405');
    expect((await request('GET', '/vhosts/x')).status).toBe('404');
    const q = `mm-${suffix()}`;
    expect((await request('PUT', `/queues/${q}`, { durable: true })).status).toBe('201');
    const mismatch = await request('PUT', `/queues/${q}`, { durable: false });
    expect(mismatch.status).toBe('409');
    expect(typeof mismatch.body).toBe('string');
    expect(requests.is_open() && responses.is_open()).toBe(true);
  });

  it('a request without a paired receiver is rejected', async () => {
    const lone = await c.openSender({ name: `lone-${suffix()}`, target: '/management' });
    const { outcome, ctx } = await c.send(lone, { subject: 'GET', to: '/queues/x', body: null });
    expect(outcome).toBe('rejected');
    expect(
      (ctx.delivery?.remote_state as { error?: { condition?: string } }).error?.condition,
    ).toBe('amqp:precondition-failed');
  });
});
