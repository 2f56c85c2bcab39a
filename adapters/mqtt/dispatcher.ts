/**
 * Delivers messages arriving from the core to the MQTT clients of this node.
 *
 * The node has one core queue (see core-mq.ts) bound with the union of its clients' filters;
 * this index decides which clients get each message. A client gets a message once, at
 * min(published QoS, highest QoS among its matching subscriptions) (MQTT 3.1.1 3.3.5: overlapping
 * subscriptions), unlike aedes's own per-subscription listeners, which deliver at the QoS of
 * whichever listener ran first. Writes go straight to the client's stream, as aedes's own
 * write path does; QoS 0 packets are encoded once for all clients.
 */
import type { Writable } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import type { DeliverablePacket, ClientInternals } from './aedes-internals.js';
import { FilterIndex } from './filter-index.js';
import { InflightWindow } from './inflight-window.js';
import type { Qos } from './message-map.js';

interface SubEntry {
  readonly client: ClientInternals;
  readonly filter: string;
}

export interface DispatcherOptions {
  /** QoS 0 messages are dropped for a client with more than this many bytes unsent. */
  readonly qos0BufferLimit: number;
  /** Unacknowledged QoS 1/2 deliveries per client, and how many more may wait. */
  readonly inflightWindow: number;
  readonly maxQueuedMessages: number;
  /** Counts messages handed to clients. */
  readonly onDelivered: (n: number) => void;
  /** Records the packet id of a QoS 1/2 delivery in the offline copy of a session that
   * outlives the connection (aedes-persistence `outgoingUpdate`). */
  readonly outgoingUpdate: (client: ClientInternals, packet: DeliverablePacket) => Promise<void>;
}

const noop = (): void => undefined;

export class Dispatcher {
  readonly #index = new FilterIndex<SubEntry>();
  /** aedes identifies a subscription by its listener function. */
  readonly #byListener = new Map<unknown, SubEntry>();
  readonly #opts: DispatcherOptions;
  readonly #window: InflightWindow<ClientInternals>;
  /** Our unacknowledged QoS 1/2 deliveries per client: packet id -> on PUBACK / PUBCOMP. */
  readonly #unacked = new WeakMap<ClientInternals, Map<number, () => void>>();
  #encodedFor: object | undefined;
  #encodedQos: Qos = 0;
  #encoded: Buffer = Buffer.alloc(0);

  constructor(opts: DispatcherOptions) {
    this.#opts = opts;
    this.#window = new InflightWindow(opts.inflightWindow, opts.maxQueuedMessages);
  }

  /** The client sent PUBACK (QoS 1) or PUBCOMP (QoS 2) for `messageId`. Ids of aedes's own
   * sends (retained messages, stored-session replay) are not ours and are ignored. */
  acked(client: ClientInternals, messageId: number): void {
    const pending = this.#unacked.get(client);
    const settled = pending?.get(messageId);
    if (!pending || !settled) return;
    pending.delete(messageId);
    this.#window.acked(client);
    settled();
  }

  add(client: ClientInternals, filter: string, listener: unknown): void {
    const entry: SubEntry = { client, filter };
    this.#byListener.set(listener, entry);
    this.#index.add(filter, entry);
  }

  /** Returns false when the listener was not registered here. */
  remove(filter: string, listener: unknown): boolean {
    const entry = this.#byListener.get(listener);
    if (!entry) return false;
    this.#byListener.delete(listener);
    this.#index.remove(filter, entry);
    return true;
  }

