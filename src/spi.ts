/**
 * The service-provider interface: the only module protocol adapters import.
 * Everything here is protocol-neutral; protocol words (topic, destination, link, channel)
 * stay inside their adapter.
 */
import type { Duplex } from 'node:stream';
import type { TlsOptions } from 'node:tls';
import type { ConnectionGate } from './transport/connection-gate.js';

export { BrokerError, ERRORS, isBrokerError, QueueRefusedError } from './core/errors.js';
export type { ErrorCode, ErrorSeverity } from './core/errors.js';
export {
  DEFAULT_EXCHANGE,
  AMQ_TOPIC,
  AMQ_DIRECT,
  AMQ_FANOUT,
  AMQ_HEADERS,
  AMQ_MATCH,
} from './core/names.js';
export { splitWords } from './core/topic/topic-syntax.js';

export type ProtocolName = 'mqtt' | 'amqp091' | 'amqp10' | 'stomp';

// ---------------------------------------------------------------------------------------------
// Messages

/** An AMQP 0-9-1 field value with an explicit wire type, kept so tables round-trip exactly
 * (amqplib's `{'!': type, value}` convention: 'decimal', 'int8', 'float', 'timestamp', ...). */
export interface TypedHeaderValue {
  readonly '!': string;
  readonly value: unknown;
}
export type HeaderValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Buffer
  | Date
  | TypedHeaderValue
  | readonly HeaderValue[]
  | HeaderTable;
export interface HeaderTable {
  readonly [key: string]: HeaderValue;
}

/** AMQP 0-9-1 basic properties, the lingua franca every adapter maps to and from. */
export interface MessageProperties {
  readonly contentType?: string | undefined;
  readonly contentEncoding?: string | undefined;
  /** delivery-mode 2 / AMQP 1.0 durable / MQTT QoS >= 1 / STOMP persistent:true */
  readonly persistent?: boolean | undefined;
  readonly priority?: number | undefined;
  readonly correlationId?: string | undefined;
  readonly replyTo?: string | undefined;
  /** Per-message TTL in milliseconds, as a decimal string (AMQP 0-9-1 `expiration`). */
  readonly expiration?: string | undefined;
  readonly messageId?: string | undefined;
  /** Seconds since the epoch (AMQP 0-9-1 `timestamp`). */
  readonly timestamp?: number | undefined;
  readonly type?: string | undefined;
  readonly userId?: string | undefined;
  readonly appId?: string | undefined;
}

export interface MessageOrigin {
  readonly protocol: ProtocolName;
  readonly connectionId: string;
  readonly clientId?: string | undefined;
}

/** Immutable once published. `routingKey` is in AMQP form: '.'-separated words. */
export interface Message {
  readonly exchange: string;
  readonly routingKey: string;
  readonly headers: HeaderTable;
  readonly properties: MessageProperties;
  readonly body: Buffer;
  readonly origin: MessageOrigin;
  /** Opaque per-protocol data the publishing adapter may keep for consumers of the same
   * protocol (e.g. an AMQP 1.0 amqp-value body). Other adapters ignore it. */
  readonly native?: unknown;
}

// ---------------------------------------------------------------------------------------------
// Topology

export type ExchangeTypeName = 'direct' | 'fanout' | 'topic' | 'headers';
export type Arguments = HeaderTable;

export interface ExchangeSpec {
  readonly name: string;
  readonly type: ExchangeTypeName;
  readonly durable?: boolean;
  readonly autoDelete?: boolean;
  readonly internal?: boolean;
  /** `alternate-exchange` lives here, as in RabbitMQ. */
  readonly arguments?: Arguments;
}

export type OverflowPolicy = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

export interface QueueSpec {
  /** '' asks for a server-generated name (`amq.gen-...`). */
  readonly name: string;
  readonly durable?: boolean;
  /** Connection id of the owner: only it may use the queue; deleted when it goes. */
  readonly exclusiveOwner?: string | undefined;
  /** Deleted after its last consumer leaves (not before it had one). */
  readonly autoDelete?: boolean;
  /** `x-message-ttl`, `x-expires`, `x-max-length`, `x-max-length-bytes`, `x-overflow`,
   * `x-dead-letter-exchange`, `x-dead-letter-routing-key`, `x-max-priority`,
   * `x-single-active-consumer`. */
  readonly arguments?: Arguments;
}

export interface QueueInfo {
  readonly name: string;
  readonly messageCount: number;
  readonly consumerCount: number;
}

