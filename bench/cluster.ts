/**
 * Scale-out benchmark (issue 11): 1, 2 and 3 gateway nodes on one redis-server (cluster on),
 * and 2 on a 3-shard Redis Cluster, clients spread over the nodes, against single-node baselines
 * in the same run (memory store, sqlite store, the redis store without the cluster, and one
 * node on Redis with the cluster on, i.e. the cost of the Redis hop).
 * - MQTT QoS 0 fan-out: one publisher on node 1, two `bench/#` subscribers per node; msgs/s
 *   delivered (sum over subscribers).
 * - AMQP 0-9-1 work queue: one publisher with confirms and one consumer (prefetch 100, manual
 *   ack) per node on one durable queue; msgs/s consumed.
 * Every broker and the clients run in their own processes; on a 2-core machine the point is
 * the overhead of the Redis hop and correctness (delivered = expected), not scaling.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'amqplib';
import mqtt from 'mqtt';
import type { GatewayConfigInput } from '../src/config/schema.js';
import { startRedisCluster } from '../test/helpers/redis-cluster.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { benchGatewayConfig, startBroker, type Broker, type Endpoints } from './lib-brokers.js';
import { scaled, type BenchContext } from './lib-driver.js';
import { printRows, type BenchRow } from './lib-measure.js';
import { lines, spawnRole } from './lib-proc.js';

const BODY = Buffer.alloc(100, 97);
const FANOUT_MESSAGES = 20_000;
const WORK_MESSAGES = 20_000;
const SUBSCRIBERS_PER_NODE = 2;
const CONFIRM_WINDOW = 500;
const QUEUE = 'bench-work';
/** A run that makes no progress for this long is over (QoS 0 may drop under overload). */
const STALL_MS = 3_000;

interface ClientResult {
  readonly delivered: number;
  readonly expected: number;
  readonly seconds: number;
  /** Deliveries of a message already delivered (work queue: must be 0). */
  readonly duplicates?: number;
}

// ------------------------------------------------------------------ client roles

async function fanoutClient(eps: Endpoints[], messages: number): Promise<ClientResult> {
  const url = (ep: Endpoints): string => `mqtt://127.0.0.1:${String(ep.mqtt)}`;
  const opts = { protocolVersion: 4 as const, reconnectPeriod: 0, clean: true };
  const subs = await Promise.all(
    eps.flatMap((ep) =>
      Array.from({ length: SUBSCRIBERS_PER_NODE }, () => mqtt.connectAsync(url(ep), opts)),
    ),
  );
  let delivered = 0;
  let last = performance.now();
  for (const s of subs) {
    s.on('message', () => {
      delivered++;
      last = performance.now();
    });
    await s.subscribeAsync('bench/#', { qos: 0 });
  }
  const first = eps[0] as Endpoints;
  const pub = await mqtt.connectAsync(url(first), opts);
  const expected = messages * subs.length;
  const start = performance.now();
  for (let i = 0; i < messages; i++) {
    if (pub.publish('bench/t', BODY).stream.writableNeedDrain) {
      await new Promise<void>((resolve) => pub.stream.once('drain', resolve));
    }
  }
  last = performance.now();
  while (delivered < expected && performance.now() - last < STALL_MS) {
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (last - start) / 1000;
  await Promise.all([pub, ...subs].map((c) => c.endAsync(true)));
  return { delivered, expected, seconds };
}

async function workClient(eps: Endpoints[], messages: number): Promise<ClientResult> {
  const conns = await Promise.all(
    eps.map((ep) => connect(`amqp://guest:guest@127.0.0.1:${String(ep.amqp)}`, { noDelay: true })),
  );
  const setup = await (conns[0] as Awaited<ReturnType<typeof connect>>).createChannel();
  await setup.assertQueue(QUEUE, { durable: true });
  // Every node knows the queue before anyone publishes (topology propagates over pub/sub).
  for (const c of conns) {
    for (;;) {
      const ch = await c.createChannel();
      ch.on('error', () => undefined);
      const ok = await ch.checkQueue(QUEUE).then(
        () => true,
        () => false,
      );
      if (ok) {
        await ch.close();
        break;
      }
    }
  }
  let consumed = 0;
  let last = performance.now();
  const seen = new Set<string>();
  for (const c of conns) {
    const ch = await c.createChannel();
    await ch.prefetch(100);
    await ch.consume(QUEUE, (m) => {
      if (!m) return;
      seen.add(m.content.toString());
      consumed++;
      last = performance.now();
      ch.ack(m);
    });
  }
  const start = performance.now();
  const perNode = Math.ceil(messages / conns.length);
  await Promise.all(
    conns.map(async (c, n) => {
      const ch = await c.createConfirmChannel();
      let sent = 0;
      let confirmed = 0;
      const count = Math.min(perNode, messages - n * perNode);
      await new Promise<void>((resolve) => {
        const pump = (): void => {
          while (sent < count && sent - confirmed < CONFIRM_WINDOW) {
            const body = `${String(n)}-${String(sent++)}`;
            ch.publish(
              '',
              QUEUE,
              Buffer.from(body.padEnd(BODY.length, '.')),
              {
                persistent: true,
              },
              () => {
                if (++confirmed === count) resolve();
                else pump();
              },
            );
          }
        };
        if (count === 0) resolve();
        else pump();
      });
    }),
  );
  while (consumed < messages && performance.now() - last < STALL_MS) {
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (last - start) / 1000;
  await Promise.all(conns.map((c) => c.close()));
  return { delivered: consumed, expected: messages, seconds, duplicates: consumed - seen.size };
}

/** Persistent-session CONNECTs (clean=false, one QoS 1 subscription each): `first` on node 1,
 * then `again` the same ids on the last node (a handover between nodes when there are two).
 * Milliseconds per CONNECT, CONNACK to CONNACK, one at a time. */
async function connectClient(eps: Endpoints[], clients: number): Promise<ConnectResult> {
  const url = (ep: Endpoints): string => `mqtt://127.0.0.1:${String(ep.mqtt)}`;
  const opts = { protocolVersion: 4 as const, reconnectPeriod: 0, clean: false };
  const run = async (ep: Endpoints, subscribe: boolean): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < clients; i++) {
      const c = await mqtt.connectAsync(url(ep), { ...opts, clientId: `bench-${String(i)}` });
      if (subscribe) await c.subscribeAsync(`bench/${String(i)}`, { qos: 1 });
      await c.endAsync();
    }
    return (performance.now() - start) / clients;
  };
  const first = await run(eps[0] as Endpoints, true);
  const again = await run(eps[eps.length - 1] as Endpoints, false);
  return { first, again };
}

