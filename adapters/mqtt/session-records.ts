/**
 * How MQTT session state is laid out in the gateway store's keyed-record area (see
 * session-durable.ts). One area per kind of state and vhost:
 *
 *   mqtt:<vhost>:subs   <clientId>                 the session's subscriptions
 *   mqtt:<vhost>:out    <clientId> NUL <id>        one queued or in-flight outgoing packet
 *   mqtt:<vhost>:in     <clientId> NUL <packet id> one inbound QoS 2 packet awaiting PUBREL
 *   mqtt:<vhost>:will   <clientId>                 the will of a connected client
 *
 * A client id never holds U+0000 [MQTT-1.5.3-2], so NUL ends it unambiguously; an `out` id is
 * a fixed-width hex sequence and the writing process's tag (session-outgoing.ts), so the
 * store's key order is the queue order and two nodes never write the same key.
 *
 * A value is `u8 0 | V8(value)`, or for a packet with a payload `u8 1 | u32 metaLength |
 * V8(packet without payload) | payload`: the payload bytes as they are, not through V8's
 * slower Buffer path.
 */
import { deserialize, serialize } from 'node:v8';
import type { Store } from '../../src/spi.js';

export type SessionArea = 'subs' | 'out' | 'in' | 'will';

/** Writes and reads one vhost's session records. */
export class SessionRecords {
  readonly #store: Store;
  readonly #vhost: string;
  /** Writes not yet committed, by client id: a session handed to another node goes only once
   * its state is in the store. */
  readonly #writing = new Map<string, Set<Promise<void>>>();

  constructor(store: Store, vhost: string) {
    this.#store = store;
    this.#vhost = vhost;
  }

  put(area: SessionArea, key: string, value: unknown): Promise<void> {
    return this.#track(key, this.#store.putRecord(this.#kind(area), key, encode(value)));
  }

  delete(area: SessionArea, key: string): Promise<void> {
    return this.#track(key, this.#store.deleteRecord(this.#kind(area), key));
  }

  async list(area: SessionArea, keyPrefix?: string): Promise<{ key: string; value: unknown }[]> {
    const records = await this.#store.listRecords(this.#kind(area), keyPrefix);
    return records.map((r) => ({ key: r.key, value: decode(r.value) }));
  }

  /** One client's records of an area: its own key, or keys `<clientId> NUL ...`. */
  async listClient(
    area: SessionArea,
    clientId: string,
  ): Promise<{ key: string; value: unknown }[]> {
    const prefix = `${clientId}\u0000`;
    return (await this.list(area, clientId)).filter(
      (r) => r.key === clientId || r.key.startsWith(prefix),
    );
  }

  /** Resolves once every write for `clientId` made so far has settled. */
  async settled(clientId: string): Promise<void> {
    await Promise.allSettled([...(this.#writing.get(clientId) ?? [])]);
  }

  #track(key: string, write: Promise<void>): Promise<void> {
    const clientId = clientIdOf(key);
    let set = this.#writing.get(clientId);
    if (!set) this.#writing.set(clientId, (set = new Set()));
    set.add(write);
    const done = (): void => {
      set.delete(write);
      if (set.size === 0 && this.#writing.get(clientId) === set) this.#writing.delete(clientId);
    };
    write.then(done, done);
    return write;
  }

  #kind(area: SessionArea): string {
    return `mqtt:${this.#vhost}:${area}`;
  }
}

const PLAIN = 0;
const WITH_PAYLOAD = 1;
const HEADER = 5;

function encode(value: unknown): Buffer {
  const payload = (value as { payload?: unknown } | undefined)?.payload;
  if (!Buffer.isBuffer(payload)) return Buffer.concat([Buffer.of(PLAIN), serialize(value)]);
  const meta = serialize({ ...(value as object), payload: undefined });
  const head = Buffer.allocUnsafe(HEADER);
  head.writeUInt8(WITH_PAYLOAD, 0);
  head.writeUInt32BE(meta.length, 1);
  return Buffer.concat([head, meta, payload]);
}

function decode(b: Buffer): unknown {
  if (b.readUInt8(0) === PLAIN) return deserialize(b.subarray(1));
  const end = HEADER + b.readUInt32BE(1);
  // Copied out, so it does not pin the buffer it was read from.
  return {
    ...(deserialize(b.subarray(HEADER, end)) as object),
    payload: Buffer.from(b.subarray(end)),
  };
}

export function clientKey(clientId: string, part: number): string {
  return `${clientId}\u0000${String(part)}`;
}

/** The client id a record key belongs to: all of it, or what comes before NUL. */
export function clientIdOf(key: string): string {
  const at = key.indexOf('\u0000');
  return at < 0 ? key : key.slice(0, at);
}

/** The client id and the number after it. */
export function splitKey(key: string): [clientId: string, part: number] {
  const at = key.lastIndexOf('\u0000');
  return [key.slice(0, at), Number.parseInt(key.slice(at + 1), 10)];
}
