/**
 * The mqemitter-shaped object aedes publishes and subscribes through (its `mq` option), backed
 * by the core:
 * - `emit`: an MQTT PUBLISH (or will) goes to the core exchange (`amq.topic`), routing key in
 *   AMQP form; aedes gets its callback (and so the client its PUBREC, or the will its removal)
 *   once every queue has the message and, when the store is involved, it is committed.
 * - `on` / `removeListener`: a client's filter becomes a binding of this node's core queue
 *   (reference-counted per pattern) plus an entry in the dispatcher's index; a `$share/` filter
 *   becomes a consumer of the group's queue.
 * - The node queue is non-durable, exclusive to the node and consumed without acks: the
 *   storage-free path (RabbitMQ's qos0 pseudo queue). QoS 1/2 state for sessions that outlive
 *   the connection is kept by aedes's persistence, as in a plain aedes broker.
 * `$SYS/` topics stay inside aedes (a local mqemitter).
 */
import type { PublishPacket } from 'aedes';
import mqemitter from 'mqemitter';
import {
  BrokerError,
  QueueRefusedError,
  type Message,
  type MessageOrigin,
  type VhostApi,
} from '../../src/spi.js';
import type { ClientInternals, DeliverablePacket } from './aedes-internals.js';
import type { Dispatcher } from './dispatcher.js';
import {
  deliveryQos,
  mqttNativeOf,
  toCoreMessage,
  type PublishLike,
  type Qos,
} from './message-map.js';
import { INVALID_FILTER } from './packet-guards.js';
import { parseShared, SHARE_PREFIX, type SharedSubscriptions } from './shared-subscriptions.js';
import { filterToPattern, routingKeyToTopic } from './topic-map.js';

const SYS_PREFIX = '$SYS/';
const RESOLVED = Promise.resolve();

type Listener = (packet: mqemitter.Message, cb: () => void) => void;
type Done = (err?: Error) => void;

export interface Subscriber {
  readonly client: ClientInternals;
  readonly connectionId: string;
}

export interface CoreMqOptions {
  readonly vhost: VhostApi;
  readonly exchange: string;
  /** The aedes broker id: packets it numbered are recognised when they come back. */
  readonly brokerId: string;
  /** Broker id given to QoS 1 packets published ahead of aedes (`prePublish`). */
  readonly preBrokerId: string;
  readonly dispatcher: Dispatcher;
  readonly shared: SharedSubscriptions;
  /** The client that owns a listener aedes registers (it has just stored it in the client's
   * `subscriptions`). */
  readonly findSubscriber: (topic: string, listener: unknown) => Subscriber | undefined;
  readonly origin: (clientId: string | undefined) => MessageOrigin;
  /** Stores a QoS 1/2 message from another protocol for the offline sessions it matches (aedes
   * does this itself for MQTT publishes before calling `emit`). */
  readonly enqueueOffline: (packet: DeliverablePacket) => OfflineEnqueue;
  readonly onError: (err: unknown) => void;
  /** Counts messages taken from MQTT publishers. */
  readonly onPublished: () => void;
}

/** `queued` once the stored sessions have the message, `committed` once the store has it. */
export interface OfflineEnqueue {
  readonly queued: Promise<void>;
  readonly committed: Promise<void>;
}

export class CoreMq {
  readonly #opts: CoreMqOptions;
  readonly #local = mqemitter({ matchEmptyLevels: true });
  readonly #patternRefs = new Map<string, number>();
  #queue = '';
  /** Messages from other protocols that wait for `enqueueOffline`; later ones queue behind
   * them so per-topic order holds. */
  #pending: Promise<void> = Promise.resolve();
  #pendingCount = 0;
  #counter = 0;
  #closed = false;
  /** QoS 1/2 filters of stored sessions (see session-store.ts). */
  #storedFilters = 0;
  /** The offline enqueue the message being published started (its node-queue copy arrives
   * inside `vhost.publish`), so the publisher's ack can wait for its commit. */
  #offlineCommit: Promise<void> | undefined;

  constructor(opts: CoreMqOptions) {
    this.#opts = opts;
  }

