import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Vhost } from '../core/vhost.js';
import type { Arguments, Delivery } from '../spi.js';
import type { ManagementDeps } from './http-server.js';
import { bindingView, deliveryView, exchangeView, queueView } from './views.js';

const args = z.record(z.string(), z.unknown()).default({});

const exchangeBody = z.object({
  type: z.enum(['direct', 'fanout', 'topic', 'headers']),
  durable: z.boolean().default(true),
  auto_delete: z.boolean().default(false),
  internal: z.boolean().default(false),
  arguments: args,
});

const queueBody = z.object({
  durable: z.boolean().default(true),
  auto_delete: z.boolean().default(false),
  arguments: args,
});

const bindingBody = z.object({ routing_key: z.string().default(''), arguments: args });

const publishBody = z.object({
  routing_key: z.string(),
  payload: z.string(),
  payload_encoding: z.enum(['string', 'base64']).default('string'),
  properties: z
    .object({
      content_type: z.string().optional(),
      delivery_mode: z.union([z.literal(1), z.literal(2)]).optional(),
      headers: args,
    })
    .prefault({}),
});

const getBody = z.object({
  count: z.number().int().min(1).max(1000).default(1),
  ackmode: z.enum(['ack_requeue_true', 'ack_requeue_false']).default('ack_requeue_true'),
});

type VhostParams = { vhost: string };
type NamedParams = { vhost: string; name: string };
type BindingParams = { vhost: string; source: string; kind: 'q' | 'e'; destination: string };

