import type { RedisConn } from './redis-client.js';
import type { ClusterKeys } from './cluster-keys.js';
import type { StreamOps } from './stream-ops.js';

/** A shared queue as the presence loop sees it. */
export interface StreamRef {
  readonly key: string;
  readonly usedKey: string;
  /** This node neither holds nor reads anything of it. */
  readonly idle: boolean;
  /** Told, each pass, how many messages wait in the stream for any node. */
  backlog(count: number): void;
}

/**
 * Liveness of node processes and the return of a dead one's messages. Each node renews
 * `cluster:node:<consumer>` (PX nodeTimeoutMs) every third of the timeout. Every pass, each
 * node lists the consumers of every shared queue's group; a consumer whose key has been
 * missing for two passes in a row (one missed pass can be a Redis restart that every node is
 * about to repair) is dead, and its pending messages go back to the queue (StreamOps.reclaim,
 * atomic per message). A node also returns its own pending entries of a queue it is idle on
 * (a message delivered to a read it had just abandoned). The same pass refreshes each queue's
 * backlog (its message count as the management API and declare-ok show it).
 *
 * Why not XAUTOCLAIM on idle time: a live consumer that holds a message longer than the idle
 * limit (slow work, prefetch) would lose it to another node and it would be processed twice;
 * liveness of the holder is what decides.
 */
export class NodePresence {
  readonly #redis: RedisConn;
  readonly #keys: ClusterKeys;
  readonly #ops: StreamOps;
  readonly #consumer: string;
  readonly #timeoutMs: number;
  readonly #streams: () => Iterable<StreamRef>;
  readonly #onDead: (consumer: string) => void;
  readonly #onError: (err: unknown) => void;
  /** Consumers found without a heartbeat in the previous pass. */
  #suspects = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #passing = false;

  constructor(opts: {
    redis: RedisConn;
    keys: ClusterKeys;
    ops: StreamOps;
    consumer: string;
    timeoutMs: number;
    streams: () => Iterable<StreamRef>;
    /** A node found dead (its held MQTT sessions can be adopted at once). */
    onDead: (consumer: string) => void;
    onError: (err: unknown) => void;
  }) {
    this.#redis = opts.redis;
    this.#keys = opts.keys;
    this.#ops = opts.ops;
    this.#consumer = opts.consumer;
    this.#timeoutMs = opts.timeoutMs;
    this.#streams = opts.streams;
    this.#onDead = opts.onDead;
    this.#onError = opts.onError;
  }

  async start(): Promise<void> {
    await this.beat();
    await this.#redis.sadd(this.#keys.members, this.#consumer);
    this.#timer = setInterval(
      () => {
        this.beat().catch(this.#onError);
        this.#pass();
      },
      Math.max(1, Math.floor(this.#timeoutMs / 3)),
    );
    this.#timer.unref();
  }

  async beat(): Promise<void> {
    await this.#redis.set(this.#keys.node(this.#consumer), '1', 'PX', this.#timeoutMs);
  }

  #pass(): void {
    if (this.#passing) return;
    this.#passing = true;
    this.#reclaim()
      .catch(this.#onError)
      .finally(() => {
        this.#passing = false;
      });
  }

  async #reclaim(): Promise<void> {
    const missing = new Set<string>();
    for (const s of this.#streams()) {
      s.backlog(await this.#ops.backlog(s.key));
      for (const name of await this.#ops.consumers(s.key)) {
        if (name === this.#consumer) {
          // Idle for a whole timeout: not one a read of this node is just taking.
          if (s.idle) await this.#ops.reclaim(s.key, name, this.#timeoutMs);
          continue;
        }
        if ((await this.#redis.exists(this.#keys.node(name))) === 1) continue;
        missing.add(name);
        if (!this.#suspects.has(name)) continue;
        await this.#ops.reclaim(s.key, name);
        await this.#ops.forgetUse(s.usedKey, name);
      }
    }
    // Nodes with no shared queue are not in any group: the member set finds them too.
    for (const name of await this.#redis.smembers(this.#keys.members)) {
      if (name === this.#consumer) continue;
      if ((await this.#redis.exists(this.#keys.node(name))) === 1) continue;
      missing.add(name);
      // SREM answers 1 to one node only: that one reports the death.
      if (this.#suspects.has(name) && (await this.#redis.srem(this.#keys.members, name)) === 1) {
        this.#onDead(name);
      }
    }
    this.#suspects = missing;
  }

  /** Stops beating and removes the heartbeat, so the others take over at once. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#redis.srem(this.#keys.members, this.#consumer);
    await this.#redis.del(this.#keys.node(this.#consumer));
  }
}
