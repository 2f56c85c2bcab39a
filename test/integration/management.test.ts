import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/password.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';

let gw: TestGateway;
const guest = `Basic ${Buffer.from('guest:guest').toString('base64')}`;
const plain = `Basic ${Buffer.from('monitor:pw').toString('base64')}`;

beforeAll(async () => {
  gw = await startTestGateway({
    auth: {
      users: [
        {
          username: 'guest',
          passwordHash: await hashPassword('guest', 1024),
          vhosts: ['/'],
          tags: ['administrator'],
        },
        { username: 'monitor', passwordHash: await hashPassword('pw', 1024), vhosts: ['/'] },
      ],
    },
  });
});
afterAll(async () => {
  await gw.stop();
});

async function api(method: string, path: string, body?: unknown, auth = guest): Promise<Response> {
  return fetch(`${gw.managementUrl}${path}`, {
    method,
    headers: {
      authorization: auth,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe('management API', () => {
  it('refuses a request without credentials (401) and a user without the administrator tag (403)', async () => {
    expect((await fetch(`${gw.managementUrl}/api/overview`)).status).toBe(401);
    expect(
      (
        await api(
          'GET',
          '/api/overview',
          undefined,
          `Basic ${Buffer.from('guest:bad').toString('base64')}`,
        )
      ).status,
    ).toBe(401);
    expect((await api('GET', '/api/overview', undefined, plain)).status).toBe(403);
  });

  it('overview lists the listeners and the object totals', async () => {
    const res = await api('GET', '/api/overview');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      listeners: unknown[];
      object_totals: { exchanges: number };
    };
    expect(body.listeners.length).toBeGreaterThan(0);
    expect(body.object_totals.exchanges).toBeGreaterThanOrEqual(5); // the amq.* exchanges
  });

  it('declares an exchange, a queue and a binding, publishes, reads back and deletes', async () => {
    expect((await api('PUT', '/api/exchanges/%2F/mgmt.x', { type: 'topic' })).status).toBe(201);
    expect(
      (
        await api('PUT', '/api/queues/%2F/mgmt.q', {
          durable: false,
          arguments: { 'x-max-length': 10 },
        })
      ).status,
    ).toBe(201);
    expect(
      (await api('POST', '/api/bindings/%2F/e/mgmt.x/q/mgmt.q', { routing_key: 'a.*' })).status,
    ).toBe(201);
    const bindings = (await (await api('GET', '/api/bindings/%2F')).json()) as {
      source: string;
      routing_key: string;
    }[];
    expect(bindings).toContainEqual(
      expect.objectContaining({ source: 'mgmt.x', routing_key: 'a.*' }),
    );

    const pub = await api('POST', '/api/exchanges/%2F/mgmt.x/publish', {
      routing_key: 'a.b',
      payload: 'hello',
    });
    expect(await pub.json()).toEqual({ routed: true });
    const missed = await api('POST', '/api/exchanges/%2F/mgmt.x/publish', {
      routing_key: 'z',
      payload: 'x',
    });
    expect(await missed.json()).toEqual({ routed: false });

    const q = (await (await api('GET', '/api/queues/%2F/mgmt.q')).json()) as {
      messages_ready: number;
      arguments: unknown;
    };
    expect(q.messages_ready).toBe(1);
    expect(q.arguments).toEqual({ 'x-max-length': 10 });

    const got = (await (await api('POST', '/api/queues/%2F/mgmt.q/get', { count: 5 })).json()) as {
      payload: string;
      routing_key: string;
    }[];
    expect(got).toEqual([expect.objectContaining({ payload: 'hello', routing_key: 'a.b' })]);
    // ack_requeue_true (the default) leaves it in the queue, redelivered.
    const again = (await (
      await api('POST', '/api/queues/%2F/mgmt.q/get', { ackmode: 'ack_requeue_false' })
    ).json()) as { redelivered: boolean }[];
    expect(again).toEqual([expect.objectContaining({ redelivered: true })]);

    expect((await api('DELETE', '/api/queues/%2F/mgmt.q')).status).toBe(204);
    expect((await api('GET', '/api/queues/%2F/mgmt.q')).status).toBe(404);
    expect((await api('DELETE', '/api/exchanges/%2F/mgmt.x')).status).toBe(204);
  });

  it('maps core errors to HTTP: reserved name 403, missing exchange 404, inequivalent redeclare 400, bad body 400', async () => {
    expect((await api('PUT', '/api/exchanges/%2F/amq.custom', { type: 'topic' })).status).toBe(403);
    expect(
      (await api('POST', '/api/exchanges/%2F/nope/publish', { routing_key: 'k', payload: 'x' }))
        .status,
    ).toBe(404);
    expect((await api('PUT', '/api/exchanges/%2F/amq.topic', { type: 'fanout' })).status).toBe(400);
    const bad = await api('PUT', '/api/queues/%2F/q', { durable: 'yes' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { reason: string }).reason).toMatch(/durable/);
    expect((await api('GET', '/api/queues/nosuchvhost')).status).toBe(404);
  });

  it('lists a live AMQP 0-9-1 connection; closing an unknown id is 404', async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${gw.port('amqp091')}`);
    try {
      const list = (await (await api('GET', '/api/connections')).json()) as { protocol: string }[];
      expect(list.some((c) => c.protocol === 'amqp091')).toBe(true);
      expect((await api('DELETE', '/api/connections/no-such-connection')).status).toBe(404);
    } finally {
      await conn.close();
    }
  });
});

describe('/metrics, /healthz, /readyz', () => {
  it('probes answer without credentials', async () => {
    expect((await fetch(`${gw.managementUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${gw.managementUrl}/readyz`)).json()).toEqual({ status: 'ready' });
  });

  it('Prometheus text shows publish outcomes, queue depth and process metrics after traffic', async () => {
    await api('PUT', '/api/queues/%2F/metrics.q', { durable: false });
    await api('POST', '/api/exchanges/amq.default/publish', {
      routing_key: 'x',
      payload: 'x',
    }).catch(() => undefined);
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${gw.port('amqp091')}`);
    const ch = await conn.createConfirmChannel();
    ch.publish('', 'metrics.q', Buffer.from('m'));
    ch.publish('amq.direct', 'unbound-key', Buffer.from('m'));
    await ch.waitForConfirms();
    await conn.close();
    const res = await fetch(`${gw.managementUrl}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^gateway_queue_messages_ready\{vhost="\/",queue="metrics\.q"\} 1$/m);
    expect(text).toMatch(/^gateway_publishes_total\{vhost="\/",outcome="routed"\} [1-9]\d*$/m);
    expect(text).toMatch(/^gateway_publishes_total\{vhost="\/",outcome="unroutable"\} [1-9]\d*$/m);
    expect(text).toMatch(/^gateway_connections_opened_total\{protocol="amqp091"\} [1-9]\d*$/m);
    expect(text).toMatch(/^gateway_process_resident_memory_bytes \d+/m);
  });
});
