import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** A connection to a single Redis or to a Redis Cluster (ioredis' `Cluster` client). */
export type RedisConn = Redis | Cluster;

export interface RedisTarget {
  /** `redis://[user:password@]host:port[/db]`, `rediss://` for TLS (a single Redis). */
  readonly url: string;
  /** Seed nodes of a Redis Cluster; when any is given the Cluster client is used (their URL's
   * credentials and TLS apply to every node) and `url` is not. */
  readonly clusterNodes: readonly string[];
}

export interface ConnectionOptions {
  readonly connectTimeoutMs: number;
  /** undefined: no timeout (a connection carrying blocking reads). */
  readonly commandTimeoutMs: number | undefined;
  /** Longest wait between reconnection attempts. */
  readonly retryMaxMs: number;
  /** Commands of one event-loop turn go out as one write. */
  readonly autoPipelining?: boolean | undefined;
}

/**
 * Not connected yet (`lazyConnect`). No offline queue and no retries: while Redis is
 * unreachable a command fails at once (publishers get refusals, not a hang) and the client
 * reconnects in the background.
 */
export function redisConnection(target: RedisTarget, opts: ConnectionOptions): RedisConn {
  const retry = (attempt: number): number => Math.min(attempt * 100, opts.retryMaxMs);
  const common: RedisOptions = {
    enableOfflineQueue: false,
    // In-flight commands fail when the connection drops instead of waiting for a reconnect.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: opts.connectTimeoutMs,
    ...(opts.commandTimeoutMs === undefined ? {} : { commandTimeout: opts.commandTimeoutMs }),
  };
  const [seed] = target.clusterNodes;
  if (seed === undefined) {
    return new Redis(target.url, {
      ...common,
      lazyConnect: true,
      enableAutoPipelining: opts.autoPipelining ?? false,
      retryStrategy: retry,
    });
  }
  const u = new URL(seed);
  return new Cluster([...target.clusterNodes], {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: opts.autoPipelining ?? false,
    clusterRetryStrategy: retry,
    redisOptions: {
      ...common,
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  });
}
