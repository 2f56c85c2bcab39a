import { deserialize, serialize } from 'node:v8';
import type { RedisConn } from './redis-client.js';
import type { Message } from '../spi.js';
import { pendingBatch, type PendingBatch } from '../store/pending-batch.js';
import { decodeRecord, encodeRecord } from '../store/redis-record.js';
import type { ClusterKeys } from './cluster-keys.js';

/**
 * Cross-node delivery into connection-owned queues (MQTT node queues, STOMP `/topic`
 * subscriptions, exclusive AMQP queues): each node routes what it publishes itself and puts the
 * message on its vhost's channel; every other node routes it again and enqueues it only into
 * its own such queues (Vhost.publishForeign), so each queue gets it once. Messages of one
 * event-loop turn travel as one PUBLISH. Like those queues, this path is transient (Redis
 * pub/sub, at most once): a node that is disconnected from Redis misses what is published
 * meanwhile. The publishing side is not silent about it: `forward` resolves once Redis took
 * the PUBLISH and rejects when Redis is unreachable, so a publisher whose message another node
 * wants gets a refusal rather than a confirm (cluster.ts decides when that applies).
 */
export class MessageBus {
  readonly #redis: RedisConn;
  readonly #keys: ClusterKeys;
  /** Frame = u16 length | sender id | V8 array of message records. */
  readonly #header: Buffer;
  readonly #onError: (err: unknown) => void;
  readonly #pending = new Map<string, PendingBatch<Buffer[]>>();
  #flush: NodeJS.Immediate | undefined;

  constructor(redis: RedisConn, keys: ClusterKeys, node: string, onError: (err: unknown) => void) {
    this.#redis = redis;
    this.#keys = keys;
    const id = Buffer.from(node);
    this.#header = Buffer.concat([Buffer.from([id.length >> 8, id.length & 0xff]), id]);
    this.#onError = onError;
  }

  /** Resolves when Redis has taken the PUBLISH that carries the message. */
  forward(vhost: string, message: Message): Promise<void> {
    let batch = this.#pending.get(vhost);
    if (!batch) this.#pending.set(vhost, (batch = pendingBatch<Buffer[]>([])));
    batch.content.push(encodeRecord(message));
    this.#flush ??= setImmediate(() => {
      this.#flush = undefined;
      this.#send();
    });
    return batch.done;
  }

  #send(): void {
    for (const [vhost, batch] of this.#pending) {
      const frame = Buffer.concat([this.#header, serialize(batch.content)]);
      this.#redis.publish(this.#keys.messageChannel(vhost), frame).then(
        () => {
          batch.resolve();
        },
        (err: unknown) => {
          batch.reject(err);
          this.#onError(err);
        },
      );
    }
    this.#pending.clear();
  }

  /** Another node's messages, or none when the frame is this node's own. */
  receive(payload: Buffer): Message[] {
    // Every node hears its own frames too: the header says whose it is before any decoding.
    if (payload.subarray(0, this.#header.length).equals(this.#header)) return [];
    const body = payload.subarray(2 + payload.readUInt16BE(0));
    return (deserialize(body) as Buffer[]).map((b) => decodeRecord(b).message);
  }

  close(): void {
    if (this.#flush) clearImmediate(this.#flush);
    this.#flush = undefined;
    this.#send();
  }
}
