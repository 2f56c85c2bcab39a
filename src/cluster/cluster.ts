import { randomBytes } from 'node:crypto';
import type { RedisConn } from './redis-client.js';
import type { GatewayConfig } from '../config/schema.js';
import type { Broker } from '../core/broker.js';
import type { Queue, QueueHooks, QueueOptions } from '../core/queues/queue.js';
import { DEFAULT_EXCHANGE } from '../core/names.js';
import type { Vhost } from '../core/vhost.js';
import { BrokerError } from '../core/errors.js';
import type { Logger, Message, Store } from '../spi.js';
import { AuthConsistency } from './auth-consistency.js';
import { ClusterKeys } from './cluster-keys.js';
import { ClusterPeers } from './cluster-peers.js';
import { ClusterLog } from './cluster-log.js';
import { nodeIdOf } from './cluster-options.js';
import { MessageBus } from './message-bus.js';
import { NodePresence, type StreamRef } from './node-presence.js';
import { RemoteInterest } from './remote-interest.js';
import { clusterClient } from './redis-client.js';
import { StreamOps } from './stream-ops.js';
import { StreamQueue } from './stream-queue.js';
import { localInterest } from './topology-fields.js';
import { TopologyBus } from './topology-bus.js';

/** Redis errors while it is down come by the thousand: at most one log line this often. */
const ERROR_LOG_INTERVAL_MS = 1_000;

/**
 * One node of a cluster of gateways sharing a Redis (docs/cluster.md): shared topology
 * (topology-bus.ts), shared queues as Redis streams (stream-queue.ts), cross-node delivery into
 * connection-owned queues (message-bus.ts), and node liveness (node-presence.ts).
 */
export class Cluster {
  readonly nodeId: string;
  /** This process's consumer name in every shared queue's group: a restarted node is a new
   * consumer, and the old one's pending messages are reclaimed like any dead node's. */
  readonly consumer: string;
  readonly #config: GatewayConfig;
  readonly #broker: Broker;
  readonly #log: Logger;
  readonly #keys: ClusterKeys;
  readonly #cmd: RedisConn;
  readonly #sub: RedisConn;
  readonly #ops: StreamOps;
  readonly #topology: TopologyBus;
  readonly #messages: MessageBus;
  readonly #presence: NodePresence;
  readonly #interest: RemoteInterest;
  readonly #auth: AuthConsistency;
  /** What adapters share with the other nodes (AdapterContext.peers). */
  readonly peers: ClusterPeers;
  readonly #logs = new Map<string, ClusterLog>();
  readonly #queues = new Set<StreamQueue>();
  #resyncTimer: NodeJS.Timeout | undefined;
  #started = false;
  #lastErrorLog = 0;

