/**
 * How MQTT session state is laid out in the gateway store's keyed-record area (see
 * session-durable.ts). One area per kind of state and vhost:
 *
 *   mqtt:<vhost>:subs   <clientId>                 the session's subscriptions
 *   mqtt:<vhost>:out    <clientId> NUL <seq, hex>  one queued or in-flight outgoing packet
 *   mqtt:<vhost>:in     <clientId> NUL <packet id> one inbound QoS 2 packet awaiting PUBREL
 *   mqtt:<vhost>:will   <clientId>                 the will of a connected client
 *
 * A client id never holds U+0000 [MQTT-1.5.3-2], so NUL ends it unambiguously; the sequence
 * is fixed-width hex so the store's key order is the queue order.
 */
import { deserialize, serialize } from 'node:v8';
import type { Store } from '../../src/spi.js';

export type SessionArea = 'subs' | 'out' | 'in' | 'will';

const SEQ_DIGITS = 13; // 2^52: more than any process will number

/** Writes and reads one vhost's session records. */
export class SessionRecords {
  readonly #store: Store;
  readonly #vhost: string;

  constructor(store: Store, vhost: string) {
    this.#store = store;
    this.#vhost = vhost;
  }

  put(area: SessionArea, key: string, value: unknown): Promise<void> {
    return this.#store.putRecord(this.#kind(area), key, serialize(value));
  }

  delete(area: SessionArea, key: string): Promise<void> {
    return this.#store.deleteRecord(this.#kind(area), key);
  }

  async list(area: SessionArea): Promise<{ key: string; value: unknown }[]> {
    const records = await this.#store.listRecords(this.#kind(area));
    return records.map((r) => ({ key: r.key, value: deserialize(r.value) as unknown }));
  }

  #kind(area: SessionArea): string {
    return `mqtt:${this.#vhost}:${area}`;
  }
}

export function clientKey(clientId: string, part: number, hex = false): string {
  return `${clientId}\u0000${hex ? part.toString(16).padStart(SEQ_DIGITS, '0') : String(part)}`;
}

/** The client id and the number after it. */
export function splitKey(key: string, hex = false): [clientId: string, part: number] {
  const at = key.lastIndexOf('\u0000');
  return [key.slice(0, at), Number.parseInt(key.slice(at + 1), hex ? 16 : 10)];
}
