import { Redis } from 'ioredis';

/**
 * A connection of the cluster layer. Like the store's: no offline queue and no retries, so a
 * command fails at once while Redis is unreachable (publishers get refusals, not a hang) and
 * the client reconnects in the background. `blocking` connections carry one XREADGROUP BLOCK
 * at a time and so get no command timeout.
 */
export function clusterClient(
  url: string,
  onError: (err: Error) => void,
  opts: { readonly blocking?: boolean; readonly pipelined?: boolean } = {},
): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Commands of one event-loop turn go out as one write (XADDs of a burst of publishes).
    enableAutoPipelining: opts.pipelined ?? false,
    connectTimeout: 5_000,
    ...(opts.blocking ? {} : { commandTimeout: 5_000 }),
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  client.on('error', onError);
  return client;
}
