import { deserialize, serialize } from 'node:v8';
import type { RedisConn } from './redis-client.js';
import type { Vhost } from '../core/vhost.js';
import type { ClusterKeys } from './cluster-keys.js';
import type { ClusterLog } from './cluster-log.js';
import { applyEntity, applyOrder, localEntities, type Entity } from './topology-fields.js';

/** A field every topology hash has once a node wrote it whole; without it the hash is
 * incomplete (Redis restarted empty and only changes made since are in it). */
const SEEDED = '~seeded';

interface Change {
  readonly node: string;
  readonly vhost: string;
  readonly field: string;
  readonly entity: Entity;
  readonly present: boolean;
}

/**
 * Shared topology across nodes. A change made on a node is applied there first, then written
 * to the cluster topology hash and published on the topology channel; the other nodes apply
 * the announcement. A node that (re)connects, and every node each `resyncIntervalMs`, reads the
 * hash back and converges to it, so a missed announcement is repaired within that interval.
 * Propagation is one pub/sub hop (milliseconds) while connected.
 */
export class TopologyBus {
  readonly #redis: RedisConn;
  readonly #keys: ClusterKeys;
  readonly #node: string;
  readonly #onError: (err: unknown) => void;
  /** Bumped by every change made or applied here: a resync that saw it move keeps what it
   * would otherwise delete (the snapshot may predate the change). */
  #version = 0;
  /** This node's changes Redis did not take (it was down), by vhost and field: sent again
   * before the next resync, which would otherwise undo them from the stale hash. */
  readonly #unsent = new Map<string, Change>();

  constructor(redis: RedisConn, keys: ClusterKeys, node: string, onError: (err: unknown) => void) {
    this.#redis = redis;
    this.#keys = keys;
    this.#node = node;
    this.#onError = onError;
  }

  announce(vhost: string, field: string, entity: Entity, present: boolean): void {
    this.#version++;
    this.#send({ node: this.#node, vhost, field, entity, present }).catch(this.#onError);
  }

  async #send(change: Change): Promise<void> {
    const id = `${change.vhost}\u0000${change.field}`;
    const key = this.#keys.topology(change.vhost);
    try {
      await (change.present
        ? this.#redis.hset(key, change.field, serialize(change.entity))
        : this.#redis.hdel(key, change.field));
      if (this.#unsent.get(id) === change) this.#unsent.delete(id);
    } catch (err) {
      this.#unsent.set(id, change);
      throw err;
    }
    await this.#redis.publish(this.#keys.topoChannel, serialize(change));
  }

  /** The deleted queue's messages go with it. */
  queueDropped(vhost: string, queue: string): void {
    this.#redis
      .del(this.#keys.stream(vhost, queue), this.#keys.used(vhost, queue))
      .catch(this.#onError);
  }

  /** An announcement from the topology channel; the vhost's log applies it as remote. */
  receive(payload: Buffer, target: (vhost: string) => [Vhost, ClusterLog] | undefined): void {
    const change = deserialize(payload) as Change;
    if (change.node === this.#node) return;
    const t = target(change.vhost);
    if (t) this.#apply(t[0], t[1], [change.entity], change.present);
  }

  #apply(vhost: Vhost, log: ClusterLog, entities: Entity[], present: boolean): void {
    this.#version++;
    const order = present ? 1 : -1;
    entities.sort((a, b) => order * (applyOrder(a) - applyOrder(b)));
    for (const e of entities) {
      try {
        log.remote(() => {
          applyEntity(vhost, e, present);
        });
      } catch (err) {
        // An inequivalent redeclaration or a missing end: this node keeps its own state.
        this.#onError(err);
      }
    }
  }

  /** Converge this node's shared topology of `vhost` to the cluster's. A hash Redis lost
   * (restarted without persistence) is written back from this node's state. */
  async resync(vhost: Vhost, log: ClusterLog): Promise<void> {
    for (const change of [...this.#unsent.values()])
      if (change.vhost === vhost.name) await this.#send(change);
    const before = this.#version;
    const key = this.#keys.topology(vhost.name);
    const stored = await this.#redis.hgetallBuffer(key);
    const local = localEntities(vhost);
    if (!(SEEDED in stored)) {
      // First node ever, or Redis lost the hash: what the nodes have becomes the topology.
      const p = this.#redis.pipeline();
      for (const [field, e] of local) p.hsetnx(key, field, serialize(e));
      p.hset(key, SEEDED, '1');
      await p.exec();
      return;
    }
    const wanted = new Map<string, Entity>();
    for (const [f, v] of Object.entries(stored))
      if (f !== SEEDED) wanted.set(f, deserialize(v) as Entity);
    this.#apply(
      vhost,
      log,
      [...wanted].filter(([f]) => !local.has(f)).map(([, e]) => e),
      true,
    );
    if (this.#version !== before + 1) return;
    this.#apply(
      vhost,
      log,
      [...local].filter(([f]) => !wanted.has(f)).map(([, e]) => e),
      false,
    );
  }
}
