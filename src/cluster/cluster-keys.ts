import { escapeKeyPart } from '../store/redis-keys.js';

/**
 * Keys and channels of the cluster layer, next to the store's (redis-keys.ts) under the same
 * prefix P. A queue's stream key holds the queue name in a hash tag so that, on Redis
 * Cluster, every command of a queue (one key per command or script) goes to one slot.
 *
 *   P cluster:topo:<vh>          hash     shared topology: `x:<name>`, `q:<name>`,
 *                                         `b:<bindingKey>` -> V8 spec (durable or not)
 *   P cluster:node:<consumer>    string   heartbeat of a running node (PX nodeTimeoutMs)
 *   P cluster:members            set      consumers of running nodes (a dead one is removed by
 *                                         the first survivor that finds it dead)
 *   P cluster:{<vh>:<q>}:stream  stream   a shared queue's messages; consumer group `gw`,
 *                                         one consumer per running node process
 *   P cluster:{<vh>:<q>}:used    hash     consumer -> 0 while that node has consumers on the
 *                                         queue, else when it last used it (x-expires, auto-delete)
 *   P cluster:topo               channel  topology changes (all vhosts)
 *   P cluster:msg:<vh>           channel  messages routed on one node, for the others' own
 *                                         connection-owned queues
 *   P cluster:interest           channel  what those queues are bound to (remote-interest.ts)
 *   P cluster:auth               hash     consumer -> digest of its `auth` config section
 *   P cluster:holders            hash     session key (e.g. `mqtt:<vh>:<client id>`) -> the
 *                                         consumer holding it (cluster-peers.ts)
 *   P cluster:peers              channel  adapter announcements, release requests and answers
 */
export class ClusterKeys {
  readonly topoChannel: string;
  readonly interestChannel: string;
  readonly authDigests: string;
  readonly holders: string;
  readonly members: string;
  readonly peersChannel: string;
  readonly #p: string;

  constructor(prefix: string) {
    this.#p = `${prefix}cluster:`;
    this.topoChannel = `${this.#p}topo`;
    this.interestChannel = `${this.#p}interest`;
    this.authDigests = `${this.#p}auth`;
    this.holders = `${this.#p}holders`;
    this.members = `${this.#p}members`;
    this.peersChannel = `${this.#p}peers`;
  }

  topology(vhost: string): string {
    return `${this.#p}topo:${escapeKeyPart(vhost)}`;
  }
  node(consumer: string): string {
    return `${this.#p}node:${escapeKeyPart(consumer)}`;
  }
  stream(vhost: string, queue: string): string {
    return `${this.#p}{${escapeKeyPart(vhost)}:${escapeKeyPart(queue)}}:stream`;
  }
  used(vhost: string, queue: string): string {
    return `${this.#p}{${escapeKeyPart(vhost)}:${escapeKeyPart(queue)}}:used`;
  }
  messageChannel(vhost: string): string {
    return `${this.#p}msg:${escapeKeyPart(vhost)}`;
  }
}

/** The one consumer group of every shared queue's stream. */
export const GROUP = 'gw';
