import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../../src/spi.js';
import { CONNACK, toConnackError } from '../../../../adapters/mqtt/error-map.js';

describe('core errors -> CONNACK return codes (MQTT 3.1.1 3.2.2.3)', () => {
  it('maps authentication, access and other failures', () => {
    expect(toConnackError(new BrokerError('GW_ERR_AUTHENTICATION_FAILED', 'x')).returnCode).toBe(
      CONNACK.badUsernameOrPassword,
    );
    expect(toConnackError(new BrokerError('GW_ERR_ACCESS_REFUSED', 'x')).returnCode).toBe(
      CONNACK.notAuthorized,
    );
    expect(toConnackError(new BrokerError('GW_ERR_NOT_FOUND', 'no vhost')).returnCode).toBe(
      CONNACK.notAuthorized,
    );
    expect(toConnackError(new BrokerError('GW_ERR_INTERNAL', 'x')).returnCode).toBe(
      CONNACK.serverUnavailable,
    );
    expect(toConnackError(new Error('boom')).returnCode).toBe(CONNACK.serverUnavailable);
  });
});
