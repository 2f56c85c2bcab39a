import { createGateway, type Gateway } from '../../../src/gateway.js';
import type { GatewayConfigInput } from '../../../src/config/schema.js';
import type { ListenAddress, ProtocolName } from '../../../src/spi.js';

export interface TestGateway {
  readonly gateway: Gateway;
  readonly addresses: readonly ListenAddress[];
  /** The real port of a listener (port 0 in the config). */
  port(protocol: ProtocolName, transport?: ListenAddress['transport']): number;
  /** The management API's base URL. */
  readonly managementUrl: string;
  stop(): Promise<void>;
}

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isTree(b) && isTree(v) ? deepMerge(b, v) : v;
  }
  return out;
}

const loopback = { host: '127.0.0.1', port: 0 };

/** guest/guest with scrypt cost 2^10 instead of 2^14: logins stay cheap when a test opens
 * hundreds of connections on 2 shared cores. */
export const CHEAP_GUEST = {
  username: 'guest',
  passwordHash: 'scrypt$1024$dGVzdC1zYWx0LWd1ZXN0MQ==$iH2eruBdIr4dxN/X3yybP5s8EsR8uNx8pqXhb09Y+sU=',
  vhosts: ['/'],
  tags: ['administrator'],
};

/** Every listener on loopback port 0 (so test files run in parallel), the memory store, a cheap
 * guest login and silent logs; values in `config` win over these. */
const TEST_DEFAULTS: GatewayConfigInput = {
  log: { level: 'silent' },
  auth: { users: [CHEAP_GUEST] },
  store: { type: 'memory' },
  amqp: loopback,
  management: loopback,
  protocols: {
    mqtt: { tcp: loopback, ws: loopback },
    stomp: { tcp: loopback, ws: loopback },
  },
};

export async function startTestGateway(config: GatewayConfigInput = {}): Promise<TestGateway> {
  const gateway = createGateway(deepMerge(TEST_DEFAULTS, config));
  const { addresses, management } = await gateway.start();
  return {
    gateway,
    addresses,
    port(protocol, transport = 'tcp') {
      const a = addresses.find((x) => x.protocol === protocol && x.transport === transport);
      if (!a) throw new Error(`no ${protocol}/${transport} listener`);
      return a.port;
    },
    managementUrl: management ? `http://127.0.0.1:${management.port}` : '',
    stop: () => gateway.stop({ graceful: false }),
  };
}