/** The `/api` routes; `deps.broker` does the work, so the core rules (and errors) apply. */
export function registerApiRoutes(api: FastifyInstance, deps: ManagementDeps): void {
  const vhosts = (): Vhost[] => deps.broker.vhostNames().map((n) => deps.broker.vhost(n));
  const vhost = (name: string): Vhost => deps.broker.vhost(name);
  /** `GET <path>` over every vhost and `GET <path>/:vhost` for one. */
  const listRoutes = (path: string, list: (v: Vhost) => Record<string, unknown>[]): void => {
    api.get(path, async () => vhosts().flatMap(list));
    api.get<{ Params: VhostParams }>(`${path}/:vhost`, async (req) =>
      list(vhost(req.params.vhost)),
    );
  };

  api.get('/overview', async () => {
    const all = vhosts();
    const queues = all.flatMap((v) => v.listQueues());
    return {
      node: deps.nodeName,
      listeners: deps.listeners(),
      // RabbitMQ's node fields `mem_used`, `mem_limit`, `mem_alarm`.
      memory: {
        mem_used: process.memoryUsage.rss(),
        mem_limit: deps.memoryHighWatermark,
        mem_alarm: deps.memoryAlarm.raised,
      },
      object_totals: {
        connections: deps.connections().length,
        exchanges: all.reduce((n, v) => n + v.listExchanges().length, 0),
        queues: queues.length,
        consumers: queues.reduce((n, q) => n + q.consumerCount, 0),
      },
      queue_totals: {
        messages_ready: queues.reduce((n, q) => n + q.messageCount, 0),
        messages_unacknowledged: queues.reduce((n, q) => n + q.unackedCount, 0),
      },
    };
  });

  api.get('/vhosts', async () => vhosts().map((v) => ({ name: v.name })));

  api.get('/connections', async () => deps.connections());
  api.delete<{ Params: { id: string } }>('/connections/:id', async (req, reply) => {
    if (!deps.closeConnection(req.params.id, 'closed via the management API')) {
      return reply
        .code(404)
        .send({ error: 'not_found', reason: `no connection '${req.params.id}'` });
    }
    return reply.code(204).send();
  });

  listRoutes('/exchanges', (v) => v.listExchanges().map((x) => exchangeView(v.name, x)));
  api.put<{ Params: NamedParams }>('/exchanges/:vhost/:name', async (req, reply) => {
    const body = exchangeBody.parse(req.body ?? {});
    vhost(req.params.vhost).declareExchange({
      name: req.params.name,
      type: body.type,
      durable: body.durable,
      autoDelete: body.auto_delete,
      internal: body.internal,
      arguments: body.arguments as Arguments,
    });
    return reply.code(201).send();
  });
  api.delete<{ Params: NamedParams; Querystring: { 'if-unused'?: string } }>(
    '/exchanges/:vhost/:name',
    async (req, reply) => {
      vhost(req.params.vhost).deleteExchange(req.params.name, {
        ifUnused: req.query['if-unused'] === 'true',
      });
      return reply.code(204).send();
    },
  );
  api.post<{ Params: NamedParams }>('/exchanges/:vhost/:name/publish', async (req) => {
    const body = publishBody.parse(req.body);
    const result = vhost(req.params.vhost).publish({
      exchange: req.params.name,
      routingKey: body.routing_key,
      headers: body.properties.headers as Arguments,
      properties: {
        contentType: body.properties.content_type,
        persistent: body.properties.delivery_mode === 2,
      },
      body: Buffer.from(body.payload, body.payload_encoding === 'base64' ? 'base64' : 'utf8'),
      // Management publishes are AMQP 0-9-1-shaped, as in RabbitMQ's management plugin.
      origin: { protocol: 'amqp091', connectionId: 'management' },
    });
    await result.committed;
    return { routed: result.status === 'routed' };
  });

  listRoutes('/queues', (v) => v.listQueues().map((q) => queueView(v.name, q)));
  api.get<{ Params: NamedParams }>('/queues/:vhost/:name', async (req, reply) => {
    const v = vhost(req.params.vhost);
    const q = v.queue(req.params.name);
    if (!q)
      return reply.code(404).send({ error: 'not_found', reason: `no queue '${req.params.name}'` });
    return queueView(v.name, q);
  });
  api.put<{ Params: NamedParams }>('/queues/:vhost/:name', async (req, reply) => {
    const body = queueBody.parse(req.body ?? {});
    vhost(req.params.vhost).declareQueue({
      name: req.params.name,
      durable: body.durable,
      autoDelete: body.auto_delete,
      arguments: body.arguments as Arguments,
    });
    return reply.code(201).send();
  });
  api.delete<{ Params: NamedParams; Querystring: { 'if-unused'?: string; 'if-empty'?: string } }>(
    '/queues/:vhost/:name',
    async (req, reply) => {
      vhost(req.params.vhost).deleteQueue(req.params.name, {
        ifUnused: req.query['if-unused'] === 'true',
        ifEmpty: req.query['if-empty'] === 'true',
      });
      return reply.code(204).send();
    },
  );
  api.delete<{ Params: NamedParams }>('/queues/:vhost/:name/contents', async (req, reply) => {
    vhost(req.params.vhost).purgeQueue(req.params.name);
    return reply.code(204).send();
  });
  api.post<{ Params: NamedParams }>('/queues/:vhost/:name/get', async (req) => {
    const body = getBody.parse(req.body ?? {});
    const v = vhost(req.params.vhost);
    const taken: Delivery[] = [];
    const out: Record<string, unknown>[] = [];
    for (let i = 0; i < body.count; i++) {
      const got = v.get(req.params.name);
      if (!got) break;
      taken.push(got.delivery);
      out.push(deliveryView(got.delivery, got.messageCount));
    }
    // Requeue only after taking them all, so `count` messages are distinct (RabbitMQ does so).
    for (const d of taken) {
      if (body.ackmode === 'ack_requeue_true') d.nack(true);
      else d.ack();
    }
    return out;
  });

  listRoutes('/bindings', (v) => v.listBindings().map((b) => bindingView(v.name, b)));
  api.post<{ Params: BindingParams }>(
    '/bindings/:vhost/e/:source/:kind/:destination',
    async (req, reply) => {
      const body = bindingBody.parse(req.body ?? {});
      const { vhost: vh, source, kind, destination } = req.params;
      if (kind === 'q')
        vhost(vh).bindQueue(destination, source, body.routing_key, body.arguments as Arguments);
      else
        vhost(vh).bindExchange(destination, source, body.routing_key, body.arguments as Arguments);
      return reply.code(201).send();
    },
  );
  api.delete<{ Params: BindingParams; Querystring: { routing_key?: string } }>(
    '/bindings/:vhost/e/:source/:kind/:destination',
    async (req, reply) => {
      const { vhost: vh, source, kind, destination } = req.params;
      const key = req.query.routing_key ?? '';
      if (kind === 'q') vhost(vh).unbindQueue(destination, source, key);
      else vhost(vh).unbindExchange(destination, source, key);
      return reply.code(204).send();
    },
  );
}
