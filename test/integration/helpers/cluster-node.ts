/**
 * One cluster node in its own process for the scale-out tests: Redis store and cluster on
 * $GW_REDIS_URL with prefix $GW_PREFIX, node id $GW_NODE_ID, every listener on loopback port 0.
 * Prints one JSON line with its ports once it listens; exits 0 after a graceful stop on SIGTERM.
 */
import { createGateway } from '../../../src/gateway.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const loopback = { host: '127.0.0.1', port: 0 };
const gateway = createGateway({
  name: env('GW_NODE_ID'),
  log: { level: 'silent' },
  auth: {
    users: [
      {
        username: 'guest',
        // guest/guest at scrypt cost 2^10, cheap for tests (as helpers/gateway.ts)
        passwordHash:
          'scrypt$1024$dGVzdC1zYWx0LWd1ZXN0MQ==$iH2eruBdIr4dxN/X3yybP5s8EsR8uNx8pqXhb09Y+sU=',
        vhosts: ['/'],
        tags: ['administrator'],
      },
    ],
  },
  store: {
    type: 'redis',
    redis: {
      url: env('GW_REDIS_URL'),
      prefix: env('GW_PREFIX'),
      // Seed nodes of a Redis Cluster, comma-separated; empty: the single Redis at the URL.
      clusterNodes: (process.env['GW_REDIS_CLUSTER'] ?? '').split(',').filter(Boolean),
    },
  },
  cluster: {
    enabled: true,
    nodeId: env('GW_NODE_ID'),
    nodeTimeoutMs: Number(process.env['GW_NODE_TIMEOUT_MS'] ?? 1_000),
    // Short, so a test sees a missed announcement repaired.
    resyncIntervalMs: Number(process.env['GW_RESYNC_MS'] ?? 1_000),
    blockMs: 200,
  },
  amqp: loopback,
  management: { enabled: false },
  protocols: {
    mqtt: { tcp: loopback, ws: loopback },
    stomp: { tcp: loopback, ws: loopback },
  },
});
const { addresses } = await gateway.start();
const port = (protocol: string): number | undefined =>
  addresses.find((a) => a.protocol === protocol && a.transport === 'tcp')?.port;
process.stdout.write(
  `${JSON.stringify({ amqp: port('amqp091'), mqtt: port('mqtt'), stomp: port('stomp') })}\n`,
);
process.once('SIGTERM', () => {
  gateway.stop({ graceful: true }).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
