/**
 * What the durable MQTT session persistence writes is what it loads: a fresh persistence over
 * the reopened SQLite store sees the same subscriptions (reported to the core again), outgoing
 * queue (order, packet ids, a PUBREL in place of its PUBLISH, DUP on what was sent) and
 * inbound QoS 2 packets, and nothing that was removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'aedes';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeliverablePacket } from '../../../adapters/mqtt/aedes-internals.js';
import { SessionRecords } from '../../../adapters/mqtt/session-records.js';
import { createSessionStore, type SessionStore } from '../../../adapters/mqtt/session-store.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-reload-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sqlite = (): SqliteStore =>
  new SqliteStore({ dataDir: dir, synchronous: 'normal', maxBatch: 64 });

/** The aedes-persistence calls this test makes besides the ones SessionStore declares. */
interface Extra {
  setup(broker: object): Promise<void>;
  subscriptionsByClient(client: object): Promise<{ topic: string; qos: number }[]>;
  incomingStorePacket(client: object, packet: object): Promise<void>;
  incomingGetPacket(client: object, packet: object): Promise<{ payload: Buffer }>;
  incomingDelPacket(client: object, packet: object): Promise<void>;
  outgoingClearMessageId(client: object, packet: object): Promise<unknown>;
}

async function open(filters: string[]): Promise<{ p: SessionStore & Extra; store: SqliteStore }> {
  const store = sqlite();
  await store.open();
  const p = createSessionStore(
    { added: (f) => filters.push(f), removed: () => undefined },
    () => false,
  ) as SessionStore & Extra;
  await p.setup({ id: 'broker', counter: 0 });
  await p.persist(new SessionRecords(store, '/'), true);
  return { p, store };
}

// The persistence reads only the id.
const client = { id: 'c1' } as unknown as Client;
const publish = (n: number, qos: 1 | 2): DeliverablePacket => ({
  cmd: 'publish',
  topic: `t/${n}`,
  payload: Buffer.from([n, 0, 255]),
  qos,
  retain: false,
  dup: false,
  brokerId: 'b',
  brokerCounter: n,
});

async function queued(p: SessionStore): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const packet of p.outgoingStream(client)) out.push(packet as Record<string, unknown>);
  return out;
}

describe('MQTT session persistence reloaded from the SQLite store', () => {
  it('[MQTT-4.4.0-1] [MQTT-4.3.3-2] comes back as it was written', async () => {
    const first = await open([]);
    await first.p.addSubscriptions(client, [
      { topic: 'a/#', qos: 1 },
      { topic: 'b', qos: 0 },
    ]);
    for (const n of [1, 2, 3, 4]) await first.p.outgoingEnqueue({ clientId: 'c1' }, publish(n, 2));
    await first.p.outgoingUpdate(client, { ...publish(1, 2), messageId: 11 });
    await first.p.outgoingUpdate(client, { ...publish(2, 2), messageId: 12 });
    await first.p.outgoingUpdate(client, { cmd: 'pubrel', messageId: 11 } as never);
    await first.p.outgoingUpdate(client, { ...publish(3, 2), messageId: 13 });
    await first.p.outgoingClearMessageId(client, { messageId: 12 });
    await first.p.incomingStorePacket(client, { ...publish(9, 2), messageId: 7 });
    await first.p.incomingStorePacket(client, { ...publish(8, 2), messageId: 8 });
    await first.p.incomingDelPacket(client, { messageId: 8 });
    await first.store.close();

    const filters: string[] = [];
    const second = await open(filters);
    expect(filters).toEqual(['a/#']);
    expect(await second.p.subscriptionsByClient(client)).toMatchObject([
      { topic: 'a/#', qos: 1 },
      { topic: 'b', qos: 0 },
    ]);
    const back = await queued(second.p);
    expect(back.map((x) => [x['cmd'], x['topic'], x['messageId'], x['dup']])).toEqual([
      ['pubrel', undefined, 11, undefined],
      ['publish', 't/3', 13, true],
      ['publish', 't/4', undefined, false],
    ]);
    expect(back[1]?.['payload']).toEqual(Buffer.from([3, 0, 255]));
    const inbound = await second.p.incomingGetPacket(client, { messageId: 7 });
    expect(inbound.payload).toEqual(Buffer.from([9, 0, 255]));
    await expect(second.p.incomingGetPacket(client, { messageId: 8 })).rejects.toThrow();
    // New entries go behind the loaded ones.
    await second.p.outgoingEnqueue({ clientId: 'c1' }, publish(5, 1));
    await second.store.close();
    const third = await open([]);
    expect((await queued(third.p)).map((x) => x['topic'] ?? x['cmd'])).toEqual([
      'pubrel',
      't/3',
      't/4',
      't/5',
    ]);
    await third.store.close();
  });
});
