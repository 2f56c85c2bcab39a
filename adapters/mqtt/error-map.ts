/**
 * The one place core errors become MQTT 3.1.1 answers. MQTT 3.1.1 can only say "no" in a
 * CONNACK return code or a SUBACK 0x80; anything else closes the connection.
 */
import { isBrokerError } from '../../src/spi.js';

/** CONNACK return codes (MQTT 3.1.1 3.2.2.3). */
export const CONNACK = {
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

export type ConnackRefusal = (typeof CONNACK)[keyof typeof CONNACK];

/** SUBACK failure return code [MQTT-3.9.3-2]. */
export const SUBACK_FAILURE = 0x80;

/** An Error aedes turns into a CONNACK with `returnCode` before closing. */
export function connackError(
  returnCode: ConnackRefusal,
  message: string,
): Error & { returnCode: ConnackRefusal } {
  return Object.assign(new Error(message), { returnCode });
}

export function toConnackError(err: unknown): Error & { returnCode: ConnackRefusal } {
  if (!isBrokerError(err)) return connackError(CONNACK.serverUnavailable, String(err));
  switch (err.code) {
    case 'GW_ERR_AUTHENTICATION_FAILED':
      return connackError(CONNACK.badUsernameOrPassword, err.message);
    case 'GW_ERR_ACCESS_REFUSED':
    case 'GW_ERR_NOT_FOUND':
      return connackError(CONNACK.notAuthorized, err.message);
    default:
      return connackError(CONNACK.serverUnavailable, err.message);
  }
}
