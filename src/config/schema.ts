/**
 * The gateway's configuration: every option, its default and its validation, in one place.
 * Adapter sections come from each adapter's own schema (src/adapters.ts).
 */
import { z } from 'zod';
import { ADAPTERS } from '../adapters.js';
import { clusterSchema } from '../cluster/cluster-options.js';
import { coreLimitsSchema } from './core-limits.js';

const host = z.string().min(1).default('0.0.0.0');
const port = z.number().int().min(0).max(65535);

export const userSchema = z.object({
  username: z.string().min(1),
  /** `scrypt$<N>$<salt b64>$<hash b64>`; make one with `gateway hash-password`. */
  passwordHash: z.string().regex(/^scrypt\$\d+\$[^$]+\$[^$]+$/, 'must be scrypt$N$salt$hash'),
  vhosts: z.array(z.string()).default(['/']),
  /** `administrator` may use the management API (RabbitMQ's tag). */
  tags: z.array(z.string()).default([]),
  /** RabbitMQ-style regular expressions on exchange and queue names, per vhost. A vhost in
   * `vhosts` without an entry here gets full permissions (`.*`). Variables: `{username}`,
   * `{vhost}`, `{client_id}`. */
  permissions: z
    .array(
      z.object({
        vhost: z.string().default('/'),
        configure: z.string().default('.*'),
        write: z.string().default('.*'),
        read: z.string().default('.*'),
      }),
    )
    .default([]),
  /** Topic permissions on topic exchanges: `write` / `read` are regular expressions on AMQP
   * routing keys (RabbitMQ); `mqttWrite` / `mqttRead` are MQTT filters on topics as MQTT
   * clients write them (`devices/{client_id}/#`) and, when set, apply to MQTT clients instead. */
  topicPermissions: z
    .array(
      z.object({
        vhost: z.string().default('/'),
        exchange: z.string().default('amq.topic'),
        write: z.string().optional(),
        read: z.string().optional(),
        mqttWrite: z.string().optional(),
        mqttRead: z.string().optional(),
      }),
    )
    .default([]),
  /** Most connections open at once as this user (RabbitMQ user limit `max-connections`);
   * unset = `limits.maxConnectionsPerUser`, 0 = no cap. */
  maxConnections: z.number().int().min(0).optional(),
});

function protocolsSchema() {
  const shape: Record<string, z.ZodType> = {};
  for (const entry of ADAPTERS) {
    shape[entry.name] = entry.schema.extend({ enabled: z.boolean().default(true) }).prefault({});
  }
  return z.object(shape).strict().prefault({});
}

