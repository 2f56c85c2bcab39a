/**
 * SASL responses of connection.start-ok (AMQP 0-9-1 §1.4.2.2): PLAIN (RFC 4616,
 * `authzid NUL authcid NUL passwd`), RabbitMQ's AMQPLAIN (a field table body with LOGIN and
 * PASSWORD) and EXTERNAL (RFC 4422 appendix A: the verified client certificate's CN).
 */
import type { ConnectionInfo, Credentials } from '../../src/spi.js';
import { AmqpError, REPLY } from './amqp-error.js';
import { decodeTable } from './codec/field-table.js';

export const SASL_MECHANISMS = ['PLAIN', 'AMQPLAIN'] as const;

/** connection.start `mechanisms`: EXTERNAL only where a certificate login is possible. */
export function offeredMechanisms(info: ConnectionInfo): readonly string[] {
  return info.peerIdentity ? [...SASL_MECHANISMS, 'EXTERNAL'] : SASL_MECHANISMS;
}

export function parseSaslResponse(mechanism: string, response: Buffer): Credentials {
  // The response (an optional authzid) is ignored, as RabbitMQ does: the certificate decides.
  if (mechanism === 'EXTERNAL') return { mechanism };
  if (mechanism === 'PLAIN') {
    const parts = response.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new AmqpError(REPLY.ACCESS_REFUSED, 'malformed PLAIN response');
    return { mechanism, username: parts[1], password: parts[2] };
  }
  if (mechanism === 'AMQPLAIN') {
    let table;
    try {
      table = decodeTable(response);
    } catch (err) {
      throw new AmqpError(REPLY.ACCESS_REFUSED, 'malformed AMQPLAIN response', { cause: err });
    }
    const login = table['LOGIN'];
    const password = table['PASSWORD'];
    if (typeof login !== 'string' || typeof password !== 'string') {
      throw new AmqpError(REPLY.ACCESS_REFUSED, 'AMQPLAIN response needs LOGIN and PASSWORD');
    }
    return { mechanism, username: login, password };
  }
  throw new AmqpError(REPLY.ACCESS_REFUSED, `unsupported authentication mechanism '${mechanism}'`);
}
