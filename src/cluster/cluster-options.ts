/** The `cluster` section of the configuration: several gateway nodes on one Redis. */
import { hostname } from 'node:os';
import { z } from 'zod';

export const clusterSchema = z
  .object({
    /** Off by default; needs `store.type: redis` (the nodes share that Redis and prefix). */
    enabled: z.boolean().default(false),
    /** Unique per node, for logs and Redis consumer names; '' = `<hostname>-<pid>`. */
    nodeId: z.string().default(''),
    /** A node that has not renewed its heartbeat for this long is dead: the messages it had
     * taken from shared queues and not settled go back to their queues, for any node. */
    nodeTimeoutMs: z.number().int().min(100).default(10_000),
    /** Every node re-reads the shared topology this often, so a missed announcement is
     * repaired within this time even without a reconnect. */
    resyncIntervalMs: z.number().int().min(100).default(30_000),
    /** Most messages one read takes from a shared queue's stream (also bounded by the
     * consumers' prefetch and credit). */
    fetchBatch: z.number().int().min(1).default(200),
    /** A blocking read on a shared queue returns after this long when nothing arrives. */
    blockMs: z.number().int().min(10).default(2_000),
  })
  .prefault({});

export type ClusterOptions = z.output<typeof clusterSchema>;

/** The node id to use: the configured one, or one unique on this host. */
export function nodeIdOf(opts: ClusterOptions): string {
  return opts.nodeId !== '' ? opts.nodeId : `${hostname()}-${process.pid}`;
}
