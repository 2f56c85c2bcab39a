/**
 * Gateway nodes in child processes on one real redis-server (test/helpers/redis-server.ts), for
 * the scale-out tests. `node --import tsx`, never the tsx CLI: a SIGKILL must kill the node
 * itself, not a wrapper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import amqplib, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { startRedisCluster, type RedisCluster } from '../../helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../../helpers/redis-server.js';

const root = new URL('../../../', import.meta.url).pathname;
const script = new URL('./cluster-node.ts', import.meta.url).pathname;
const START_TIMEOUT_MS = 20_000;

export interface ClusterNode {
  readonly id: string;
  readonly amqp: number;
  readonly mqtt: number;
  readonly stomp: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface TestCluster<R = RedisServer> {
  readonly redis: R;
  /** The key prefix the nodes share. */
  readonly prefix: string;
  readonly nodes: ClusterNode[];
  /** Starts one more node on the same Redis and prefix. */
  addNode(id: string): Promise<ClusterNode>;
  stop(): Promise<void>;
}

export async function startCluster(
  ids: readonly string[],
  opts: { readonly nodeTimeoutMs?: number; readonly resyncIntervalMs?: number } = {},
): Promise<TestCluster> {
  const redis = await startRedis();
  return startNodes(ids, redis, { url: redis.url, clusterNodes: [] }, opts);
}

/** The same nodes on a 3-master Redis Cluster (`store.redis.clusterNodes`). */
export async function startClusterOnRedisCluster(
  ids: readonly string[],
): Promise<TestCluster<RedisCluster>> {
  const redis = await startRedisCluster();
  return startNodes(ids, redis, { url: 'redis://unused', clusterNodes: redis.nodes });
}

interface RedisTarget {
  readonly url: string;
  readonly clusterNodes: readonly string[];
}

async function startNodes<R extends { stop(): Promise<void> }>(
  ids: readonly string[],
  redis: R,
  target: RedisTarget,
  opts: { readonly nodeTimeoutMs?: number; readonly resyncIntervalMs?: number } = {},
): Promise<TestCluster<R>> {
  const prefix = `t${randomBytes(3).toString('hex')}:`;
  const nodes: ClusterNode[] = [];
  const addNode = async (id: string): Promise<ClusterNode> => {
    const node = await spawnNode(id, target, prefix, opts);
    nodes.push(node);
    return node;
  };
  try {
    // One after the other: the first one seeds the shared topology.
    for (const id of ids) await addNode(id);
  } catch (err) {
    for (const n of nodes) n.child.kill('SIGKILL');
    await redis.stop();
    throw err;
  }
  return {
    redis,
    prefix,
    nodes,
    addNode,
    async stop() {
      await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
      await redis.stop();
    },
  };
}

async function spawnNode(
  id: string,
  target: RedisTarget,
  prefix: string,
  opts: { readonly nodeTimeoutMs?: number; readonly resyncIntervalMs?: number },
): Promise<ClusterNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: {
      ...process.env,
      GW_REDIS_URL: target.url,
      GW_REDIS_CLUSTER: target.clusterNodes.join(','),
      GW_PREFIX: prefix,
      GW_NODE_ID: id,
      GW_NODE_TIMEOUT_MS: String(opts.nodeTimeoutMs ?? 1_000),
      GW_RESYNC_MS: String(opts.resyncIntervalMs ?? 1_000),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ports = await new Promise<{ amqp: number; mqtt: number; stomp: number }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`node ${id} did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`node ${id} exited at start`));
      });
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { amqp: number; mqtt: number; stomp: number });
      });
    },
  );
  return {
    id,
    ...ports,
    child,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Waits until `conn`'s node knows the queue (topology crosses nodes in one pub/sub hop). A
 * passive declare of an unknown queue closes its channel, so each try uses a new one. */
export async function queueVisible(conn: ChannelModel, queue: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = await conn.createChannel();
    probe.on('error', () => undefined);
    const ok = await probe.checkQueue(queue).then(
      () => true,
      () => false,
    );
    if (ok) {
      await probe.close();
      return;
    }
    if (Date.now() > deadline) throw new Error(`queue '${queue}' not visible`);
  }
}

/** A file's cluster: started before its tests, stopped after them with everything `closers`
 * holds (closed last-opened first). */
export interface ClusterFixture<R> {
  readonly cluster: TestCluster<R>;
  readonly closers: (() => Promise<unknown>)[];
  /** An AMQP 0-9-1 connection to `node` as guest, closed at the end. */
  readonly amqp: (node: ClusterNode) => Promise<ChannelModel>;
}

export function useCluster<R>(start: () => Promise<TestCluster<R>>): ClusterFixture<R> {
  let cluster: TestCluster<R> | undefined;
  const closers: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    cluster = await start();
  }, 60_000);
  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await cluster?.stop();
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('the cluster did not start');
      return cluster;
    },
    closers,
    amqp: async (node) => {
      const conn = await amqplib.connect(`amqp://guest:guest@127.0.0.1:${node.amqp}`);
      conn.on('error', () => undefined);
      closers.push(() => conn.close());
      return conn;
    },
  };
}
