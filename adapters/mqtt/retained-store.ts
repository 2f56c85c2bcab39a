/**
 * Retained messages survive a restart and are the same on every cluster node: aedes keeps
 * serving them from its in-memory persistence (wildcard lookups included), every change is
 * also written to the gateway store, from which the adapter loads them back at start, and
 * announced to the other nodes (docs/cluster.md).
 */
import { deserialize, serialize } from 'node:v8';
import type { Peers, Store } from '../../src/spi.js';
import { deliveryQos, QOS_HEADER, type Qos } from './message-map.js';

const EMPTY = Buffer.alloc(0);

interface RetainedPacket {
  readonly cmd: 'publish';
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: Qos;
  readonly retain: true;
  readonly dup: false;
  readonly brokerId: string;
  readonly brokerCounter: number;
}

/** The part of aedes' persistence that keeps retained messages. */
export interface RetainedPersistence {
  storeRetained(packet: RetainedPacket): Promise<void>;
}

export interface RetainedOptions {
  readonly store: Store;
  readonly vhost: string;
  readonly brokerId: string;
  readonly peers: Peers;
  readonly onError: (err: unknown) => void;
}

interface Announced {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: Qos;
}

/** Loads the stored retained messages into `persistence`, then mirrors every later change to
 * the store and announces it to the other nodes, which apply it to their memory; each reload
 * (other nodes' resync) converges the memory to the store again. */
export async function persistRetained(
  persistence: RetainedPersistence,
  opts: RetainedOptions,
): Promise<void> {
  const { store, vhost, peers } = opts;
  const inMemory = persistence.storeRetained.bind(persistence);
  const subject = `mqtt:retained:${vhost}`;
  const known = new Set<string>();
  // An empty payload clears the retained message [MQTT-3.3.1-10].
  const apply = async (topic: string, payload: Buffer, qos: Qos): Promise<void> => {
    if (payload.length === 0) known.delete(topic);
    else known.add(topic);
    await inMemory({
      cmd: 'publish',
      topic,
      payload,
      qos,
      retain: true,
      dup: false,
      brokerId: opts.brokerId,
      brokerCounter: 0,
    });
  };
  const reload = async (): Promise<void> => {
    const stored = await store.listRetained(vhost);
    const present = new Set(stored.map((r) => r.topic));
    for (const topic of [...known]) if (!present.has(topic)) await apply(topic, EMPTY, 0);
    for (const r of stored) await apply(r.topic, r.message.body, deliveryQos(r.message));
  };
  await reload();
  peers.onAnnouncement(subject, (payload) => {
    const a = deserialize(payload) as Announced;
    apply(a.topic, a.payload, a.qos).catch(opts.onError);
  });
  peers.onResync(() => {
    reload().catch(opts.onError);
  });
  persistence.storeRetained = async (packet) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    await apply(packet.topic, payload, packet.qos);
    await (payload.length === 0
      ? store.deleteRetained(vhost, packet.topic)
      : store.putRetained({
          vhost,
          topic: packet.topic,
          message: {
            exchange: '',
            routingKey: '',
            headers: { [QOS_HEADER]: packet.qos },
            properties: { persistent: packet.qos > 0 },
            body: payload,
            origin: { protocol: 'mqtt', connectionId: 'retained' },
          },
        }));
    const announced: Announced = { topic: packet.topic, payload, qos: packet.qos };
    peers.announce(subject, serialize(announced));
  };
}
