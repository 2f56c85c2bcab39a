/**
 * Protocol errors and the one translation from the core's BrokerError to AMQP 0-9-1
 * (channel.close for soft errors, connection.close for hard ones, AMQP 0-9-1 §1.2 constants).
 */
import { isBrokerError } from '../../src/spi.js';

export const REPLY = {
  SUCCESS: 200,
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;

const REPLY_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(REPLY).map(([name, code]) => [code, name]),
);

/** Soft errors close the channel; every other code is a hard (connection) error (§1.2). */
const SOFT = new Set<number>([
  REPLY.CONTENT_TOO_LARGE,
  REPLY.NO_ROUTE,
  REPLY.NO_CONSUMERS,
  REPLY.ACCESS_REFUSED,
  REPLY.NOT_FOUND,
  REPLY.RESOURCE_LOCKED,
  REPLY.PRECONDITION_FAILED,
]);

export type ErrorScope = 'channel' | 'connection';

export class AmqpError extends Error {
  override readonly name = 'AmqpError';
  readonly replyCode: number;
  readonly scope: ErrorScope;
  /** The method that failed (class << 16 | method), 0 when no method is at fault. */
  methodId: number;

  constructor(
    replyCode: number,
    text: string,
    opts?: { scope?: ErrorScope; methodId?: number; cause?: unknown },
  ) {
    super(text, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.replyCode = replyCode;
    this.scope = opts?.scope ?? (SOFT.has(replyCode) ? 'channel' : 'connection');
    this.methodId = opts?.methodId ?? 0;
  }

  /** RabbitMQ's reply-text form: `NOT_FOUND - no queue 'q' in vhost '/'`, cut to a shortstr. */
  get replyText(): string {
    const text = `${REPLY_NAMES.get(this.replyCode) ?? 'ERROR'} - ${this.message}`;
    return Buffer.byteLength(text) > 255
      ? Buffer.from(text)
          .subarray(0, 255)
          .toString('utf8')
          .replace(/\uFFFD$/, '')
      : text;
  }
}

/**
 * THE translation from anything thrown while handling a method to an AMQP error: BrokerErrors
 * keep their reply code and severity, our AmqpErrors pass through, anything else is a bug and
 * becomes 541 INTERNAL_ERROR on the connection.
 */
export function toAmqpError(err: unknown, methodId: number): AmqpError {
  if (err instanceof AmqpError) {
    if (err.methodId === 0) err.methodId = methodId;
    return err;
  }
  if (isBrokerError(err)) {
    return new AmqpError(err.replyCode, err.message, { scope: err.severity, methodId, cause: err });
  }
  const text = err instanceof Error ? err.message : String(err);
  return new AmqpError(REPLY.INTERNAL_ERROR, text, { scope: 'connection', methodId, cause: err });
}
