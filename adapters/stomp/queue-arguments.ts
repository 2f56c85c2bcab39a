import type { Arguments, HeaderValue } from '../../src/spi.js';

/** A queue-declaration header with a bad value (STOMP ERROR, then close). */
export class QueueArgumentError extends Error {
  override readonly name = 'QueueArgumentError';
}

const INTEGER_ARGUMENTS = [
  'x-message-ttl',
  'x-expires',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
];
const STRING_ARGUMENTS = [
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-overflow',
  'x-queue-type',
];
const BOOLEAN_ARGUMENTS = ['x-single-active-consumer'];

/** Headers that declare the queue of a SUBSCRIBE or first SEND (anchors 2.5); never copied
 * into message headers. */
export const QUEUE_DECLARE_HEADERS: ReadonlySet<string> = new Set([
  'durable',
  'persistent',
  'auto-delete',
  'exclusive',
  'x-queue-name',
  ...INTEGER_ARGUMENTS,
  ...STRING_ARGUMENTS,
  ...BOOLEAN_ARGUMENTS,
]);

function bool(headers: ReadonlyMap<string, string>, name: string): boolean | undefined {
  const value = headers.get(name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') {
    throw new QueueArgumentError(`header '${name}' must be true or false, got '${value}'`);
  }
  return value === 'true';
}

export interface QueueHeaders {
  readonly durable: boolean | undefined;
  readonly autoDelete: boolean | undefined;
  readonly exclusive: boolean | undefined;
  readonly name: string | undefined;
  readonly arguments: Arguments;
}

/** Queue properties and `x-` arguments from SUBSCRIBE/SEND headers (RabbitMQ STOMP "Queue
 * Properties"); `persistent` is RabbitMQ's alias of `durable` on SUBSCRIBE. */
export function queueHeaders(
  headers: ReadonlyMap<string, string>,
  includePersistent: boolean,
): QueueHeaders {
  const args: Record<string, HeaderValue> = {};
  for (const name of INTEGER_ARGUMENTS) {
    const value = headers.get(name);
    if (value === undefined) continue;
    if (!/^\d{1,15}$/.test(value))
      throw new QueueArgumentError(
        `header '${name}' must be a non-negative integer, got '${value}'`,
      );
    args[name] = Number(value);
  }
  for (const name of STRING_ARGUMENTS) {
    const value = headers.get(name);
    if (value !== undefined) args[name] = value;
  }
  for (const name of BOOLEAN_ARGUMENTS) {
    const value = bool(headers, name);
    if (value !== undefined) args[name] = value;
  }
  return {
    durable:
      bool(headers, 'durable') ?? (includePersistent ? bool(headers, 'persistent') : undefined),
    autoDelete: bool(headers, 'auto-delete'),
    exclusive: bool(headers, 'exclusive'),
    name: headers.get('x-queue-name'),
    arguments: args,
  };
}
