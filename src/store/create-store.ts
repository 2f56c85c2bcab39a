import type { GatewayConfig } from '../config/schema.js';
import type { Store } from '../spi.js';
import { MemoryStore } from './memory-store.js';
import { SqliteStore } from './sqlite-store.js';

export function createStore(config: GatewayConfig): Store {
  const { type, synchronous, maxBatch } = config.store;
  return type === 'memory'
    ? new MemoryStore()
    : new SqliteStore({ dataDir: config.dataDir, synchronous, maxBatch });
}