  /** Declares this node's queue and starts consuming it. */
  attach(queue: string, connectionId: string): void {
    const { vhost } = this.#opts;
    vhost.declareQueue({ name: queue, exclusiveOwner: connectionId }, { connectionId });
    vhost.consume(
      queue,
      {
        deliver: (d) => {
          this.#fromCore(d.message);
          return true;
        },
        cancelled: (reason) => {
          if (!this.#closed) this.#opts.onError(new Error(`MQTT node queue cancelled: ${reason}`));
        },
      },
      { noAck: true, exclusive: true, connectionId },
    );
    this.#queue = queue;
  }

  on(topic: string, listener: Listener, done?: () => void): this {
    try {
      this.#on(topic, listener);
    } catch (err) {
      this.#opts.onError(err);
    }
    if (done) setImmediate(done);
    return this;
  }

  removeListener(topic: string, listener: Listener, done?: () => void): this {
    try {
      this.#off(topic, listener);
    } catch (err) {
      this.#opts.onError(err);
    }
    if (done) setImmediate(done);
    return this;
  }

  emit(packet: mqemitter.Message, done: Done = () => undefined): this {
    const p = packet as unknown as PublishLike & { clientId?: string };
    if (p.topic.startsWith(SYS_PREFIX)) {
      this.#local.emit(packet, done);
      return this;
    }
    if (p.brokerId === this.#opts.preBrokerId) {
      done();
      return this;
    }
    let committed: Promise<void>;
    try {
      committed = this.#publish(p, p.clientId);
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
      return this;
    }
    committed.then(
      () => {
        done();
      },
      (err: unknown) => {
        // QoS 0 has no acknowledgement to withhold: a full queue drops it, as on one node.
        if (p.qos === 0 && err instanceof QueueRefusedError) done();
        else done(err instanceof Error ? err : new Error(String(err)));
      },
    );
    return this;
  }

  /**
   * Publishes a client's QoS 1 PUBLISH to the core from aedes's `authorizePublish`, before
   * aedes writes PUBACK (aedes 1.2 acknowledges first and publishes after). The packet is
   * renumbered under `preBrokerId`, so `emit` and the offline enqueue skip it later; its copy
   * from the node queue is queued for offline sessions like a message from another protocol.
   * Throws a BrokerError when the core refuses.
   */
  prePublish(packet: PublishPacket, clientId: string): Promise<void> {
    const renumbered = packet as PublishPacket & { brokerId: string; brokerCounter: number };
    renumbered.brokerId = this.#opts.preBrokerId;
    renumbered.brokerCounter = ++this.#counter;
    this.#offlineCommit = undefined;
    const committed = this.#publish({ ...renumbered, qos: 1, payload: packet.payload }, clientId);
    const offline = this.#takeOfflineCommit();
    // [MQTT-4.3.2-2] PUBACK hands over ownership: stored sessions must have it committed too.
    return offline ? Promise.all([committed, offline]).then(() => undefined) : committed;
  }

  #takeOfflineCommit(): Promise<void> | undefined {
    const p = this.#offlineCommit;
    this.#offlineCommit = undefined;
    return p;
  }

  /** Throws when a QoS 1/2 message could not reach every queue: the publisher must not get
   * its acknowledgement (3.1.1 has no negative one, so the connection closes). */
  #publish(packet: PublishLike, clientId: string | undefined): Promise<void> {
    const message = toCoreMessage(packet, this.#opts.exchange, this.#opts.origin(clientId));
    this.#opts.onPublished();
    const result = this.#opts.vhost.publish(message);
    if (result.status === 'refused' && packet.qos > 0) {
      throw new BrokerError(
        'GW_ERR_RESOURCE_ERROR',
        `queue '${result.refusedBy ?? ''}' refused the message`,
      );
    }
    return result.committed ?? RESOLVED;
  }

  close(done: () => void): void {
    this.#closed = true;
    this.#local.close(done);
  }

