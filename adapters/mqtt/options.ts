import { z } from 'zod';

const MiB = 1024 * 1024;

/** `protocols.mqtt` in the gateway config. Every option has a default (RabbitMQ's ports,
 * Mosquitto's limits where RabbitMQ has none). */
export const mqttOptionsSchema = z.object({
  tcp: z
    .object({
      enabled: z.boolean().default(true),
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(1883),
    })
    .prefault({}),
  ws: z
    .object({
      enabled: z.boolean().default(true),
      host: z.string().default('0.0.0.0'),
      port: z.number().int().min(0).max(65535).default(15675),
      path: z.string().default('/ws'),
    })
    .prefault({}),
  vhost: z.string().default('/'),
  /** A CONNECT without username logs in as `defaultUser` (RabbitMQ `mqtt.allow_anonymous`,
   * `mqtt.default_user`, `mqtt.default_pass`). */
  allowAnonymous: z.boolean().default(true),
  defaultUser: z.string().default('guest'),
  defaultPassword: z.string().default('guest'),
  /** Where MQTT publishes go and MQTT subscriptions bind (RabbitMQ `mqtt.exchange`). */
  exchange: z.string().default('amq.topic'),
  /** Largest packet accepted (remaining length); bigger ones close the connection. */
  maxPacketSize: z.number().int().positive().default(MiB),
  /** Topic levels per topic name or filter; aedes cannot go above 100, and the core refuses
   * routing keys with more words than its `limits.maxRoutingKeyWords` (default 64). */
  maxTopicLevels: z.number().int().min(1).max(100).default(64),
  /** Client id length for MQTT 3.1 (3.1.1 has no limit, 3.1 says 23). */
  maxClientIdLength: z.number().int().positive().default(23),
  /** Time for the CONNECT packet to arrive after the socket opens. */
  connectTimeoutMs: z.number().int().positive().default(30_000),
  /** A subscriber whose socket stays full this long is disconnected (0 = never). */
  drainTimeoutMs: z.number().int().min(0).default(60_000),
  /** Unacknowledged QoS 1/2 deliveries per client, and the prefetch of each
   * shared-subscription member (Mosquitto `max_inflight_messages`). */
  inflightWindow: z.number().int().positive().default(20),
  /** QoS 1/2 deliveries waiting for room in a client's in-flight window; more are dropped from
   * the live connection (Mosquitto's `max_queued_messages` does the same at 1000; we hold
   * more so a burst from many publishers to one subscriber is not cut). */
  maxQueuedMessages: z.number().int().positive().default(100_000),
  /** QoS 0 messages are dropped for a subscriber with this many bytes waiting in its socket
   * buffer, so one slow reader cannot grow memory without bound (RabbitMQ drops QoS 0 the
   * same way above `mqtt.mailbox_soft_limit`). */
  qos0BufferLimit: z.number().int().positive().default(MiB),
  /** Packets read before CONNECT completes are queued up to this count. */
  queueLimit: z.number().int().positive().default(42),
  /** A shared-subscription queue is deleted after this long without members. */
  sharedQueueExpiryMs: z.number().int().positive().default(86_400_000),
});

export type MqttOptions = z.infer<typeof mqttOptionsSchema>;
