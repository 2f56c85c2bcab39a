import rhea from 'rhea';
import type { Arguments, ExchangeTypeName } from '../../src/spi.js';
import { toAmqp10Error } from './errors.js';
import type { LinkHost } from './link-host.js';

/** The address of RabbitMQ 4's management node (HTTP over AMQP 1.0, "v2" address format). */
export const MANAGEMENT_ADDRESS = '/management';

/** A response: the HTTP status (sent as the `subject`) and the amqp-value body. */
export interface ManagementResponse {
  readonly status: number;
  readonly body: unknown;
}

type Body = Readonly<Record<string, unknown>>;

const EXCHANGE_TYPES: readonly string[] = ['direct', 'fanout', 'topic', 'headers'];
/** Core conditions as the HTTP statuses RabbitMQ answers with. */
const STATUS: Readonly<Record<string, number>> = {
  'amqp:not-found': 404,
  'amqp:unauthorized-access': 403,
  'amqp:precondition-failed': 409,
  'amqp:resource-locked': 409,
  'amqp:invalid-field': 400,
  'amqp:not-allowed': 400,
  'amqp:not-implemented': 501,
};

/** Counts are ulongs in RabbitMQ's responses (rhea would pick uint for small numbers). */
function ulong(n: number): unknown {
  return rhea.types.wrap_ulong(n) as unknown;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * One management request (RabbitMQ 4 `/management` node: `subject` the HTTP method, `to` the
 * path, body an amqp-value map): declare, inspect, purge and delete queues, declare and delete
 * exchanges, bind and unbind. The official RabbitMQ AMQP 1.0 clients declare their topology
 * this way. Errors come back as a status and a text body; the links stay up.
 */
export function handleManagementRequest(
  host: LinkHost,
  method: string,
  path: string,
  body: unknown,
): ManagementResponse {
  try {
    return route(host, method, path, body);
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, body: err.message };
    const e = toAmqp10Error(err);
    return { status: STATUS[e.condition] ?? 500, body: e.description };
  }
}

function route(host: LinkHost, method: string, path: string, body: unknown): ManagementResponse {
  const [empty, collection, rawName, sub, ...extra] = path.split('/');
  if (empty !== '' || extra.length > 0) throw new HttpError(400, `bad path '${path}'`);
  const name = rawName === undefined ? undefined : decodePath(rawName);
  const is = (m: string): boolean => method === m;
  if (collection === 'bindings' && name === undefined && is('POST')) return bind(host, body);
  if (name === undefined || name === '') throw new HttpError(404, `no resource at '${path}'`);
  if (collection === 'queues' && sub === undefined) {
    if (is('PUT')) return declareQueue(host, name, body);
    if (is('GET')) return getQueue(host, name);
    if (is('DELETE')) return deleteQueue(host, name, false);
  } else if (collection === 'queues' && sub === 'messages') {
    if (is('DELETE')) return deleteQueue(host, name, true);
  } else if (collection === 'exchanges' && sub === undefined) {
    if (is('PUT')) return declareExchange(host, name, body);
    if (is('DELETE')) return deleteExchange(host, name);
  } else if (collection === 'bindings' && sub === undefined) {
    if (is('DELETE')) return unbind(host, rawName ?? '');
  } else {
    throw new HttpError(404, `no resource at '${path}'`);
  }
  throw new HttpError(405, `${method} is not allowed on '${path}'`);
}

function decodePath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `bad percent-encoding in '${segment}'`);
  }
}

function asBody(body: unknown): Body {
  if (body === null || body === undefined) return {};
  if (typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body))
    throw new HttpError(400, 'the body must be a map');
  return body as Body;
}

function flag(body: Body, key: string, fallback: boolean): boolean {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new HttpError(400, `'${key}' must be a boolean`);
  return v;
}

function text(body: Body, key: string, fallback?: string): string {
  const v = body[key] ?? fallback;
  if (typeof v !== 'string') throw new HttpError(400, `'${key}' must be a string`);
  return v;
}

function args(body: Body): Arguments {
  const v = body['arguments'];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new HttpError(400, "'arguments' must be a map");
  return v as Arguments;
}

/** PUT /queues/:queue: 201 when created, 200 when it existed with the same properties. */
function declareQueue(host: LinkHost, name: string, raw: unknown): ManagementResponse {
  const body = asBody(raw);
  const { vhost, connectionId } = host;
  host.authz.check(host.principal, 'configure', { vhost: host.vhostName, kind: 'queue', name });
  const durable = flag(body, 'durable', true);
  const exclusive = flag(body, 'exclusive', false);
  const autoDelete = flag(body, 'auto_delete', false);
  const existed = vhost.queueInfo(name) !== undefined;
  const info = vhost.declareQueue(
    {
      name,
      durable,
      autoDelete,
      exclusiveOwner: exclusive ? connectionId : undefined,
      arguments: args(body),
    },
    { connectionId },
  );
  const queueType = args(body)['x-queue-type'];
  return {
    status: existed ? 200 : 201,
    body: {
      ...queueBody(host, info.name, info.messageCount, info.consumerCount),
      // The core has one queue implementation; the type a client asked for is echoed.
      type: typeof queueType === 'string' ? queueType : 'classic',
      durable,
      exclusive,
      auto_delete: autoDelete,
      arguments: args(body),
    },
  };
}

