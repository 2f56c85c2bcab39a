import { z } from 'zod';

/** The `protocols.amqp10` config section. AMQP 1.0 shares the AMQP port (5672) with 0-9-1:
 * the gateway's protocol-header demultiplexer hands us our connections, so there is no port here. */
export const amqp10OptionsSchema = z.object({
  /** Offer SASL ANONYMOUS (RabbitMQ `amqp1_0.default_user`-style): off by default. */
  allowAnonymous: z.boolean().default(false),
  /** The account an ANONYMOUS login authenticates as (RabbitMQ `anonymous_login_user/pass`). */
  anonymousLogin: z
    .object({ username: z.string().min(1).default('guest'), password: z.string().default('guest') })
    .prefault({}),
  /** The `max-frame-size` we announce in `open`; larger frames get `amqp:connection:framing-error`.
   * AMQP 1.0 2.7.1 requires at least 512. RabbitMQ's default is 128 KiB. */
  maxFrameSize: z
    .number()
    .int()
    .min(512)
    .max(0x4000_0000)
    .default(128 * 1024),
  /** Frames before SASL succeeds are tiny; bigger ones are refused before authentication. */
  maxSaslFrameSize: z.number().int().min(512).default(4096),
  /** Largest message a client may send, in bytes (announced as the link's max-message-size;
   * RabbitMQ's `max_message_size` default is 16 MiB). */
  maxMessageSize: z
    .number()
    .int()
    .min(512)
    .default(16 * 1024 * 1024),
  /** Highest channel number a client may use (AMQP 1.0 open `channel-max`); a frame on a
   * higher channel closes the connection with `amqp:connection:framing-error`. */
  channelMax: z.number().int().min(0).max(65535).default(255),
  /** Sessions open at once on one connection; one more is ended with
   * `amqp:resource-limit-exceeded` (the connection stays). */
  maxSessions: z.number().int().min(1).default(256),
  /** Links per session (AMQP 1.0 begin `handle-max`). */
  maxLinksPerSession: z.number().int().min(1).default(256),
  /** Incoming and outgoing unsettled transfers per session (the session window). */
  sessionWindow: z.number().int().min(1).default(2048),
  /** Credit granted to each sending client link and topped up as messages settle: the most
   * unsettled messages one publisher link may have in flight (RabbitMQ grants 128). */
  linkCredit: z.number().int().min(1).default(128),
  /** Idle timeout we announce in `open`, in ms: the client must send something (empty frames
   * count) within it. 0 disables it. RabbitMQ uses 60 s heartbeats. */
  idleTimeoutMs: z.number().int().min(0).default(60_000),
  /** From the protocol header to the client's `open` (SASL included), in ms. */
  handshakeTimeoutMs: z.number().int().min(1).default(10_000),
  /** Time a client gets after SASL outcome or a close with an error before the socket is cut. */
  closeTimeoutMs: z.number().int().min(1).default(2_000),
});

export type Amqp10Options = z.infer<typeof amqp10OptionsSchema>;
