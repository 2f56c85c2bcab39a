import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { storeContract } from '../../contract/store.contract.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

storeContract('memory', { make: () => new MemoryStore() });

let dir = '';
const sqlite = (): SqliteStore =>
  new SqliteStore({ dataDir: dir, synchronous: 'normal', maxBatch: 64 });
storeContract('sqlite', {
  make: () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-store-'));
    dirs.push(dir);
    return sqlite();
  },
  reopen: sqlite,
});