interface ConnectResult {
  readonly first: number;
  readonly again: number;
}

// ------------------------------------------------------------------ driver

async function clientRole<R = ClientResult>(args: readonly string[]): Promise<R> {
  const proc = spawnRole(fileURLToPath(import.meta.url), args);
  return JSON.parse(await lines(proc)()) as R;
}

interface Setup {
  readonly label: string;
  readonly nodes: number;
  readonly config: (i: number) => GatewayConfigInput;
  readonly cleanup?: () => Promise<void>;
}

async function withBrokers<T>(setup: Setup, fn: (brokers: Broker[]) => Promise<T>): Promise<T> {
  const brokers: Broker[] = [];
  try {
    for (let i = 0; i < setup.nodes; i++)
      brokers.push(await startBroker('gateway', setup.config(i)));
    return await fn(brokers);
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
  }
}

async function measure(setup: Setup, scenario: 'fanout' | 'work', messages: number) {
  return withBrokers(setup, async (brokers) => {
    const before = await Promise.all(brokers.map((b) => b.stats()));
    const r = await clientRole([
      `--${scenario}`,
      JSON.stringify(brokers.map((b) => b.endpoints)),
      String(messages),
    ]);
    const after = await Promise.all(brokers.map((b) => b.stats()));
    const cpu = after.reduce((s, a, i) => s + a.cpuMicros - (before[i]?.cpuMicros ?? 0), 0);
    return { ...r, cpuMicros: cpu, rss: Math.max(...after.map((a) => a.rss)) };
  });
}

const CONNECT_CLIENTS = 200;
/** guest/guest at scrypt cost 2^10 (as the tests): the default cost would make the password
 * check most of a CONNECT and hide the registry's share. */
const CHEAP_GUEST = {
  username: 'guest',
  passwordHash: 'scrypt$1024$dGVzdC1zYWx0LWd1ZXN0MQ==$iH2eruBdIr4dxN/X3yybP5s8EsR8uNx8pqXhb09Y+sU=',
  vhosts: ['/'],
};

/** The cost of the client-id registry on CONNECT: one node alone, one cluster node, and a
 * handover of every session to the other node. */
