/**
 * Retained messages survive a restart: aedes keeps serving them from its in-memory persistence
 * (wildcard lookups included), and every change is also written to the gateway store, from
 * which the adapter loads them back at start.
 */
import type { Store } from '../../src/spi.js';
import { deliveryQos, QOS_HEADER, type Qos } from './message-map.js';

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
}

/** Loads the stored retained messages into `persistence`, then mirrors every later change. */
export async function persistRetained(
  persistence: RetainedPersistence,
  opts: RetainedOptions,
): Promise<void> {
  const { store, vhost } = opts;
  const inMemory = persistence.storeRetained.bind(persistence);
  for (const r of await store.listRetained(vhost)) {
    await inMemory({
      cmd: 'publish',
      topic: r.topic,
      payload: r.message.body,
      qos: deliveryQos(r.message),
      retain: true,
      dup: false,
      brokerId: opts.brokerId,
      brokerCounter: 0,
    });
  }
  persistence.storeRetained = async (packet) => {
    await inMemory(packet);
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    // An empty payload clears the retained message [MQTT-3.3.1-10].
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
  };
}
