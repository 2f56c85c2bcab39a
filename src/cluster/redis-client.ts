import type { RedisTarget } from '../store/redis-connection.js';
import { redisConnection, type RedisConn } from '../store/redis-connection.js';

export type { RedisConn };

/**
 * A connection of the cluster layer, to the store's Redis or Redis Cluster. Like the store's: no
 * offline queue and no retries, so a command fails at once while Redis is unreachable
 * (publishers get refusals, not a hang) and the client reconnects in the background.
 * `blocking` connections carry one XREADGROUP BLOCK at a time and so get no command timeout.
 */
export function clusterClient(
  target: RedisTarget,
  onError: (err: Error) => void,
  opts: { readonly blocking?: boolean; readonly pipelined?: boolean } = {},
): RedisConn {
  const client = redisConnection(target, {
    connectTimeoutMs: 5_000,
    commandTimeoutMs: opts.blocking ? undefined : 5_000,
    retryMaxMs: 1_000,
    // Commands of one event-loop turn go out as one write (XADDs of a burst of publishes).
    autoPipelining: opts.pipelined ?? false,
  });
  client.on('error', onError);
  return client;
}