/** GET /queues/:queue (the core reports counts; durability is known only to PUT). */
function getQueue(host: LinkHost, name: string): ManagementResponse {
  const info = host.vhost.queueInfo(name);
  if (!info) throw new HttpError(404, `no queue '${name}' in vhost '${host.vhostName}'`);
  return { status: 200, body: queueBody(host, name, info.messageCount, info.consumerCount) };
}

function queueBody(host: LinkHost, name: string, messages: number, consumers: number): Body {
  return {
    name,
    vhost: host.vhostName,
    type: 'classic',
    message_count: ulong(messages),
    consumer_count: rhea.types.wrap_uint(consumers),
  };
}

/** DELETE /queues/:queue and DELETE /queues/:queue/messages (purge): the messages removed. */
function deleteQueue(host: LinkHost, name: string, purge: boolean): ManagementResponse {
  const { vhost, connectionId } = host;
  host.authz.check(host.principal, purge ? 'read' : 'configure', {
    vhost: host.vhostName,
    kind: 'queue',
    name,
  });
  if (!vhost.queueInfo(name)) throw new HttpError(404, `no queue '${name}'`);
  const count = purge
    ? vhost.purgeQueue(name, { connectionId })
    : vhost.deleteQueue(name, { connectionId });
  return { status: 200, body: { message_count: ulong(count) } };
}

/** PUT /exchanges/:exchange: 204. */
function declareExchange(host: LinkHost, name: string, raw: unknown): ManagementResponse {
  const body = asBody(raw);
  const type = text(body, 'type', 'direct');
  if (!EXCHANGE_TYPES.includes(type)) throw new HttpError(400, `unknown exchange type '${type}'`);
  host.authz.check(host.principal, 'configure', { vhost: host.vhostName, kind: 'exchange', name });
  host.vhost.declareExchange({
    name,
    type: type as ExchangeTypeName,
    durable: flag(body, 'durable', true),
    autoDelete: flag(body, 'auto_delete', false),
    internal: flag(body, 'internal', false),
    arguments: args(body),
  });
  return { status: 204, body: null };
}

function deleteExchange(host: LinkHost, name: string): ManagementResponse {
  host.authz.check(host.principal, 'configure', { vhost: host.vhostName, kind: 'exchange', name });
  host.vhost.deleteExchange(name);
  return { status: 204, body: null };
}

interface Binding {
  readonly source: string;
  readonly queue: string | undefined;
  readonly exchange: string | undefined;
  readonly key: string;
}

/** POST /bindings {source, destination_queue | destination_exchange, binding_key, arguments}. */
function bind(host: LinkHost, raw: unknown): ManagementResponse {
  const body = asBody(raw);
  const queue = body['destination_queue'];
  const exchange = body['destination_exchange'];
  const binding: Binding = {
    source: text(body, 'source'),
    queue: typeof queue === 'string' ? queue : undefined,
    exchange: typeof exchange === 'string' ? exchange : undefined,
    key: text(body, 'binding_key', ''),
  };
  applyBinding(host, binding, args(body), true);
  return { status: 204, body: null };
}

/** DELETE /bindings/src=:source;dstq=:queue;key=:key;args= (or dste= for an exchange). */
function unbind(host: LinkHost, spec: string): ManagementResponse {
  const fields = new Map<string, string>();
  for (const part of spec.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at), decodePath(part.slice(at + 1)));
  }
  if (fields.get('args')) throw new HttpError(501, 'unbinding with arguments is not supported');
  const source = fields.get('src');
  if (source === undefined) throw new HttpError(400, `bad binding '${spec}'`);
  applyBinding(
    host,
    {
      source,
      queue: fields.get('dstq'),
      exchange: fields.get('dste'),
      key: fields.get('key') ?? '',
    },
    {},
    false,
  );
  return { status: 204, body: null };
}

/** Binding needs `write` on the destination and `read` on the source (as RabbitMQ). */
function applyBinding(host: LinkHost, b: Binding, a: Arguments, add: boolean): void {
  const { vhost, vhostName, principal, connectionId } = host;
  const destination = b.queue ?? b.exchange;
  if (destination === undefined || (b.queue !== undefined && b.exchange !== undefined))
    throw new HttpError(400, 'exactly one of destination_queue and destination_exchange');
  const kind = b.queue !== undefined ? 'queue' : 'exchange';
  host.authz.check(principal, 'write', { vhost: vhostName, kind, name: destination });
  host.authz.check(principal, 'read', {
    vhost: vhostName,
    kind: 'exchange',
    name: b.source,
    routingKey: b.key,
  });
  if (b.queue !== undefined) {
    if (add) vhost.bindQueue(b.queue, b.source, b.key, a, { connectionId });
    else vhost.unbindQueue(b.queue, b.source, b.key, a, { connectionId });
  } else if (add) vhost.bindExchange(destination, b.source, b.key, a);
  else vhost.unbindExchange(destination, b.source, b.key, a);
}
