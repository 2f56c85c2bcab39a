import { randomBytes } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type { RedisConn } from './redis-client.js';
import type { Peers } from '../spi.js';
import type { ClusterKeys } from './cluster-keys.js';

/** On `P cluster:peers`: an announcement, a request to let go of a key, its answer. */
type Envelope =
  | {
      readonly t: 'announce';
      readonly from: string;
      readonly subject: string;
      readonly payload: Buffer;
    }
  | {
      readonly t: 'release';
      readonly from: string;
      readonly to: string;
      readonly key: string;
      readonly id: string;
    }
  | { readonly t: 'released'; readonly from: string; readonly to: string; readonly id: string };

// One key per script (Redis Cluster). HSET returns the previous holder.
const CLAIM = `local prev = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return prev`;
const RELEASE = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0`;
/** Takes the key only if it is still held by ARGV[2] ('' = nobody). */
const ADOPT = `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if (cur == false and ARGV[2] == '') or cur == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0`;

/**
 * Session holders and adapter announcements across nodes. `P cluster:holders` maps a session
 * key to the consumer (node process) holding it. A claim takes the key in one script and, if a
 * live node held it, asks that node over pub/sub to let go and waits for its answer (at most
 * `releaseTimeoutMs`: a node that does not answer is as good as dead). A key whose holder has
 * no heartbeat is adopted by whichever node takes it first (compare-and-set). Announcements are
 * pub/sub: at most once; what they carry must also be in the store, and `onResync` handlers
 * reload it.
 */
export class ClusterPeers implements Peers {
  readonly clustered = true;
  readonly #redis: RedisConn;
  readonly #keys: ClusterKeys;
  readonly #consumer: string;
  readonly #releaseTimeoutMs: number;
  readonly #onError: (err: unknown) => void;
  #releaseHandler: ((key: string) => Promise<void>) | undefined;
  readonly #announcements = new Map<string, (payload: Buffer) => void>();
  readonly #resync: (() => void)[] = [];
  /** Release requests this node waits for, by id. */
  readonly #waiting = new Map<string, () => void>();

  constructor(opts: {
    redis: RedisConn;
    keys: ClusterKeys;
    consumer: string;
    releaseTimeoutMs: number;
    onError: (err: unknown) => void;
  }) {
    this.#redis = opts.redis;
    this.#keys = opts.keys;
    this.#consumer = opts.consumer;
    this.#releaseTimeoutMs = opts.releaseTimeoutMs;
    this.#onError = opts.onError;
  }

  async claim(key: string): Promise<void> {
    const prev = (await this.#redis.eval(CLAIM, 1, this.#keys.holders, key, this.#consumer)) as
      string | null;
    if (prev === null || prev === this.#consumer) return;
    if ((await this.#redis.exists(this.#keys.node(prev))) === 0) return;
    const id = randomBytes(8).toString('hex');
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve();
      };
      const timer = setTimeout(done, this.#releaseTimeoutMs);
      this.#waiting.set(id, done);
      this.#send({ t: 'release', from: this.#consumer, to: prev, key, id }, done);
    });
  }

  async release(key: string): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#keys.holders, key, this.#consumer);
  }

  async adopt(keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    const holders = await this.#redis.hmget(this.#keys.holders, ...keys);
    const alive = new Map<string, boolean>();
    const adopted: string[] = [];
    for (const [i, key] of keys.entries()) {
      const holder = holders[i] ?? null;
      if (holder === this.#consumer) {
        adopted.push(key);
        continue;
      }
      if (holder !== null) {
        let live = alive.get(holder);
        if (live === undefined) {
          live = (await this.#redis.exists(this.#keys.node(holder))) === 1;
          alive.set(holder, live);
        }
        if (live) continue;
      }
      const took = await this.#redis.eval(
        ADOPT,
        1,
        this.#keys.holders,
        key,
        holder ?? '',
        this.#consumer,
      );
      if (took === 1) adopted.push(key);
    }
    return adopted;
  }

  onRelease(handler: (key: string) => Promise<void>): void {
    this.#releaseHandler = handler;
  }

  announce(subject: string, payload: Buffer): void {
    this.#send({ t: 'announce', from: this.#consumer, subject, payload });
  }

  onAnnouncement(subject: string, handler: (payload: Buffer) => void): void {
    this.#announcements.set(subject, handler);
  }

  onResync(handler: () => void): void {
    this.#resync.push(handler);
  }

  /** Reconnected to Redis, or the resync interval passed. */
  resync(): void {
    for (const h of this.#resync) h();
  }

  receive(payload: Buffer): void {
    const e = deserialize(payload) as Envelope;
    if (e.from === this.#consumer) return;
    if (e.t === 'announce') {
      this.#announcements.get(e.subject)?.(e.payload);
      return;
    }
    if (e.to !== this.#consumer) return;
    if (e.t === 'released') {
      this.#waiting.get(e.id)?.();
      return;
    }
    const answer = (): void => {
      this.#send({ t: 'released', from: this.#consumer, to: e.from, id: e.id });
    };
    (this.#releaseHandler?.(e.key) ?? Promise.resolve()).then(answer, (err: unknown) => {
      this.#onError(err);
      answer();
    });
  }

  #send(e: Envelope, onFailure?: () => void): void {
    this.#redis.publish(this.#keys.peersChannel, serialize(e)).catch((err: unknown) => {
      this.#onError(err);
      onFailure?.();
    });
  }

  close(): void {
    for (const done of [...this.#waiting.values()]) done();
  }
}
