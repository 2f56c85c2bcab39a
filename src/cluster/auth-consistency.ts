import { createHash } from 'node:crypto';
import type { RedisConn } from './redis-client.js';
import type { GatewayConfig } from '../config/schema.js';
import type { Logger } from '../spi.js';
import type { ClusterKeys } from './cluster-keys.js';

/**
 * Users and permissions are configuration (`auth`), not runtime state: there is no API that
 * creates a user, so nothing of them travels between nodes. What a cluster needs is that every
 * node loads the same `auth` section, else a client is let in on one node and refused on the
 * next. Each node records a digest of its section in `P cluster:auth` (consumer -> digest) and,
 * at start and every resync, compares it with the live nodes' digests and logs the mismatch
 * once (a rolling configuration change passes through such a state on purpose, so it is not
 * refused). Entries of dead nodes are dropped on the way.
 */
export class AuthConsistency {
  readonly #redis: RedisConn;
  readonly #keys: ClusterKeys;
  readonly #consumer: string;
  readonly #digest: string;
  readonly #log: Logger;
  /** The differing nodes last reported, so a lasting mismatch is logged once. */
  #reported = '';

  constructor(opts: {
    redis: RedisConn;
    keys: ClusterKeys;
    consumer: string;
    auth: GatewayConfig['auth'];
    log: Logger;
  }) {
    this.#redis = opts.redis;
    this.#keys = opts.keys;
    this.#consumer = opts.consumer;
    this.#digest = authDigest(opts.auth);
    this.#log = opts.log;
  }

  /** Records this node's digest and reports live nodes whose digest differs; returns them. */
  async check(): Promise<string[]> {
    const key = this.#keys.authDigests;
    await this.#redis.hset(key, this.#consumer, this.#digest);
    const differing: string[] = [];
    for (const [consumer, digest] of Object.entries(await this.#redis.hgetall(key))) {
      if (consumer === this.#consumer || digest === this.#digest) continue;
      if ((await this.#redis.exists(this.#keys.node(consumer))) === 0) {
        await this.#redis.hdel(key, consumer);
        continue;
      }
      differing.push(consumer);
    }
    const report = differing.sort().join(',');
    if (report !== '' && report !== this.#reported) {
      this.#log.error(
        { nodes: differing },
        "cluster: these nodes' users and permissions (auth section) differ from this node's; " +
          'a client may be admitted on one node and refused on another',
      );
    }
    this.#reported = report;
    return differing;
  }

  async leave(): Promise<void> {
    await this.#redis.hdel(this.#keys.authDigests, this.#consumer);
  }
}

/** SHA-256 of the section with object keys sorted, so the order in the file does not count. */
export function authDigest(auth: GatewayConfig['auth']): string {
  return createHash('sha256')
    .update(JSON.stringify(sorted(auth)))
    .digest('hex');
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
  );
}
