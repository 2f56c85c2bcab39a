/**
 * The SQLite store commits in a writer thread (src/store/sqlite-worker.ts): a commit never
 * blocks the event loop, a failed transaction rejects exactly the writes of its batch, and a
 * dead writer thread fails the store loudly instead of leaving writes pending.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function openStore(maxBatch = 64): Promise<SqliteStore> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-sqlite-writer-'));
  dirs.push(dir);
  const store = new SqliteStore({ dataDir: dir, synchronous: 'full', maxBatch });
  stores.push(store);
  await store.open();
  return store;
}

/** A third connection to the store's file, as another process would have. */
const sideConnection = (store: SqliteStore): Database.Database => new Database(store.path);

const turn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

const settled = async (p: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> => {
  let state: 'resolved' | 'rejected' | 'pending' = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await turn();
  return state;
};

const rejectionOf = async (p: Promise<unknown>): Promise<{ code?: unknown; message: string }> => {
  try {
    await p;
  } catch (err) {
    return err as { code?: unknown; message: string };
  }
  throw new Error('expected a rejection');
};

const value = (s: string): Buffer => Buffer.from(s);

describe('SQLite store writer thread', () => {
  it('a commit waiting for the file lock leaves the event loop free; it lands once the lock is released', async () => {
    const store = await openStore();
    const side = sideConnection(store);
    // Another writer holds the WAL write lock: the store's commit must wait for it (busy
    // timeout). Committing on the main thread would block this very test from releasing it.
    side.prepare('BEGIN IMMEDIATE').run();
    const write = store.putRecord('k', 'a', value('1'));
    for (let i = 0; i < 5; i++) await turn();
    expect(await settled(write)).toBe('pending');
    side.prepare('COMMIT').run();
    side.close();
    await write;
    expect(await store.listRecords('k')).toEqual([{ key: 'a', value: value('1') }]);
  });

  it('a failed transaction rejects every write of its batch and only those (maxBatch splits a backlog)', async () => {
    const store = await openStore(2);
    const side = sideConnection(store);
    side.exec('DROP TABLE retained');
    side.close();
    // One turn, maxBatch 2: [a, b] [c, retained] [e]; the middle transaction fails whole.
    const writes = [
      store.putRecord('k', 'a', value('a')),
      store.putRecord('k', 'b', value('b')),
      store.putRecord('k', 'c', value('c')),
      store.putRetained({
        vhost: '/',
        topic: 't',
        message: {
          exchange: 'amq.topic',
          routingKey: 't',
          headers: {},
          properties: {},
          body: value('r'),
          origin: { protocol: 'mqtt', connectionId: 'c1' },
        },
      }),
      store.putRecord('k', 'e', value('e')),
    ];
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    const err = (results[2] as PromiseRejectedResult).reason as { code: string; message: string };
    expect(err.code).toBe('GW_ERR_STORE_UNAVAILABLE');
    expect(err.message).toMatch(/no such table: retained/);
    expect((await store.listRecords('k')).map((r) => r.key)).toEqual(['a', 'b', 'e']);
  });

  it('a writer thread that exits rejects the queued writes, every later write and read with GW_ERR_STORE_UNAVAILABLE', async () => {
    const store = await openStore();
    await store.putRecord('k', 'before', value('x'));
    const thread = store.writerThread;
    expect(thread).toBeDefined();
    const exited = new Promise((resolve) => thread?.once('exit', resolve));
    const queued = store.putRecord('k', 'queued', value('y'));
    await thread?.terminate();
    await exited;
    const err = await rejectionOf(queued);
    expect(err.code).toBe('GW_ERR_STORE_UNAVAILABLE');
    expect(err.message).toMatch(/writer thread exited/);
    expect(await rejectionOf(store.putRecord('k', 'after', value('z')))).toMatchObject({
      code: 'GW_ERR_STORE_UNAVAILABLE',
    });
    expect(await rejectionOf(store.listRecords('k'))).toMatchObject({
      code: 'GW_ERR_STORE_UNAVAILABLE',
    });
    await store.close();
  });

  it('a writer thread that throws fails the store with its error', async () => {
    const store = await openStore();
    const thread = store.writerThread;
    const failed = new Promise((resolve) => thread?.once('error', resolve));
    // Nothing in the store sends this: it stands for a bug that throws inside the thread.
    thread?.postMessage({ type: 'no-such-request' });
    await failed;
    const err = await rejectionOf(store.putRecord('k', 'a', value('a')));
    expect(err.code).toBe('GW_ERR_STORE_UNAVAILABLE');
    expect(err.message).toMatch(/unknown writer request/);
  });

  it('close commits what is queued and stops the thread; reopening sees it', async () => {
    const store = await openStore();
    const thread = store.writerThread;
    const exited = new Promise((resolve) => thread?.once('exit', resolve));
    void store.putRecord('k', 'a', value('a'));
    await store.close();
    await exited;
    expect(store.writerThread).toBeUndefined();
    await store.open();
    expect((await store.listRecords('k')).map((r) => r.key)).toEqual(['a']);
  });
});