  constructor(config: GatewayConfig, broker: Broker, log: Logger) {
    if (config.store.type !== 'redis') {
      throw new Error("cluster.enabled needs store.type 'redis' (the nodes share its Redis)");
    }
    this.#config = config;
    this.#broker = broker;
    this.#log = log;
    this.nodeId = nodeIdOf(config.cluster);
    this.consumer = `${this.nodeId}.${randomBytes(4).toString('hex')}`;
    this.#keys = new ClusterKeys(config.store.redis.prefix);
    const onError = this.#onError;
    const target = config.store.redis;
    this.#cmd = clusterClient(target, onError, { pipelined: true });
    this.#sub = clusterClient(target, onError);
    this.#ops = new StreamOps(this.#cmd, onError);
    this.#topology = new TopologyBus(this.#cmd, this.#keys, this.consumer, onError);
    this.#messages = new MessageBus(this.#cmd, this.#keys, this.consumer, onError);
    this.#interest = new RemoteInterest({
      redis: this.#cmd,
      channel: this.#keys.interestChannel,
      node: this.consumer,
      staleMs: 3 * config.cluster.resyncIntervalMs,
      matcherOpts: {
        topicCacheSize: config.limits.topicCacheSize,
        maxRoutingKeyWords: config.limits.maxRoutingKeyWords,
      },
      exchangeType: (vhost, name) => this.#broker.vhost(vhost).exchange(name)?.type,
      local: () => [...this.#logs.keys()].flatMap((v) => localInterest(this.#broker.vhost(v))),
      onError,
    });
    this.peers = new ClusterPeers({
      redis: this.#cmd,
      keys: this.#keys,
      consumer: this.consumer,
      releaseTimeoutMs: config.cluster.nodeTimeoutMs,
      onError,
    });
    this.#auth = new AuthConsistency({
      redis: this.#cmd,
      keys: this.#keys,
      consumer: this.consumer,
      auth: config.auth,
      log,
    });
    this.#presence = new NodePresence({
      redis: this.#cmd,
      keys: this.#keys,
      ops: this.#ops,
      consumer: this.consumer,
      timeoutMs: config.cluster.nodeTimeoutMs,
      streams: () => this.#streams(),
      // The node that found it adopts what it held now rather than at its next resync (the
      // others still may, at theirs: adoption is compare-and-set).
      onDead: (consumer) => {
        this.#log.info({ consumer }, 'cluster node found dead');
        this.peers.resync();
      },
      onError,
    });
  }

  readonly #onError = (err: unknown): void => {
    const now = Date.now();
    if (now - this.#lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.#lastErrorLog = now;
    this.#log.warn({ err }, 'cluster: Redis operation failed');
  };

  /** Connects and takes over queue creation; call before the broker's recovery. */
  async open(): Promise<void> {
    await Promise.all([this.#cmd.connect(), this.#sub.connect()]);
    for (const name of this.#broker.vhostNames()) {
      const vhost = this.#broker.vhost(name);
      vhost.cluster = {
        createQueue: (options, hooks) => this.#createQueue(vhost, options, hooks),
        forward: (message) => this.#forward(vhost, message),
        routesElsewhere: (message) => this.#interest.matches(vhost.name, message),
      };
    }
  }

  /** The broker's durable log for `vhost` (Broker.recover). */
  logFor(vhost: Vhost, store: Store, onStoreError: (err: unknown) => void): ClusterLog {
    const log = new ClusterLog(store, vhost, this.#topology, this.#interest, onStoreError);
    this.#logs.set(vhost.name, log);
    return log;
  }

  /** After recovery: join the channels, converge to the shared topology, start beating. */
  async start(): Promise<void> {
    this.#sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      this.#receive(channel.toString(), payload);
    });
    const channels = [this.#keys.topoChannel, this.#keys.interestChannel, this.#keys.peersChannel];
    for (const name of this.#logs.keys()) channels.push(this.#keys.messageChannel(name));
    await this.#sub.subscribe(...channels);
    await this.#resyncAll();
    this.#interest.hello();
    // ioredis resubscribes after a reconnect; what was announced meanwhile comes from the hash
    // and from the others' interest snapshots.
    this.#sub.on('ready', () => {
      this.#resyncAll().catch(this.#onError);
      this.#interest.hello();
      this.peers.resync();
    });
    this.#cmd.on('ready', () => {
      this.#presence.beat().catch(this.#onError);
    });
    await this.#presence.start();
    await this.#auth.check();
    this.#resyncTimer = setInterval(() => {
      this.#resyncAll().catch(this.#onError);
      this.#interest.snapshot();
      this.#auth.check().catch(this.#onError);
      this.peers.resync();
    }, this.#config.cluster.resyncIntervalMs);
    this.#resyncTimer.unref();
    this.#started = true;
    this.#log.info({ node: this.nodeId, consumer: this.consumer }, 'cluster node joined');
  }

  async #resyncAll(): Promise<void> {
    for (const [name, log] of this.#logs) {
      await this.#topology.resync(this.#broker.vhost(name), log);
    }
  }

  #createQueue(vhost: Vhost, options: QueueOptions, hooks: QueueHooks): Queue | undefined {
    if (options.exclusiveOwner !== undefined) return undefined;
    const { fetchBatch, blockMs } = this.#config.cluster;
    const q = new StreamQueue(options, hooks, {
      ops: this.#ops,
      key: this.#keys.stream(vhost.name, options.name),
      usedKey: this.#keys.used(vhost.name, options.name),
      consumer: this.consumer,
      fetchBatch,
      blockMs,
      connect: () => clusterClient(this.#config.store.redis, this.#onError, { blocking: true }),
      onError: this.#onError,
    });
    this.#queues.add(q);
    return q;
  }

  *#streams(): Iterable<StreamRef> {
    for (const q of this.#queues) {
      if (q.deleted) this.#queues.delete(q);
      else
        yield {
          key: q.streamKey,
          usedKey: q.usedKey,
          idle: q.idle,
          backlog: (n) => {
            q.setBacklog(n);
          },
        };
    }
  }

  /** Alone in the cluster, nothing crosses. A publish to the default exchange that names a
   * shared queue cannot match anything on another node (work queues skip the bus); everything
   * else may. The publisher's acknowledgement waits for Redis only when another node is known
   * to want the message: a transient bus cannot lose what nobody elsewhere wants. */
  #forward(vhost: Vhost, message: Message): Promise<void> | undefined {
    if (!this.#started || !this.#interest.othersKnown) return undefined;
    if (message.exchange === DEFAULT_EXCHANGE) {
      const q = vhost.queue(message.routingKey);
      if (q && q.options.exclusiveOwner === undefined) return undefined;
    }
    const sent = this.#messages.forward(vhost.name, message);
    if (!this.#interest.matches(vhost.name, message)) return undefined;
    const refused = sent.catch((err: unknown) => {
      throw new BrokerError(
        'GW_ERR_STORE_UNAVAILABLE',
        `cannot reach the other nodes: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    });
    // Publishers that do not wait (QoS 0) must not leave the rejection unhandled.
    refused.catch(() => undefined);
    return refused;
  }

  #receive(channel: string, payload: Buffer): void {
    try {
      if (channel === this.#keys.peersChannel) {
        this.peers.receive(payload);
        return;
      }
      if (channel === this.#keys.interestChannel) {
        this.#interest.receive(payload);
        return;
      }
      if (channel === this.#keys.topoChannel) {
        this.#topology.receive(payload, (name) => {
          const log = this.#logs.get(name);
          return log ? [this.#broker.vhost(name), log] : undefined;
        });
        return;
      }
      for (const [name] of this.#logs) {
        if (this.#keys.messageChannel(name) !== channel) continue;
        const vhost = this.#broker.vhost(name);
        for (const m of this.#messages.receive(payload)) vhost.publishForeign(m);
      }
    } catch (err) {
      this.#log.warn({ err, channel }, 'cluster: bad announcement ignored');
    }
  }

  /** After the broker closed (stream queues have given back what they held). */
  async close(): Promise<void> {
    this.#started = false;
    if (this.#resyncTimer) clearInterval(this.#resyncTimer);
    this.#resyncTimer = undefined;
    this.#messages.close();
    this.peers.close();
    this.#interest.bye();
    await Promise.allSettled([this.#presence.stop(), this.#ops.close(), this.#auth.leave()]);
    await Promise.allSettled([quit(this.#sub), quit(this.#cmd)]);
  }
}

async function quit(r: RedisConn): Promise<void> {
  if (r.status !== 'ready') {
    r.disconnect();
    return;
  }
  await r.quit().catch(() => {
    r.disconnect();
  });
}
