/**
 * The one error catalogue. Every error the core raises carries a code from here; each adapter
 * translates codes to its protocol in one function. Codes are never reused or renumbered.
 * `replyCode` is the AMQP 0-9-1 reply code (the most precise of the protocols); `severity` says
 * whether the error closes the channel/link/session or the whole connection.
 */
export type ErrorSeverity = 'channel' | 'connection';

interface ErrorDef {
  readonly replyCode: number;
  readonly severity: ErrorSeverity;
  readonly description: string;
}

export const ERRORS = {
  GW_ERR_NOT_FOUND: {
    replyCode: 404,
    severity: 'channel',
    description: 'exchange, queue or vhost does not exist',
  },
  GW_ERR_RESOURCE_LOCKED: {
    replyCode: 405,
    severity: 'channel',
    description: 'exclusive queue or consumer held by another connection',
  },
  GW_ERR_PRECONDITION_FAILED: {
    replyCode: 406,
    severity: 'channel',
    description: 'redeclare with other arguments, if-unused/if-empty, bad argument value',
  },
  GW_ERR_ACCESS_REFUSED: {
    replyCode: 403,
    severity: 'channel',
    description: 'the operation is not permitted (default exchange, amq.* names, permissions)',
  },
  GW_ERR_AUTHENTICATION_FAILED: {
    replyCode: 403,
    severity: 'connection',
    description: 'bad username or password',
  },
  GW_ERR_RESOURCE_ERROR: {
    replyCode: 506,
    severity: 'connection',
    description: 'a limit was reached (queue full, too many consumers)',
  },
  GW_ERR_NOT_ALLOWED: {
    replyCode: 530,
    severity: 'connection',
    description: 'operation not allowed in the current state',
  },
  GW_ERR_INVALID_ARGUMENT: {
    replyCode: 406,
    severity: 'channel',
    description: 'malformed name, routing key or pattern',
  },
  GW_ERR_NOT_IMPLEMENTED: {
    replyCode: 540,
    severity: 'connection',
    description: 'the feature is not implemented',
  },
  GW_ERR_INTERNAL: {
    replyCode: 541,
    severity: 'connection',
    description: 'internal error (store failure, bug)',
  },
  GW_ERR_STORE_UNAVAILABLE: {
    replyCode: 541,
    severity: 'connection',
    description: 'the store could not persist the message',
  },
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERRORS;

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  readonly code: ErrorCode;
  readonly replyCode: number;
  readonly severity: ErrorSeverity;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    const def: ErrorDef = ERRORS[code];
    this.code = code;
    this.replyCode = def.replyCode;
    this.severity = def.severity;
  }
}

/** A queue refused a message after the publish returned (x-overflow reject-publish on a shared
 * queue, decided in Redis): the publish's commit rejects with it, and adapters answer as for a
 * refusal known at once (basic.nack, AMQP 1.0 `rejected`), not as for a failed store. */
export class QueueRefusedError extends BrokerError {
  readonly queue: string;

  constructor(queue: string) {
    super('GW_ERR_RESOURCE_ERROR', `queue '${queue}' is full and refused the message`);
    this.queue = queue;
  }
}

export function isBrokerError(err: unknown): err is BrokerError {
  return err instanceof BrokerError;
}
