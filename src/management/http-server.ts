/**
 * The management HTTP API (RabbitMQ-management-shaped) and the Prometheus endpoint, on fastify.
 * `/api/*` needs an `administrator` user; `/metrics`, `/healthz` and `/readyz` are open, as
 * scrapers and probes expect.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Broker } from '../core/broker.js';
import { isBrokerError } from '../core/errors.js';
import type { PromMetrics } from '../metrics/metrics.js';
import type { Authenticator, ConnectionSummary, ListenAddress, MemoryAlarm } from '../spi.js';
import { basicAuth } from './basic-auth.js';
import { registerApiRoutes } from './routes.js';

export interface ManagementDeps {
  readonly broker: Broker;
  readonly authn: Authenticator;
  readonly metrics: PromMetrics;
  readonly nodeName: string;
  readonly memoryAlarm: MemoryAlarm;
  /** `memory.highWatermark` in bytes, 0 = no alarm. */
  readonly memoryHighWatermark: number;
  connections(): ConnectionSummary[];
  /** Close one client connection; false when no adapter has it. */
  closeConnection(id: string, reason: string): boolean;
  listeners(): readonly ListenAddress[];
  /** False while starting or stopping. */
  ready(): boolean;
}

export interface ManagementServer {
  readonly address: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

function httpStatus(err: unknown): number {
  if (err instanceof z.ZodError) return 400;
  if (!isBrokerError(err)) return 500;
  switch (err.replyCode) {
    case 404:
      return 404;
    case 403:
      return 403;
    case 405:
      return 409; // locked by another connection
    default:
      return err.severity === 'channel' ? 400 : 500;
  }
}

export function buildManagementApp(deps: ManagementDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  app.setErrorHandler(async (err, _req, reply) => {
    const status = httpStatus(err);
    await reply.code(status).send({
      error: isBrokerError(err) ? err.code : status === 400 ? 'bad_request' : 'internal_error',
      reason: err instanceof z.ZodError ? z.prettifyError(err) : (err as Error).message,
    });
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (!deps.ready()) return reply.code(503).send({ status: 'starting or stopping' });
    return { status: 'ready' };
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.header('content-type', deps.metrics.registry.contentType).send(text);
  });
  void app.register(
    async (api) => {
      api.addHook('onRequest', basicAuth(deps.authn));
      registerApiRoutes(api, deps);
    },
    { prefix: '/api' },
  );
  return app;
}

export async function startManagement(
  deps: ManagementDeps,
  opts: { readonly host: string; readonly port: number },
): Promise<ManagementServer> {
  const app = buildManagementApp(deps);
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address() as import('node:net').AddressInfo;
  return {
    address: { host: addr.address, port: addr.port },
    close: () => app.close(),
  };
}