  dispatch(packet: Omit<DeliverablePacket, 'qos'>, qos: Qos): void {
    const best = new Map<ClientInternals, number>();
    this.#index.match(packet.topic, (e) => {
      const granted = e.client.subscriptions[e.filter]?.qos ?? 0;
      const prev = best.get(e.client);
      if (prev === undefined || granted > prev) best.set(e.client, granted);
    });
    for (const [client, granted] of best)
      this.deliver(client, packet, Math.min(qos, granted) as Qos);
    this.#opts.onDelivered(best.size);
  }

  /** Hands one packet to one client at the given QoS. `done` runs once the packet is written
   * (or dropped); `settled` once the client acknowledged a QoS 1/2 delivery. */
  deliver(
    client: ClientInternals,
    packet: Omit<DeliverablePacket, 'qos'>,
    qos: Qos,
    done: () => void = noop,
    settled: () => void = noop,
  ): void {
    if (qos === 0) {
      this.#deliverQos0(client, packet);
      done();
      return;
    }
    const send = (): void => {
      // [MQTT-3.2.0-1] nothing goes out before CONNACK; a restored session (the only kind
      // subscribed that early) has the message in its stored queue, which aedes sends next.
      if (!client.connackSent) {
        this.#window.acked(client);
        done();
        return;
      }
      const messageId = nextPacketId(client);
      let pending = this.#unacked.get(client);
      if (!pending) this.#unacked.set(client, (pending = new Map<number, () => void>()));
      pending.set(messageId, settled);
      if (client.clean) {
        this.#writeQos(client, packet, qos, messageId, done);
        return;
      }
      this.#opts.outgoingUpdate(client, { ...packet, qos, messageId }).then(
        () => {
          this.#writeQos(client, packet, qos, messageId, done);
        },
        (err: unknown) => {
          client.emit('error', toError(err));
          done();
        },
      );
    };
    if (!this.#window.submit(client, send)) done();
  }

  /** QoS 0 bytes are the same for every client: encoded once per message. Dropped for a
   * client with more than `qos0BufferLimit` unsent. */
  #deliverQos0(client: ClientInternals, packet: Omit<DeliverablePacket, 'qos'>): void {
    if (!client.connackSent || client.closed) return;
    if (client.conn.writableLength > this.#opts.qos0BufferLimit) return;
    corkedWrite(client.conn, this.#encode(packet, 0));
  }

  /** aedes's `deliverQoS` minus its downgrade to an exact-topic subscription's QoS. The bytes
   * are encoded once per message and QoS; each client's copy differs in its packet id only. */
  #writeQos(
    client: ClientInternals,
    packet: Omit<DeliverablePacket, 'qos'>,
    qos: Qos,
    messageId: number,
    done: () => void,
  ): void {
    if (!client.connected && !client.connecting) {
      done();
      return;
    }
    const encoded = this.#encode(packet, qos);
    const bytes = Buffer.allocUnsafe(encoded.length);
    encoded.copy(bytes);
    // MQTT 3.1.1 3.3.2: the packet identifier is the last field before the payload.
    bytes.writeUInt16BE(messageId, encoded.length - packet.payload.length - 2);
    try {
      if (!corkedWrite(client.conn, bytes) && !client.errored) {
        client.waitForDrain(() => {
          done();
        });
        return;
      }
    } catch (err) {
      client.emit('error', toError(err));
      done();
      return;
    }
    if (done !== noop) setImmediate(done);
  }

  /** The last message's encoding at one QoS (QoS 1/2 with packet id 1). */
  #encode(packet: Omit<DeliverablePacket, 'qos'>, qos: Qos): Buffer {
    if (this.#encodedFor !== packet || this.#encodedQos !== qos) {
      this.#encodedFor = packet;
      this.#encodedQos = qos;
      const { topic, payload } = packet;
      this.#encoded = mqttPacket.generate({
        cmd: 'publish',
        topic,
        payload,
        qos,
        retain: false,
        dup: false,
        ...(qos > 0 ? { messageId: 1 } : {}),
      });
    }
    return this.#encoded;
  }
}

/** A publisher's read chunk holds many PUBLISH packets, all fanned out in one tick: corked
 * until the next tick they leave in one writev per socket instead of one write syscall per
 * packet (mqtt-packet's writeToStream, which aedes writes with, does the same). */
function corkedWrite(conn: Writable, bytes: Buffer): boolean {
  if (!conn.writableCorked) {
    conn.cork();
    process.nextTick(uncork, conn);
  }
  return conn.write(bytes);
}

function uncork(conn: Writable): void {
  conn.uncork();
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Packet ids run 1..65535 and wrap [MQTT-2.3.1-1]. */
function nextPacketId(client: ClientInternals): number {
  const id = client._nextId;
  client._nextId = id >= 65535 ? 1 : id + 1;
  return id;
}
