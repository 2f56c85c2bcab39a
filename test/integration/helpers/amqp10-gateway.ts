import { ADAPTERS } from '../../../src/adapters.js';
import type { GatewayConfigInput } from '../../../src/config/schema.js';
import { startTestGateway, type TestGateway } from './gateway.js';

/** A test gateway running the AMQP 1.0 adapter and only the `also` adapters (other adapters'
 * default ports stay free). */
export function startAmqp10Gateway(
  amqp10: Record<string, unknown> = {},
  also: readonly string[] = [],
  config: GatewayConfigInput = {},
): Promise<TestGateway> {
  const protocols: Record<string, unknown> = {};
  for (const entry of ADAPTERS) {
    protocols[entry.name] =
      entry.name === 'amqp10' ? amqp10 : { enabled: also.includes(entry.name) };
  }
  return startTestGateway({ ...config, protocols });
}
