/**
 * Options of the AMQP 0-9-1 adapter (`protocols.amqp091`). The listener itself is the shared
 * AMQP port (`amqp.host` / `amqp.port`, 5672), demultiplexed by protocol header in the gateway.
 * Defaults follow RabbitMQ's.
 */
import { z } from 'zod';

export const amqp091OptionsSchema = z.object({
  /** Largest frame in bytes offered in connection.tune (RabbitMQ `frame_max`, 128 KiB). */
  frameMax: z.number().int().min(4096).max(0x7fffffff).default(131_072),
  /** Highest channel number offered in connection.tune (RabbitMQ `channel_max`). */
  channelMax: z.number().int().min(1).max(65_535).default(2047),
  /** Heartbeat interval in seconds offered in connection.tune; 0 disables (RabbitMQ 60). */
  heartbeat: z.number().int().min(0).max(65_535).default(60),
  /** Time from the protocol header to connection.open-ok (RabbitMQ `handshake_timeout`). */
  handshakeTimeoutMs: z.number().int().min(1).default(10_000),
  /** How long to wait for the peer's close-ok before dropping the socket. */
  closeTimeoutMs: z.number().int().min(1).default(3_000),
  /** Largest message body accepted (RabbitMQ `max_message_size`, 16 MiB). */
  maxMessageSize: z
    .number()
    .int()
    .min(1)
    .max(512 * 1024 * 1024)
    .default(16 * 1024 * 1024),
  /** Consumers one channel may hold. */
  maxConsumersPerChannel: z.number().int().min(1).default(10_000),
  /** Publishes awaiting a confirm or a tx.commit per channel before the channel is closed. */
  maxPendingPerChannel: z.number().int().min(1).default(100_000),
});

export type Amqp091Options = z.infer<typeof amqp091OptionsSchema>;
