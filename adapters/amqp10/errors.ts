import { isBrokerError, type ErrorCode } from '../../src/spi.js';

/** An AMQP 1.0 error (1.0 2.8.14) and what it ends: the link, or the whole connection. */
export interface Amqp10Error {
  readonly condition: string;
  readonly description: string;
  readonly scope: 'link' | 'connection';
}

const CONDITIONS: Record<ErrorCode, string> = {
  GW_ERR_NOT_FOUND: 'amqp:not-found',
  GW_ERR_RESOURCE_LOCKED: 'amqp:resource-locked',
  GW_ERR_PRECONDITION_FAILED: 'amqp:precondition-failed',
  GW_ERR_ACCESS_REFUSED: 'amqp:unauthorized-access',
  GW_ERR_AUTHENTICATION_FAILED: 'amqp:unauthorized-access',
  GW_ERR_RESOURCE_ERROR: 'amqp:resource-limit-exceeded',
  GW_ERR_NOT_ALLOWED: 'amqp:not-allowed',
  GW_ERR_INVALID_ARGUMENT: 'amqp:invalid-field',
  GW_ERR_NOT_IMPLEMENTED: 'amqp:not-implemented',
  GW_ERR_INTERNAL: 'amqp:internal-error',
  GW_ERR_STORE_UNAVAILABLE: 'amqp:resource-limit-exceeded',
};

/** The one translation of core errors to AMQP 1.0: channel-severity errors end the link they
 * happened on, connection-severity errors close the connection. */
export function toAmqp10Error(err: unknown): Amqp10Error {
  if (isBrokerError(err)) {
    return {
      condition: CONDITIONS[err.code],
      description: err.message,
      scope: err.severity === 'channel' ? 'link' : 'connection',
    };
  }
  return { condition: 'amqp:internal-error', description: 'internal error', scope: 'connection' };
}