  #on(topic: string, listener: Listener): void {
    if (topic.startsWith(SYS_PREFIX)) {
      this.#local.on(topic, listener);
      return;
    }
    const owner = this.#opts.findSubscriber(topic, listener);
    if (!owner) throw new Error(`no MQTT client owns the subscription '${topic}'`);
    const shared = topic.startsWith(SHARE_PREFIX) ? parseShared(topic) : undefined;
    if (shared) {
      const attach = (): void => {
        if (!owner.client.closed) {
          this.#opts.shared.attach(owner.client, shared, listener, owner.connectionId);
        }
      };
      // A restored session subscribes before CONNACK; the group queue would deliver at once.
      if (owner.client.connected) attach();
      else owner.client.once('connected', attach);
      return;
    }
    this.#opts.dispatcher.add(owner.client, topic, listener);
    this.#ref(topic);
  }

  /** Keeps a stored session's filter bound while its client is offline. */
  holdFilter(filter: string): void {
    if (!isNodeFilter(filter)) return;
    this.#storedFilters++;
    this.#ref(filter);
  }

  releaseFilter(filter: string): void {
    if (!isNodeFilter(filter)) return;
    this.#storedFilters--;
    this.#unref(filter);
  }

  #ref(filter: string): void {
    const pattern = filterToPattern(filter);
    const refs = this.#patternRefs.get(pattern) ?? 0;
    if (refs === 0) this.#opts.vhost.bindQueue(this.#queue, this.#opts.exchange, pattern);
    this.#patternRefs.set(pattern, refs + 1);
  }

  #unref(filter: string): void {
    const pattern = filterToPattern(filter);
    const refs = (this.#patternRefs.get(pattern) ?? 1) - 1;
    if (refs > 0) {
      this.#patternRefs.set(pattern, refs);
      return;
    }
    this.#patternRefs.delete(pattern);
    this.#opts.vhost.unbindQueue(this.#queue, this.#opts.exchange, pattern);
  }

  #off(topic: string, listener: Listener): void {
    if (topic.startsWith(SYS_PREFIX)) {
      this.#local.removeListener(topic, listener);
      return;
    }
    if (this.#opts.shared.detach(listener)) return;
    if (this.#opts.dispatcher.remove(topic, listener)) this.#unref(topic);
  }

  #fromCore(message: Message): void {
    const topic = routingKeyToTopic(message.routingKey);
    if (topic === undefined) return;
    const qos = deliveryQos(message);
    const native = mqttNativeOf(message);
    if (native?.brokerId === this.#opts.brokerId) {
      // aedes numbered it and queued it for offline sessions before `emit`.
      const { brokerId, brokerCounter } = native;
      this.#inOrder(packetOf(topic, message.body, brokerId, brokerCounter), qos, false);
      return;
    }
    const packet = packetOf(topic, message.body, `${this.#opts.brokerId}:core`, ++this.#counter);
    // With no stored session holding a QoS 1/2 filter there is nothing to queue offline.
    this.#inOrder(packet, qos, qos > 0 && this.#storedFilters > 0);
  }

  /** Dispatches now, or after the offline enqueue of earlier messages when one is running. */
  #inOrder(packet: Omit<DeliverablePacket, 'qos'>, qos: Qos, storeOffline: boolean): void {
    if (!storeOffline && this.#pendingCount === 0) {
      this.#opts.dispatcher.dispatch(packet, qos);
      return;
    }
    this.#pendingCount++;
    const stored = storeOffline ? this.#opts.enqueueOffline({ ...packet, qos }) : undefined;
    if (stored) {
      this.#offlineCommit = stored.committed;
      stored.committed.catch(this.#opts.onError);
    }
    // Dispatched once queued, not committed: a delivery of a message the store then loses
    // is at worst a duplicate (its publisher got no ack), and a QoS 2 delivery waits for its
    // packet id's commit, which follows (session-outgoing.ts).
    this.#pending = Promise.all([this.#pending, stored?.queued])
      .then(() => {
        this.#opts.dispatcher.dispatch(packet, qos);
      }, this.#opts.onError)
      .finally(() => this.#pendingCount--);
  }
}

/** Filters served by the node queue (not `$SYS/`, shared or refused ones). */
function isNodeFilter(filter: string): boolean {
  return (
    !filter.startsWith(SYS_PREFIX) &&
    !filter.startsWith(SHARE_PREFIX) &&
    !filter.startsWith(INVALID_FILTER)
  );
}

function packetOf(
  topic: string,
  payload: Buffer,
  brokerId: string,
  brokerCounter: number,
): Omit<DeliverablePacket, 'qos'> {
  return { cmd: 'publish', topic, payload, retain: false, dup: false, brokerId, brokerCounter };
}
