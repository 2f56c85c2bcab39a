import { createGateway, type Gateway } from '../../../src/gateway.js';
import type { GatewayConfigInput } from '../../../src/config/schema.js';
import type { ListenAddress, ProtocolName } from '../../../src/spi.js';

export interface TestGateway {
  readonly gateway: Gateway;
  readonly addresses: readonly ListenAddress[];
  /** The real port of a listener (port 0 in the config). */
  port(protocol: ProtocolName, transport?: ListenAddress['transport']): number;
  stop(): Promise<void>;
}

/** A whole gateway on loopback with the AMQP listener on port 0, the memory store and silent
 * logs; values in `config` win over these. */
export async function startTestGateway(config: GatewayConfigInput = {}): Promise<TestGateway> {
  const gateway = createGateway({
    log: { level: 'silent' },
    store: { type: 'memory' },
    ...config,
    amqp: { host: '127.0.0.1', port: 0, ...config.amqp },
  });
  const { addresses } = await gateway.start();
  return {
    gateway,
    addresses,
    port(protocol, transport = 'tcp') {
      const a = addresses.find((x) => x.protocol === protocol && x.transport === transport);
      if (!a) throw new Error(`no ${protocol}/${transport} listener`);
      return a.port;
    },
    stop: () => gateway.stop({ graceful: false }),
  };
}
