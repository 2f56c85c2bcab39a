/** The core's limits, in a module of their own so the core (and its tests) load no adapter. */
import { z } from 'zod';

export const coreLimitsSchema = z.object({
  /** Most words in a routing key or binding pattern (MQTT topic levels map to words). */
  maxRoutingKeyWords: z.number().int().min(1).default(64),
  /** Routing keys longer than this are refused (AMQP 0-9-1 shortstr is 255). */
  maxRoutingKeyLength: z.number().int().min(1).default(255),
  /** Entries in each topic exchange's match cache (nats sublist uses 1024). */
  topicCacheSize: z.number().int().min(0).default(1024),
  /** Queues per vhost. */
  maxQueues: z.number().int().min(1).default(100_000),
  /** Exchanges per vhost. */
  maxExchanges: z.number().int().min(1).default(10_000),
  /** Client connections across every listener (0 = no cap). */
  maxConnections: z.number().int().min(0).default(100_000),
  /** Client connections from one source address (0 = no cap). */
  maxConnectionsPerIp: z.number().int().min(0).default(0),
  /** Connections per user unless the user sets `maxConnections` (0 = no cap). */
  maxConnectionsPerUser: z.number().int().min(0).default(0),
  /** Messages per second one connection may publish (token bucket); above it the connection
   * is no longer read until tokens are back, as RabbitMQ's credit flow slows a publisher.
   * 0 = no limit. */
  publishRatePerConnection: z.number().min(0).default(0),
  /** Messages a connection may publish in one burst above the rate (0 = one second's worth). */
  publishBurst: z.number().int().min(0).default(0),
  /** Hard cap on consumers per queue. */
  maxConsumersPerQueue: z.number().int().min(1).default(10_000),
});

export type CoreLimits = z.output<typeof coreLimitsSchema>;