async function connectRows(setups: readonly Setup[], clients: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const setup of setups) {
    const cheap: Setup = {
      ...setup,
      config: (i) => ({ ...setup.config(i), auth: { users: [CHEAP_GUEST] } }),
    };
    const r = await withBrokers(cheap, (brokers) =>
      clientRole<ConnectResult>([
        '--connect',
        JSON.stringify(brokers.map((b) => b.endpoints)),
        String(clients),
      ]),
    );
    for (const [phase, ms] of [
      ['CONNECT + SUBSCRIBE, new session', r.first],
      [setup.nodes > 1 ? 'CONNECT on the other node (handover)' : 'CONNECT again', r.again],
    ] as const) {
      rows.push({
        group: 'cluster',
        scenario: `MQTT ${phase}, ${setup.label}`,
        broker: 'gateway',
        rate: 0,
        msgsPerSec: 1000 / ms,
        note: `${ms.toFixed(2)} ms per CONNECT (msgs/s = CONNECTs/s, one at a time)`,
      });
    }
  }
  return rows;
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const redis = await startRedis();
  const shards = await startRedisCluster();
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-cluster-'));
  // A fresh prefix per run: no queue or stream left from the previous one.
  const fresh = (): string => `b${randomBytes(3).toString('hex')}:`;
  const cluster = (nodes: number, onShards = false): Setup => {
    const prefix = fresh();
    const store = onShards
      ? { url: 'redis://unused', clusterNodes: [...shards.nodes], prefix }
      : { url: redis.url, prefix };
    return {
      label: `${String(nodes)} node(s), cluster on ${onShards ? 'a 3-shard Redis Cluster' : 'Redis'}`,
      nodes,
      config: (i) =>
        benchGatewayConfig({
          store: { type: 'redis', redis: store },
          cluster: { enabled: true, nodeId: `n${String(i + 1)}` },
        }),
    };
  };
  const setups = (): Setup[] => [
    { label: '1 node, memory store', nodes: 1, config: () => benchGatewayConfig() },
    {
      label: '1 node, sqlite store',
      nodes: 1,
      config: () => benchGatewayConfig({ dataDir, store: { type: 'sqlite', synchronous: 'full' } }),
    },
    {
      label: '1 node, redis store (no cluster)',
      nodes: 1,
      config: () =>
        benchGatewayConfig({
          store: { type: 'redis', redis: { url: redis.url, prefix: fresh() } },
        }),
    },
    cluster(1),
    cluster(2),
    cluster(3),
    cluster(2, true),
  ];
  const rows: BenchRow[] = [];
  try {
    for (const [scenario, n, name] of [
      ['fanout', scaled(ctx, FANOUT_MESSAGES), 'MQTT QoS 0 fan-out, 1 pub -> 2 subs per node'],
      [
        'work',
        scaled(ctx, WORK_MESSAGES),
        'AMQP 0-9-1 work queue, confirms + ack, 1 pub + 1 consumer per node',
      ],
    ] as const) {
      let base = 0;
      for (const s of setups()) {
        const r = await measure(s, scenario, n);
        const rate = r.delivered / r.seconds;
        base ||= rate;
        rows.push({
          group: 'cluster',
          scenario: `${name}, ${s.label}`,
          broker: 'gateway',
          rate: 0,
          delivered: r.delivered,
          expected: r.expected,
          msgsPerSec: rate,
          rssMiB: r.rss / 2 ** 20,
          cpuUsPerMsg: r.cpuMicros / Math.max(1, r.delivered),
          note: [
            `${(rate / base).toFixed(2)}x 1-node memory`,
            ...(r.duplicates ? [`${String(r.duplicates)} DUPLICATES`] : []),
            'CPU summed over nodes',
          ].join('; '),
        });
      }
    }
    rows.push(
      ...(await connectRows(
        [setups()[0] as Setup, cluster(1), cluster(2)],
        scaled(ctx, CONNECT_CLIENTS),
      )),
    );
  } finally {
    await Promise.all([redis.stop(), shards.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  }
  printRows(rows);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [role, eps, count] = process.argv.slice(2);
  if (role === '--connect') {
    const r = await connectClient(JSON.parse(eps ?? '[]') as Endpoints[], Number(count));
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  }
  if (role === '--fanout' || role === '--work') {
    const endpoints = JSON.parse(eps ?? '[]') as Endpoints[];
    const fn = role === '--fanout' ? fanoutClient : workClient;
    const r = await fn(endpoints, Number(count));
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  }
}
