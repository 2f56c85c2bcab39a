import { describe, expect, it } from 'vitest';
import { BrokerError, ERRORS, type ErrorCode } from '../../../../src/spi.js';
import { toAmqp10Error } from '../../../../adapters/amqp10/errors.js';

describe('core errors -> AMQP 1.0 error conditions (AMQP 1.0 2.8.15)', () => {
  it.each(Object.keys(ERRORS) as ErrorCode[])(
    '%s has an amqp: condition and a scope from its severity',
    (code) => {
      const e = toAmqp10Error(new BrokerError(code, 'why'));
      expect(e.condition).toMatch(/^amqp:[a-z-]+$/);
      expect(e.description).toBe('why');
      expect(e.scope).toBe(ERRORS[code].severity === 'channel' ? 'link' : 'connection');
    },
  );

  it('not-found, resource-locked and access-refused keep their AMQP 1.0 names', () => {
    expect(toAmqp10Error(new BrokerError('GW_ERR_NOT_FOUND', 'x')).condition).toBe(
      'amqp:not-found',
    );
    expect(toAmqp10Error(new BrokerError('GW_ERR_RESOURCE_LOCKED', 'x')).condition).toBe(
      'amqp:resource-locked',
    );
    expect(toAmqp10Error(new BrokerError('GW_ERR_ACCESS_REFUSED', 'x')).condition).toBe(
      'amqp:unauthorized-access',
    );
  });

  it('anything else is an internal error that closes the connection', () => {
    expect(toAmqp10Error(new Error('bug'))).toEqual({
      condition: 'amqp:internal-error',
      description: 'internal error',
      scope: 'connection',
    });
  });
});
