import { isBrokerError, type ErrorCode } from '../../src/spi.js';
import { StompParseError } from './frame-parser.js';
import { DestinationError } from './destination.js';
import { HeaderMappingError } from './header-mapping.js';
import { QueueArgumentError } from './queue-arguments.js';
import { HeartbeatHeaderError } from './negotiate.js';

/** A client frame that breaks STOMP rules: missing header, unknown id, bad state. */
export class StompProtocolError extends Error {
  override readonly name = 'StompProtocolError';
  /** The ERROR frame's short `message` header. */
  readonly title: string;

  constructor(title: string, detail: string) {
    super(detail);
    this.title = title;
  }
}

/** RabbitMQ's STOMP `message` header for each core error (rabbit_stomp_processor). */
const BROKER_TITLES: Readonly<Record<ErrorCode, string>> = {
  GW_ERR_NOT_FOUND: 'not_found',
  GW_ERR_RESOURCE_LOCKED: 'resource_locked',
  GW_ERR_PRECONDITION_FAILED: 'precondition_failed',
  GW_ERR_ACCESS_REFUSED: 'access_refused',
  GW_ERR_AUTHENTICATION_FAILED: 'Access refused',
  GW_ERR_RESOURCE_ERROR: 'resource_error',
  GW_ERR_NOT_ALLOWED: 'not_allowed',
  GW_ERR_INVALID_ARGUMENT: 'Invalid argument',
  GW_ERR_NOT_IMPLEMENTED: 'not_implemented',
  GW_ERR_INTERNAL: 'internal_error',
  GW_ERR_STORE_UNAVAILABLE: 'store_unavailable',
};

export interface ErrorContent {
  /** The `message` header. */
  readonly title: string;
  /** The ERROR body. */
  readonly detail: string;
  /** A bug or store failure rather than the client's fault: log it louder. */
  readonly internal: boolean;
}

/** The one place where any failure becomes STOMP ERROR frame content. */
export function errorContent(err: unknown): ErrorContent {
  if (err instanceof StompProtocolError)
    return { title: err.title, detail: err.message, internal: false };
  if (isBrokerError(err)) {
    return {
      title: BROKER_TITLES[err.code],
      detail: err.message,
      internal: err.code === 'GW_ERR_INTERNAL' || err.code === 'GW_ERR_STORE_UNAVAILABLE',
    };
  }
  if (err instanceof StompParseError)
    return { title: 'Malformed frame', detail: err.message, internal: false };
  if (err instanceof DestinationError)
    return { title: 'Invalid destination', detail: err.message, internal: false };
  if (
    err instanceof HeaderMappingError ||
    err instanceof QueueArgumentError ||
    err instanceof HeartbeatHeaderError
  ) {
    return { title: 'Invalid header', detail: err.message, internal: false };
  }
  return { title: 'Internal error', detail: 'internal error', internal: true };
}
