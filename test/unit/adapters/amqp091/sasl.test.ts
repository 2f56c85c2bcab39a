import { describe, expect, it } from 'vitest';
import { AmqpError } from '../../../../adapters/amqp091/amqp-error.js';
import { encodeTable } from '../../../../adapters/amqp091/codec/field-table.js';
import { parseSaslResponse } from '../../../../adapters/amqp091/sasl.js';

describe('AMQP 0-9-1 §1.4.2.2 connection.start-ok SASL responses', () => {
  it('PLAIN (RFC 4616): authzid NUL authcid NUL passwd', () => {
    expect(parseSaslResponse('PLAIN', Buffer.from('\u0000guest\u0000se\u00e7ret'))).toEqual({
      mechanism: 'PLAIN',
      username: 'guest',
      password: 'se\u00e7ret',
    });
  });

  it('AMQPLAIN: a field table with LOGIN and PASSWORD', () => {
    const response = encodeTable({ LOGIN: 'u', PASSWORD: 'p' }).subarray(4);
    expect(parseSaslResponse('AMQPLAIN', response)).toEqual({
      mechanism: 'AMQPLAIN',
      username: 'u',
      password: 'p',
    });
  });

  it('EXTERNAL (RFC 4422 appendix A): the response is ignored, the verified certificate decides at login', () => {
    expect(parseSaslResponse('EXTERNAL', Buffer.from('someone-else'))).toEqual({
      mechanism: 'EXTERNAL',
    });
  });

  it('refuses malformed responses and unknown mechanisms with 403 ACCESS_REFUSED', () => {
    for (const [mech, resp] of [
      ['PLAIN', Buffer.from('guest')],
      ['AMQPLAIN', Buffer.from([5, 0x4c])],
      ['AMQPLAIN', encodeTable({ LOGIN: 'u' }).subarray(4)],
      ['CRAM-MD5', Buffer.alloc(0)],
    ] as const) {
      let err: unknown;
      try {
        parseSaslResponse(mech, resp);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AmqpError);
      expect((err as AmqpError).replyCode).toBe(403);
    }
  });
});