export const gatewayConfigSchema = z
  .object({
    /** Node name for logs and the management API. */
    name: z.string().default('gateway'),
    /** On SIGTERM/SIGINT: clients are told and the store flushed within this time, then the
     * process exits (0 when everything closed in time, 1 otherwise). */
    shutdownGraceMs: z.number().int().min(0).default(10_000),
    dataDir: z.string().default('./data'),
    log: z
      .object({
        level: z
          .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
          .default('info'),
        /** Log every frame read and written, per connection, at `debug` (protocol, direction,
         * type, size, the first bytes of a body). For debugging only: it costs throughput. */
        traceFrames: z.boolean().default(false),
      })
      .prefault({}),
    /** AMQP 0-9-1 and AMQP 1.0 share one port, told apart by the 8-byte protocol header. */
    amqp: z
      .object({
        host,
        port: port.default(5672),
        /** A connection that does not send its protocol header within this time is closed. */
        handshakeTimeoutMs: z.number().int().min(1).default(10_000),
      })
      .prefault({}),
    /** The management HTTP API, `/metrics`, `/healthz` and `/readyz` (RabbitMQ's port). */
    management: z
      .object({ enabled: z.boolean().default(true), host, port: port.default(15672) })
      .prefault({}),
    /** TLS listeners (mqtts, amqps, stomp+ssl) handed to the adapters; PEM files. */
    tls: z
      .object({
        enabled: z.boolean().default(false),
        host,
        certFile: z.string().default(''),
        keyFile: z.string().default(''),
        /** CA bundle for client certificates. */
        caFile: z.string().default(''),
        /** Ask for and verify client certificates against `caFile`. */
        requestClientCert: z.boolean().default(false),
        /** With `requestClientCert`: refuse the handshake of a client without a valid
         * certificate (RabbitMQ `fail_if_no_peer_cert`). When false such a client connects,
         * unverified, and must log in with a password. */
        failIfNoPeerCert: z.boolean().default(true),
        /** A verified client certificate's subject CN is the username, no password needed:
         * SASL EXTERNAL on AMQP, a CONNECT without password (MQTT) or login (STOMP)
         * (RabbitMQ `ssl_cert_login`, `ssl_cert_login_from = common_name`). */
        certLogin: z.boolean().default(false),
        ports: z
          .object({
            amqp: port.default(5671),
            mqtt: port.default(8883),
            stomp: port.default(61614),
            /** MQTT over secure WebSocket (RabbitMQ web-mqtt TLS). */
            mqttWss: port.default(15676),
            /** STOMP over secure WebSocket (RabbitMQ web-stomp TLS). */
            stompWss: port.default(15673),
          })
          .prefault({}),
      })
      .refine((t) => !t.enabled || (t.certFile !== '' && t.keyFile !== ''), {
        message: 'certFile and keyFile are required when tls.enabled is true',
      })
      // Without a CA to verify against, a certificate would prove nothing.
      .refine((t) => !t.certLogin || (t.requestClientCert && t.caFile !== ''), {
        message: 'certLogin needs requestClientCert and a caFile',
        path: ['certLogin'],
      })
      .prefault({}),
    /** Process-wide memory alarm (RabbitMQ `vm_memory_high_watermark`): while the resident set
     * is above it, connections that publish are no longer read. */
    memory: z
      .object({
        /** Bytes of RSS (RabbitMQ `.absolute`); 0 = use `highWatermarkRelative`. */
        highWatermark: z.number().int().min(0).default(0),
        /** Fraction of the machine's memory (RabbitMQ `.relative`, whose default is 0.6);
         * 0 = no alarm unless `highWatermark` is set. */
        highWatermarkRelative: z.number().min(0).max(1).default(0),
        /** How often RSS is sampled. */
        checkIntervalMs: z.number().int().min(10).default(1000),
      })
      .prefault({}),
    vhosts: z.array(z.string().min(1)).default(['/']),
    store: z
      .object({
        /** `sqlite`: one file in `dataDir` (the default); `memory`: nothing survives a restart;
         * `redis`: in Redis (see `redis`); several gateways share one prefix only with `cluster`. */
        type: z.enum(['sqlite', 'memory', 'redis']).default('sqlite'),
        /** `full` fsyncs each group commit; `normal` survives process crashes only. */
        synchronous: z.enum(['full', 'normal']).default('full'),
        /** Most writes per SQLite transaction. */
        maxBatch: z.number().int().min(1).default(5000),
        /** For `type: redis`. Durability is Redis' own (`appendonly`, `appendfsync`). */
        redis: z
          .object({
            /** `redis://[user:password@]host:port[/db]`, `rediss://` for TLS. */
            url: z.string().min(1).default('redis://127.0.0.1:6379'),
            /** Every key starts with it, so several gateway clusters can share one Redis. */
            prefix: z.string().default('gw:'),
            /** Seed nodes (`redis://host:port`) of a Redis Cluster: when any is given, the
             * Cluster client is used with them (their credentials and TLS apply to every
             * node) and `url` is not. */
            clusterNodes: z.array(z.string().min(1)).default([]),
          })
          .prefault({}),
      })
      .prefault({}),
    /** Several gateway nodes on one Redis (docs/cluster.md). */
    cluster: clusterSchema,
    auth: z
      .object({
        users: z.array(userSchema).default([
          {
            username: 'guest',
            // password "guest" (RabbitMQ's default user)
            passwordHash:
              'scrypt$16384$Z3Vlc3Qtc2FsdC0wMDAx$BXwBYcTy9W24ZNlJkHvnaw70sOpigxoxivsP6M5g+Iw=',
            vhosts: ['/'],
            tags: ['administrator'],
            permissions: [],
            topicPermissions: [],
          },
        ]),
      })
      .prefault({}),
    limits: coreLimitsSchema.prefault({}),
    protocols: protocolsSchema(),
  })
  .strict();

export { coreLimitsSchema };
export type { CoreLimits } from './core-limits.js';
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type UserConfig = z.output<typeof userSchema>;
