import { BrokerError } from '../errors.js';
import type { Arguments, HeaderValue, Message, OverflowPolicy } from '../../spi.js';

/** Queue arguments (`x-...`) after validation. */
export interface QueueArgs {
  readonly messageTtl: number | undefined;
  readonly expires: number | undefined;
  readonly maxLength: number | undefined;
  readonly maxLengthBytes: number | undefined;
  readonly overflow: OverflowPolicy;
  readonly deadLetterExchange: string | undefined;
  readonly deadLetterRoutingKey: string | undefined;
  readonly maxPriority: number;
  readonly singleActiveConsumer: boolean;
}

/** RabbitMQ caps x-max-priority at 255 and recommends far less: each level is a sub-queue. */
export const MAX_PRIORITY_LIMIT = 255;
const OVERFLOW: readonly OverflowPolicy[] = ['drop-head', 'reject-publish', 'reject-publish-dlx'];

function fail(name: string, why: string): never {
  throw new BrokerError('GW_ERR_PRECONDITION_FAILED', `invalid arg '${name}': ${why}`);
}

/** Numbers may arrive plain, as bigint, or typed ({'!': 'long', value}) from AMQP tables. */
export function numeric(v: HeaderValue | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  if (typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && '!' in v) {
    return numeric((v as { value: HeaderValue }).value);
  }
  return Number.NaN;
}

function text(v: HeaderValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'object' && !Array.isArray(v) && '!' in v) {
    return text((v as { value: HeaderValue }).value);
  }
  return undefined;
}

function nonNegativeInt(args: Arguments, name: string, min = 0): number | undefined {
  const n = numeric(args[name]);
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < min) fail(name, `expected an integer >= ${min}`);
  return n;
}

function stringArg(args: Arguments, name: string): string | undefined {
  const raw = args[name];
  const s = text(raw);
  if (raw !== undefined && raw !== null && s === undefined) fail(name, 'expected a string');
  return s;
}

export function parseQueueArgs(args: Arguments): QueueArgs {
  const overflow = stringArg(args, 'x-overflow') ?? 'drop-head';
  if (!OVERFLOW.includes(overflow as OverflowPolicy))
    fail('x-overflow', `unknown policy '${overflow}'`);
  const maxPriority = nonNegativeInt(args, 'x-max-priority') ?? 0;
  if (maxPriority > MAX_PRIORITY_LIMIT) fail('x-max-priority', `at most ${MAX_PRIORITY_LIMIT}`);
  const sac = args['x-single-active-consumer'];
  if (sac !== undefined && typeof sac !== 'boolean')
    fail('x-single-active-consumer', 'expected a boolean');
  return {
    messageTtl: nonNegativeInt(args, 'x-message-ttl'),
    expires: nonNegativeInt(args, 'x-expires', 1),
    maxLength: nonNegativeInt(args, 'x-max-length'),
    maxLengthBytes: nonNegativeInt(args, 'x-max-length-bytes'),
    overflow: overflow as OverflowPolicy,
    deadLetterExchange: stringArg(args, 'x-dead-letter-exchange'),
    deadLetterRoutingKey: stringArg(args, 'x-dead-letter-routing-key'),
    maxPriority,
    singleActiveConsumer: sac === true,
  };
}

/** Per-message `expiration` is milliseconds as a decimal string (AMQP 0-9-1). */
export function parseExpiration(expiration: string | undefined): number | undefined {
  if (expiration === undefined) return undefined;
  if (!/^\d+$/.test(expiration)) {
    throw new BrokerError('GW_ERR_PRECONDITION_FAILED', `invalid expiration '${expiration}'`);
  }
  return Number(expiration);
}

/** When a message enqueued `now` expires: the shorter of the queue's x-message-ttl and the
 * message's expiration; 0 = never. */
export function expiresAtOf(args: QueueArgs, message: Message, now: number): number {
  const ttls = [args.messageTtl, parseExpiration(message.properties.expiration)].filter(
    (t): t is number => t !== undefined,
  );
  return ttls.length ? now + Math.min(...ttls) : 0;
}

/** An index into the priority levels: truncated and clamped to 0..x-max-priority, NaN = 0. */
export function priorityOf(args: QueueArgs, message: Message): number {
  const requested = Math.trunc(message.properties.priority ?? 0) || 0;
  return Math.min(Math.max(requested, 0), args.maxPriority);
}
