/** The Redis store on a real 3-master Redis Cluster (`store.redis.clusterNodes`): the whole store
 * contract, with a queue's keys in one slot and the group commit split by slot. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../../src/store/redis-store.js';
import { RedisKeys } from '../../../src/store/redis-keys.js';
import calculateSlot from 'cluster-key-slot';
import { storeContract } from '../../contract/store.contract.js';
import { startRedisCluster, type RedisCluster } from '../../helpers/redis-cluster.js';

let cluster: RedisCluster | undefined;
beforeAll(async () => {
  cluster = await startRedisCluster();
}, 30_000);
afterAll(async () => {
  await cluster?.stop();
});

let prefixes = 0;
let prefix = '';
const clusterStore = (): RedisStore =>
  new RedisStore({ url: 'redis://unused', clusterNodes: cluster?.nodes ?? [], prefix });

storeContract('redis-cluster', {
  make: () => {
    prefix = `rc${process.pid}-${++prefixes}:`;
    return clusterStore();
  },
  reopen: () => clusterStore(),
});

describe('Redis Cluster key layout', () => {
  it("a queue's keys share one slot; different queues spread over the slots", () => {
    const keys = new RedisKeys('gw:', true);
    const q = keys.queue('/', 'orders');
    const slots = new Set([q.ids, q.msgs, q.deliveries].map((k) => calculateSlot(k)));
    expect(slots.size).toBe(1);
    const spread = new Set(
      Array.from({ length: 20 }, (_, i) => calculateSlot(keys.queue('/', `q${i}`).ids)),
    );
    expect(spread.size).toBeGreaterThan(10);
  });

  it('a single Redis keeps the untagged names it always had', () => {
    expect(new RedisKeys('gw:').queue('/', 'orders').ids).toBe('gw:vh:/:q:orders:ids');
  });
});
