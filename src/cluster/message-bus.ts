import { deserialize, serialize } from 'node:v8';
import type { Redis } from 'ioredis';
import type { Message } from '../spi.js';
import { decodeRecord, encodeRecord } from '../store/redis-record.js';
import type { ClusterKeys } from './cluster-keys.js';

interface Frame {
  readonly node: string;
  readonly messages: Buffer[];
}

/**
 * Cross-node delivery into connection-owned queues (MQTT node queues, STOMP `/topic`
 * subscriptions, exclusive AMQP queues): each node routes what it publishes itself and puts the
 * message on its vhost's channel; every other node routes it again and enqueues it only into
 * its own such queues (Vhost.publishForeign), so each queue gets it once. Messages of one
 * event-loop turn travel as one PUBLISH. Like those queues, this path is transient (Redis
 * pub/sub, at most once): a node that is disconnected from Redis misses what is published
 * meanwhile.
 */
export class MessageBus {
  readonly #redis: Redis;
  readonly #keys: ClusterKeys;
  readonly #node: string;
  readonly #onError: (err: unknown) => void;
  readonly #pending = new Map<string, Buffer[]>();
  #flush: NodeJS.Immediate | undefined;

  constructor(redis: Redis, keys: ClusterKeys, node: string, onError: (err: unknown) => void) {
    this.#redis = redis;
    this.#keys = keys;
    this.#node = node;
    this.#onError = onError;
  }

  forward(vhost: string, message: Message): void {
    let list = this.#pending.get(vhost);
    if (!list) this.#pending.set(vhost, (list = []));
    list.push(encodeRecord(message));
    this.#flush ??= setImmediate(() => {
      this.#flush = undefined;
      this.#send();
    });
  }

  #send(): void {
    for (const [vhost, messages] of this.#pending) {
      const frame: Frame = { node: this.#node, messages };
      this.#redis.publish(this.#keys.messageChannel(vhost), serialize(frame)).catch(this.#onError);
    }
    this.#pending.clear();
  }

  /** Another node's messages, or none when the frame is this node's own. */
  receive(payload: Buffer): Message[] {
    const frame = deserialize(payload) as Frame;
    if (frame.node === this.#node) return [];
    return frame.messages.map((b) => decodeRecord(b).message);
  }

  close(): void {
    if (this.#flush) clearImmediate(this.#flush);
    this.#flush = undefined;
    this.#send();
  }
}
