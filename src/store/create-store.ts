import type { GatewayConfig } from '../config/schema.js';
import type { Store } from '../spi.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import { SqliteStore } from './sqlite-store.js';

export function createStore(config: GatewayConfig): Store {
  const { type, synchronous, maxBatch, redis } = config.store;
  switch (type) {
    case 'memory':
      return new MemoryStore();
    case 'redis':
      return new RedisStore({
        url: redis.url,
        clusterNodes: redis.clusterNodes,
        prefix: redis.prefix,
      });
    case 'sqlite':
      return new SqliteStore({ dataDir: config.dataDir, synchronous, maxBatch });
  }
}
