import { z } from 'zod';

const host = z.string().min(1).default('0.0.0.0');
const port = z.number().int().min(0).max(65535);

/** The `protocols.stomp` config section. Defaults follow RabbitMQ's STOMP and Web STOMP plugins. */
export const stompOptionsSchema = z.object({
  tcp: z
    .object({
      enabled: z.boolean().default(true),
      host,
      /** RabbitMQ `stomp.listeners.tcp.1`. */
      port: port.default(61613),
    })
    .prefault({}),
  ws: z
    .object({
      enabled: z.boolean().default(true),
      host,
      /** RabbitMQ `web_stomp.tcp.port`. */
      port: port.default(15674),
      path: z.string().startsWith('/').default('/ws'),
      /** Allowed `Origin` header values on the upgrade (RabbitMQ 4.3 `web_stomp.allow_origins`).
       * Empty allows every origin: convenient for a development start, to be set in production. */
      allowOrigins: z.array(z.string().min(1)).default([]),
      /** WebSocket message type for outgoing frames: `auto` sends text when the frame is valid
       * UTF-8 and binary otherwise (RabbitMQ's `web_stomp.ws_frame` is `text` or `binary`). */
      frameType: z.enum(['auto', 'text', 'binary']).default('auto'),
      /** Log in with the upgrade request's `Authorization: Basic` credentials when present,
       * instead of CONNECT's `login`/`passcode` (RabbitMQ `web_stomp.use_http_auth`). */
      useHttpAuth: z.boolean().default(false),
    })
    .prefault({}),
  /** A CONNECT without `login` logs in as `defaultUser` (RabbitMQ `stomp.default_user` /
   * `stomp.default_pass`, guest / guest). */
  allowAnonymous: z.boolean().default(true),
  defaultUser: z.string().default('guest'),
  defaultPassword: z.string().default('guest'),
  /** Whole frame, headers and body (RabbitMQ `stomp.max_frame_size`). */
  maxFrameSize: z
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  /** Header lines in one frame, repeated ones included. */
  maxHeaders: z.number().int().min(8).default(100),
  /** Bytes in one header line. */
  maxHeaderLength: z
    .number()
    .int()
    .min(256)
    .default(8 * 1024),
  /** Open subscriptions per connection. */
  maxSubscriptions: z.number().int().min(1).default(1000),
  /** Open transactions per connection (RabbitMQ: 16). */
  maxTransactions: z.number().int().min(1).default(16),
  /** SEND/ACK/NACK frames buffered in one transaction (RabbitMQ: 1024). */
  maxTransactionActions: z.number().int().min(1).default(1024),
  /** `prefetch-count` for client-ack subscriptions that do not set one; 0 = unlimited
   * (RabbitMQ's default). */
  defaultPrefetch: z.number().int().min(0).default(0),
  heartbeat: z
    .object({
      /** Shortest interval we send heart-beats at (the `sx` of CONNECTED `heart-beat`); 0 = never. */
      sendMinMs: z.number().int().min(0).default(1000),
      /** Shortest interval we ask the client to send at (`sy`); 0 = we do not check. */
      receiveMinMs: z.number().int().min(0).default(1000),
      /** A client is dead after `grace` x the negotiated interval without a byte. */
      grace: z.number().min(1).default(2),
    })
    .prefault({}),
  /** Close a connection that has not sent CONNECT within this time. */
  connectTimeoutMs: z.number().int().min(100).default(10_000),
  /** After an ERROR frame, wait this long for the client to read it before destroying the socket. */
  closeGraceMs: z.number().int().min(0).default(1000),
});

export type StompOptions = z.infer<typeof stompOptionsSchema>;
