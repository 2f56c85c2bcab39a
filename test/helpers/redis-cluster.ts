/**
 * A throwaway 3-master Redis Cluster on free loopback ports (every slot assigned, no
 * replicas), for the tests of the `store.redis.clusterNodes` path. Each node's cluster bus gets
 * its own free port (`cluster-port`), so no port + 10000 arithmetic can fall off the range.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, startRedis, type RedisServer } from './redis-server.js';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 15_000;

export interface RedisCluster {
  /** Seed URLs, one per master. */
  readonly nodes: readonly string[];
  stop(): Promise<void>;
}

export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      const bus = await freePort();
      servers.push(
        await startRedis(undefined, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-port',
          String(bus),
          '--cluster-node-timeout',
          '2000',
        ]),
      );
    }
    const addrs = servers.map((s) => `127.0.0.1:${s.port}`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...addrs,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (const s of servers) {
      for (;;) {
        const { stdout } = await run('redis-cli', ['-p', String(s.port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster not ready:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return { nodes: servers.map((s) => s.url), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
