import type { Message } from '../../spi.js';
import type { Queue, QueueHooks, QueueOptions } from './queue.js';

/**
 * What a vhost asks of the cluster layer (src/cluster) when several nodes share one Redis.
 * The core stays single-process; these two hooks are where a node's routing meets the others.
 */
export interface VhostCluster {
  /** A queue whose messages live in Redis (shared by every node), or undefined for an ordinary
   * in-process queue (connection-owned ones). */
  createQueue(options: QueueOptions, hooks: QueueHooks): Queue | undefined;
  /** A message this node routed: other nodes deliver it into their own node-local queues.
   * A promise when another node wants it: the publisher's acknowledgement waits for it, and
   * is refused when it rejects (Redis unreachable). */
  forward(message: Message): Promise<void> | undefined;
  /** Another node has a connection-owned queue the message matches (it is not unroutable). */
  routesElsewhere(message: Message): boolean;
}