export interface DeclareOptions {
  /** Only check existence (and, for queues, exclusivity); never create. */
  readonly passive?: boolean;
  /** The declaring connection, checked against exclusive queues. */
  readonly connectionId?: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Publishing

export interface PublishOptions {
  /** AMQP 0-9-1 mandatory: the caller wants to know when nothing matched. */
  readonly mandatory?: boolean;
}

/**
 * What happened to a publish, decided synchronously.
 * - `routed`: at least one queue took the message.
 * - `unroutable`: no queue matched (after alternate exchanges).
 * - `refused`: a queue with `x-overflow: reject-publish(-dlx)` was full; `refusedBy` names it.
 *   Queues that had room still received the message (RabbitMQ semantics).
 * `committed` is set when the message must reach the store before the publisher may be told
 * (persistent message, durable queue): confirm / PUBACK / RECEIPT / `accepted` only after it
 * resolves. It rejects with a BrokerError if the store failed.
 */
export interface PublishResult {
  readonly status: 'routed' | 'unroutable' | 'refused';
  readonly queues: number;
  readonly refusedBy?: string | undefined;
  readonly committed?: Promise<void> | undefined;
}

// ---------------------------------------------------------------------------------------------
// Consuming

/** One message handed to one consumer (or returned by `get`). Settle it exactly once unless
 * the consumer is no-ack; unsettled deliveries return to the queue when the consumer goes. */
export interface Delivery {
  readonly message: Message;
  readonly queue: string;
  readonly redelivered: boolean;
  /** Times this message was handed out before this delivery (0 on first delivery). */
  readonly deliveryCount: number;
  /** Remove from the queue. */
  ack(): void;
  /** requeue=true puts it back at its original position with `redelivered`; false
   * dead-letters it (reason `rejected`) or drops it when the queue has no DLX. */
  nack(requeue: boolean): void;
}

export interface ConsumerSink {
  /** Return false when the sink's buffer is full: the queue stops feeding this consumer until
   * `Consumer.resume()`. The delivery passed in is still accepted. */
  deliver(delivery: Delivery): boolean;
  /** The broker cancelled the consumer (queue deleted...). */
  cancelled(reason: string): void;
}

export interface ConsumeOptions {
  /** Generated (`amq.ctag-...`) when omitted. */
  readonly tag?: string | undefined;
  /** No settlement: deliveries are acked as they are handed out. */
  readonly noAck?: boolean;
  /** Maximum unsettled deliveries, 0 = unlimited (AMQP 0-9-1 basic.qos prefetch-count). */
  readonly prefetch?: number;
  /** Credit-based flow (AMQP 1.0): when set, each delivery consumes one credit and nothing
   * flows at 0 credit. Undefined = unlimited credit. */
  readonly credit?: number | undefined;
  /** Only this consumer may consume from the queue (ACCESS_REFUSED otherwise). */
  readonly exclusive?: boolean;
  readonly connectionId?: string | undefined;
}

export interface Consumer {
  readonly tag: string;
  readonly queue: string;
  /** Unsettled deliveries held by this consumer. */
  readonly unsettled: number;
  setPrefetch(prefetch: number): void;
  /** Replace the remaining credit (AMQP 1.0 flow `link-credit`). */
  setCredit(credit: number): void;
  /** Deliver what is ready within the credit, then zero the credit; returns the credit that
   * was left unused (AMQP 1.0 drain). */
  drain(): number;
  /** The sink has room again (after it returned false from deliver). */
  resume(): void;
  /** Stop consuming. Unsettled deliveries are requeued (`requeueUnsettled`, default true). */
  cancel(requeueUnsettled?: boolean): void;
}

export interface GetResult {
  readonly delivery: Delivery;
  /** Messages left ready in the queue. */
  readonly messageCount: number;
}

// ---------------------------------------------------------------------------------------------
// The broker

/** One virtual host: an isolated set of exchanges, queues and bindings. */
export interface VhostApi {
  readonly name: string;
  /** Resolves once every durable change made so far (declares, bindings, messages) is
   * committed to the store; a durable declare's `-ok` waits for it. */
  sync(): Promise<void>;
  declareExchange(spec: ExchangeSpec, opts?: DeclareOptions): void;
  deleteExchange(name: string, opts?: { readonly ifUnused?: boolean }): void;
  exchangeExists(name: string): boolean;
  declareQueue(spec: QueueSpec, opts?: DeclareOptions): QueueInfo;
  /** Returns the number of messages deleted with it. */
  deleteQueue(
    name: string,
    opts?: {
      readonly ifUnused?: boolean;
      readonly ifEmpty?: boolean;
      readonly connectionId?: string;
    },
  ): number;
  purgeQueue(name: string, opts?: { readonly connectionId?: string }): number;
  queueInfo(name: string): QueueInfo | undefined;
  /** `opts.connectionId`: the binding connection, checked against an exclusive queue's owner
   * (RESOURCE_LOCKED, as RabbitMQ). */
  bindQueue(
    queue: string,
    exchange: string,
    routingKey: string,
    args?: Arguments,
    opts?: { readonly connectionId?: string },
  ): void;
  unbindQueue(
    queue: string,
    exchange: string,
    routingKey: string,
    args?: Arguments,
    opts?: { readonly connectionId?: string },
  ): void;
  bindExchange(destination: string, source: string, routingKey: string, args?: Arguments): void;
  unbindExchange(destination: string, source: string, routingKey: string, args?: Arguments): void;
  publish(message: Message, opts?: PublishOptions): PublishResult;
  consume(queue: string, sink: ConsumerSink, opts?: ConsumeOptions): Consumer;
  /** Cluster: a shared queue with nothing fetched on this node reads one message from Redis
   * first; call `get` once this resolves. undefined: call `get` at once. */
  fetchForGet(queue: string, opts?: { readonly connectionId?: string }): Promise<void> | undefined;
  /** Pull one message (AMQP 0-9-1 basic.get); undefined when the queue is empty. */
  get(
    queue: string,
    opts?: { readonly noAck?: boolean; readonly connectionId?: string },
  ): GetResult | undefined;
  /** A connection went away: delete its exclusive queues. Its consumers must be cancelled by
   * the adapter (they requeue what they hold). */
  releaseConnection(connectionId: string): void;
}

export interface BrokerApi {
  /** Throws GW_ERR_NOT_FOUND (vhost) for an unknown virtual host. */
  vhost(name: string): VhostApi;
  readonly defaultVhost: string;
}

// ---------------------------------------------------------------------------------------------
// Store

/** A durable exchange, queue or binding as the store keeps it. */
export interface StoredExchange {
  readonly vhost: string;
  readonly spec: ExchangeSpec;
}
export interface StoredQueue {
  readonly vhost: string;
  readonly spec: QueueSpec;
  /** Epoch ms since which the queue has had no consumer, so `x-expires` keeps counting across a
   * restart; absent while it is in use. */
  readonly unusedSince?: number | undefined;
}
export interface StoredBinding {
  readonly vhost: string;
  readonly source: string;
  readonly destinationKind: 'queue' | 'exchange';
  readonly destination: string;
  readonly routingKey: string;
  readonly arguments: Arguments;
}
export interface Topology {
  readonly exchanges: readonly StoredExchange[];
  readonly queues: readonly StoredQueue[];
  readonly bindings: readonly StoredBinding[];
}

/** A persistent message in a durable queue. `id` is unique in the store and increases with
 * enqueue order, so reading a queue by id restores its order. */
export interface StoredMessage {
  readonly id: number;
  readonly vhost: string;
  readonly queue: string;
  readonly message: Message;
  /** Absolute deadline (epoch ms) so TTLs keep counting across a restart; 0 = none. */
  readonly expiresAt: number;
  readonly priority: number;
  /** Deliveries before the last shutdown: > 0 means `redelivered` after recovery. */
  readonly deliveryCount: number;
}

/** A retained message (MQTT), keyed by topic in the publisher's own syntax. */
export interface RetainedMessage {
  readonly vhost: string;
  readonly topic: string;
  readonly message: Message;
}

/** One entry of the keyed-record area: adapter state the core does not model (MQTT sessions). */
export interface StoredRecord {
  readonly key: string;
  /** Opaque to the store, kept byte for byte. */
  readonly value: Buffer;
}

/**
 * Durable state. Writes are queued in call order and committed in batches (group commit); the
 * promise of a write resolves once the batch holding it is durable. Run
 * `test/contract/store.contract.ts` against every implementation.
 */
export interface Store {
  readonly kind: string;
  open(): Promise<void>;
  /** Commits what is queued, then releases the files. */
  close(): Promise<void>;
  loadTopology(): Promise<Topology>;
  putExchange(x: StoredExchange): Promise<void>;
  deleteExchange(vhost: string, name: string): Promise<void>;
  /** Deleting a queue deletes its messages. */
  putQueue(q: StoredQueue): Promise<void>;
  deleteQueue(vhost: string, name: string): Promise<void>;
  putBinding(b: StoredBinding): Promise<void>;
  deleteBinding(b: StoredBinding): Promise<void>;
  /** The next message id (ids are assigned by the caller so enqueue stays synchronous). */
  nextMessageId(): number;
  appendMessage(m: StoredMessage): Promise<void>;
  removeMessage(vhost: string, queue: string, id: number): Promise<void>;
  /** Record one more delivery of a stored message (for `redelivered` after a restart). */
  markDelivered(vhost: string, queue: string, id: number, deliveryCount: number): Promise<void>;
  /** The queue's messages in id order. */
  readMessages(vhost: string, queue: string): Promise<readonly StoredMessage[]>;
  putRetained(r: RetainedMessage): Promise<void>;
  deleteRetained(vhost: string, topic: string): Promise<void>;
  listRetained(vhost: string): Promise<readonly RetainedMessage[]>;
  /** Writes or replaces the record `key` in the area `kind` (e.g. `mqtt:<vhost>:subs`). */
  putRecord(kind: string, key: string, value: Buffer): Promise<void>;
  deleteRecord(kind: string, key: string): Promise<void>;
  /** The records of `kind` (only those whose key starts with `keyPrefix`, when given) in
   * ascending key order as `<` compares strings, so a caller can keep an order with sortable
   * keys. */
  listRecords(kind: string, keyPrefix?: string): Promise<readonly StoredRecord[]>;
}

// ---------------------------------------------------------------------------------------------
// Auth

export interface Credentials {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly mechanism?: string | undefined;
}

export interface Principal {
  readonly username: string;
  readonly vhosts?: readonly string[] | undefined;
  /** RabbitMQ-style user tags; `administrator` may use the management API. */
  readonly tags?: readonly string[] | undefined;
  /** The MQTT client id, for `{client_id}` in permission patterns. */
  readonly clientId?: string | undefined;
}

/** Who a verified client certificate says the peer is. */
export interface PeerIdentity {
  /** The subject's CN: the username of a certificate login. */
  readonly commonName: string;
}

export interface ConnectionInfo {
  readonly id: string;
  readonly protocol: ProtocolName;
  readonly transport: 'tcp' | 'tls' | 'ws' | 'wss';
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** Set by the TLS transports only when certificate login is on (`tls.certLogin`) and the
   * client's certificate was verified: the adapter then offers an `EXTERNAL` login. */
  readonly peerIdentity?: PeerIdentity | undefined;
  /** Runs `listener` once the connection's socket has closed (at once if it already has). */
  onClose?(listener: () => void): void;
}

export interface Authenticator {
  /** Rejects with GW_ERR_AUTHENTICATION_FAILED, or GW_ERR_ACCESS_REFUSED when the user is at
   * its connection limit. Mechanism `EXTERNAL` logs in as `conn.peerIdentity` without a
   * password. `conn` is absent for the management API (no connection is counted then). */
  authenticate(creds: Credentials, conn?: ConnectionInfo): Promise<Principal>;
}

export type Permission = 'configure' | 'write' | 'read';
export interface Resource {
  readonly vhost: string;
  readonly kind: 'exchange' | 'queue';
  readonly name: string;
  /** For topic permissions on a topic exchange: the routing key (publish) or binding pattern
   * (subscribe), AMQP form. */
  readonly routingKey?: string | undefined;
  /** The same as the MQTT client wrote it (topic or filter), so rules can be written in MQTT
   * syntax. Only the MQTT adapter sets it. */
  readonly topic?: string | undefined;
}
export interface Authorizer {
  /** Throws GW_ERR_ACCESS_REFUSED. */
  check(principal: Principal, perm: Permission, res: Resource): void;
}

// ---------------------------------------------------------------------------------------------
// Logs and metrics

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface Metrics {
  connectionOpened(protocol: ProtocolName): void;
  connectionClosed(protocol: ProtocolName): void;
  messagesIn(protocol: ProtocolName, n?: number): void;
  messagesOut(protocol: ProtocolName, n?: number): void;
}

// ---------------------------------------------------------------------------------------------
// Flow control: memory alarm, publish rate

/**
 * What an adapter shares with the same adapter on other gateway nodes (src/cluster): who holds
 * a session that outlives its connection (an MQTT client id), and announcements of shared
 * state. A single node (`clustered` false) holds every session; claims succeed at once and
 * announcements go nowhere.
 */
export interface Peers {
  readonly clustered: boolean;
  /** Holds `key` on this node. Resolves once the node that held it before (another, alive)
   * has let go: its `onRelease` handler finished, or it did not answer in time. */
  claim(key: string): Promise<void>;
  /** This node no longer holds `key` (a clean session ended). */
  release(key: string): Promise<void>;
  /** Of `keys`, those no live node holds, now held by this node (a dead node's sessions). */
  adopt(keys: readonly string[]): Promise<string[]>;
  /** Runs when another node claims a key held here: close the session here, store its state. */
  onRelease(handler: (key: string) => Promise<void>): void;
  /** Sends `payload` to the other nodes' `onAnnouncement(subject)` handlers (at most once). */
  announce(subject: string, payload: Buffer): void;
  onAnnouncement(subject: string, handler: (payload: Buffer) => void): void;
  /** Runs after a reconnect to the others and every resync interval: reload shared state,
   * adopt what dead nodes held. */
  onResync(handler: () => void): void;
}

/** The gateway-wide memory alarm (RabbitMQ `vm_memory_high_watermark`). */
export interface MemoryAlarm {
  readonly raised: boolean;
  /** Hears every change; returns the unsubscribe function. */
  subscribe(listener: (raised: boolean) => void): () => void;
}

/** What a publish gate pauses: the connection's reading. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

/** One per connection (`ctx.publishGate`): the adapter reports each message the client
 * published, and the gate pauses reading while the connection is over its publish rate or
 * while the memory alarm is raised (publishers only: consumers keep acking). */
export interface PublishGate {
  published(n?: number): void;
  /** The connection closed: timers and alarm subscription go. */
  close(): void;
}

/** Frame tracing (`log.traceFrames`): adapters report decoded frames; a no-op when off. */
export interface FrameTracer {
  readonly enabled: boolean;
  frame(
    log: Logger,
    direction: 'in' | 'out',
    type: string,
    size: number,
    body?: Buffer | string,
  ): void;
}

// ---------------------------------------------------------------------------------------------
// Adapters

export interface ListenAddress {
  readonly protocol: ProtocolName;
  readonly transport: 'tcp' | 'tls' | 'ws' | 'wss';
  readonly host: string;
  readonly port: number;
  readonly path?: string | undefined;
}

export interface ConnectionSummary {
  readonly id: string;
  readonly protocol: ProtocolName;
  readonly remoteAddress: string;
  readonly user?: string | undefined;
  readonly vhost?: string | undefined;
}

export interface AdapterContext<C = unknown> {
  readonly broker: BrokerApi;
  /** For adapter-owned durable state (MQTT retained messages). */
  readonly store: Store;
  readonly authn: Authenticator;
  readonly authz: Authorizer;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** The adapter's own section of the gateway config, validated by the adapter's schema. */
  readonly config: Readonly<C>;
  /** Unique connection id generator shared by all adapters. */
  nextConnectionId(protocol: ProtocolName): string;
  /** Pass to `listenTcp` / `listenWs` (`gate`) so the gateway's connection limits apply. */
  readonly connectionGate: ConnectionGate;
  readonly memoryAlarm: MemoryAlarm;
  /** A gate for one connection; `target` pauses and resumes its reading. */
  publishGate(target: Pausable): PublishGate;
  readonly frameTracer: FrameTracer;
  /** The other gateway nodes on the same Redis (cluster), or a single node's stand-in. */
  readonly peers: Peers;
  /** The gateway's secure WebSocket listener for this adapter (`tls.ports.mqttWss` /
   * `stompWss`), when TLS is on: open it like the plain one, with these TLS options. */
  readonly secureWebSocket?:
    { readonly host: string; readonly port: number; readonly tls: TlsOptions } | undefined;
}

export interface Adapter<C = unknown> {
  readonly protocol: ProtocolName;
  start(ctx: AdapterContext<C>): Promise<readonly ListenAddress[]>;
  /** Transport-agnostic entry: any Duplex (TCP socket, TLS socket, WebSocket stream). */
  handle(stream: Duplex, info: ConnectionInfo): void;
  stop(opts: { readonly graceful: boolean }): Promise<void>;
  connections(): Iterable<ConnectionSummary>;
  /** Close one connection with the protocol's own notice; false when it is not ours. */
  closeConnection?(id: string, reason: string): boolean;
}

// ---------------------------------------------------------------------------------------------
// Transports shared by the adapters

export { listenTcp } from './transport/tcp.js';
export type { Listener, TcpListenOptions } from './transport/tcp.js';
export { listenWs } from './transport/ws.js';
export type { WsListenOptions } from './transport/ws.js';
export { connectionInfo } from './transport/connection-info.js';
export type { ConnectionGate } from './transport/connection-gate.js';
