import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthConsistency, authDigest } from '../../../src/cluster/auth-consistency.js';
import { ClusterKeys } from '../../../src/cluster/cluster-keys.js';
import { gatewayConfigSchema, type GatewayConfig } from '../../../src/config/schema.js';
import type { Logger } from '../../../src/spi.js';
import { startRedis, type RedisServer } from '../../helpers/redis-server.js';

let server: RedisServer;
let redis: Redis;
const keys = new ClusterKeys('auth-test:');

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

const base = gatewayConfigSchema.parse({}).auth;
const other: GatewayConfig['auth'] = {
  users: base.users.map((u) => ({ ...u, vhosts: ['/', 'other'] })),
};

function recorder(): { log: Logger; errors: object[] } {
  const errors: object[] = [];
  const log: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (obj) => errors.push(obj),
    child: () => log,
  };
  return { log, errors };
}

async function node(consumer: string, auth: GatewayConfig['auth'], log: Logger) {
  await redis.set(keys.node(consumer), '1');
  return new AuthConsistency({ redis, keys, consumer, auth, log });
}

describe('cluster: users and permissions are the same on every node', () => {
  it('the digest ignores the order of keys and changes with any user or permission', () => {
    const reordered = {
      users: base.users.map((u) => Object.fromEntries(Object.entries(u).reverse())),
    };
    expect(authDigest(reordered as GatewayConfig['auth'])).toBe(authDigest(base));
    expect(authDigest(other)).not.toBe(authDigest(base));
  });

  it('a node whose auth section differs from a live node is reported once; dead nodes are forgotten', async () => {
    const a = recorder();
    const b = recorder();
    const nodeA = await node('a.1', base, a.log);
    const nodeB = await node('b.1', other, b.log);
    const nodeC = await node('c.1', base, recorder().log);
    expect(await nodeA.check()).toEqual([]);
    expect(await nodeC.check()).toEqual([]);
    expect(await nodeB.check()).toEqual(['a.1', 'c.1']);
    expect(await nodeA.check()).toEqual(['b.1']);
    expect(await nodeA.check()).toEqual(['b.1']);
    expect(a.errors).toHaveLength(1);
    expect(a.errors[0]).toEqual({ nodes: ['b.1'] });

    // B is reconfigured like the others and restarts as a new consumer; the old one is dead.
    await redis.del(keys.node('b.1'));
    const nodeB2 = await node('b.2', base, b.log);
    expect(await nodeB2.check()).toEqual([]);
    expect(await nodeA.check()).toEqual([]);
    expect(await redis.hkeys(keys.authDigests)).not.toContain('b.1');
    await nodeB2.leave();
    expect(await redis.hkeys(keys.authDigests)).not.toContain('b.2');
  });
});
