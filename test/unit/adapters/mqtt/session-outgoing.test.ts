/** The outgoing queues of stored MQTT sessions as two cluster nodes write them to one store. */
import { describe, expect, it } from 'vitest';
import { OutgoingQueues } from '../../../../adapters/mqtt/session-outgoing.js';
import { SessionRecords } from '../../../../adapters/mqtt/session-records.js';
import { MemoryStore } from '../../../../src/store/memory-store.js';

const publish = (n: number) => ({
  cmd: 'publish',
  topic: 't',
  qos: 1,
  payload: Buffer.from(String(n)),
  brokerId: 'b',
  brokerCounter: n,
});

describe('MQTT outgoing session queues', () => {
  it('two nodes queueing for one session in the same instant never write the same record key', async () => {
    const store = new MemoryStore();
    await store.open();
    const records = new SessionRecords(store, '/');
    const [a, b] = [new OutgoingQueues(), new OutgoingQueues()];
    a.attach(records);
    b.attach(records);
    // Same millisecond on both nodes: clock-based sequences alone would collide.
    await Promise.all(
      [0, 1, 2, 3].map((n) => (n % 2 === 0 ? a : b).enqueue({ clientId: 'dev' }, publish(n))),
    );
    const stored = await records.listClient('out', 'dev');
    expect(stored).toHaveLength(4);
    const loaded = new OutgoingQueues();
    loaded.load(stored);
    expect(loaded.ids('dev').size).toBe(4);
  });

  it('a record of an older version (sequence without a process tag) sorts before new ones', async () => {
    const store = new MemoryStore();
    await store.open();
    const records = new SessionRecords(store, '/');
    await records.put('out', 'dev\u00000000000000001', publish(0));
    const q = new OutgoingQueues();
    q.attach(records);
    q.load(await records.listClient('out', 'dev'));
    await q.enqueue({ clientId: 'dev' }, publish(1));
    const order = await new Promise<unknown[]>((resolve) => {
      const out: unknown[] = [];
      q.stream({ id: 'dev' })
        .on('data', (p: { brokerCounter: number }) => out.push(p.brokerCounter))
        .on('end', () => {
          resolve(out);
        });
    });
    expect(order).toEqual([0, 1]);
  });
});
