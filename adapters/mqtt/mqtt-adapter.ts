/**
 * The MQTT 3.1 / 3.1.1 adapter: aedes speaks the protocol (CONNECT, keep-alive, takeover, QoS
 * handshakes, retained messages, wills, sessions); the core carries every message through the
 * shared topic space (core-mq.ts). TCP and WebSocket connections go through the same
 * `handle(stream)`.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Aedes, type Client } from 'aedes';
import { createWebSocketStream } from 'ws';
import {
  connectionInfo,
  listenTcp,
  listenWs,
  type Adapter,
  type AdapterContext,
  type ConnectionInfo,
  type ConnectionSummary,
  type Listener,
  type ListenAddress,
  type MessageOrigin,
  type PublishGate,
} from '../../src/spi.js';
import { aedesHooks } from './aedes-hooks.js';
import { internals, readingControl, type ClientInternals } from './aedes-internals.js';
import type { ConnectionState } from './connection-state.js';
import { CoreMq, type Subscriber } from './core-mq.js';
import { Dispatcher } from './dispatcher.js';
import { traceMqttFrames } from './frame-trace.js';
import type { MqttOptions } from './options.js';
import { capRetainedQos, guardParser } from './packet-guards.js';
import { persistRetained } from './retained-store.js';
import { createSessionStore, enqueueForSessions } from './session-store.js';
import { SessionHandover } from './session-handover.js';
import { SessionRecords } from './session-records.js';
import { publishStoredWills } from './session-wills.js';
import { sharedDelivery } from './shared-delivery.js';
import { SharedSubscriptions } from './shared-subscriptions.js';

/** WebSocket subprotocols: MQTT 3.1.1 clients offer `mqtt`, MQTT 3.1 ones `mqttv3.1`. */
const WS_PROTOCOLS = ['mqtt', 'mqttv3.1'] as const;
/** Room for the WebSocket frame around the largest MQTT packet (fixed header). */
const WS_FRAME_OVERHEAD = 16;

export class MqttAdapter implements Adapter<MqttOptions> {
  readonly protocol = 'mqtt' as const;
  #aedes: Aedes | undefined;
  readonly #listeners: Listener[] = [];
  /** Live connections, for management and for finding a subscription's owner. */
  readonly #live = new Map<ClientInternals, ConnectionState>();
  /** Kept after the socket closes: a will is authorised after that. */
  readonly #states = new WeakMap<Client, ConnectionState>();
  readonly #byClientId = new Map<string, ConnectionState>();
  #ctx: AdapterContext<MqttOptions> | undefined;
  #nodeConnectionId = '';
  #dispatcher: Dispatcher | undefined;
  #handover: SessionHandover | undefined;
  #lastSubscriber: ConnectionState | undefined;

  async start(ctx: AdapterContext<MqttOptions>): Promise<readonly ListenAddress[]> {
    this.#ctx = ctx;
    const cfg = ctx.config;
    const vhost = ctx.broker.vhost(cfg.vhost);
    this.#nodeConnectionId = ctx.nextConnectionId('mqtt');
    const brokerId = randomUUID();
    const preBrokerId = `${brokerId}:pre`;
    const offline = createSessionStore(
      {
        added: (filter) => {
          mq.holdFilter(filter);
        },
        removed: (filter) => {
          mq.releaseFilter(filter);
        },
      },
      (packet) => packet.brokerId === preBrokerId,
    );
    const dispatcher = (this.#dispatcher = new Dispatcher({
      inflightWindow: cfg.inflightWindow,
      maxQueuedMessages: cfg.maxQueuedMessages,
      qos0BufferLimit: cfg.qos0BufferLimit,
      outgoingUpdate: (client, packet) => offline.outgoingUpdate(client, packet),
      onDelivered: (n) => {
        ctx.metrics.messagesOut('mqtt', n);
      },
    }));
    const shared = new SharedSubscriptions({
      vhost,
      exchange: cfg.exchange,
      prefetch: cfg.inflightWindow,
      expiryMs: cfg.sharedQueueExpiryMs,
      deliver: sharedDelivery(dispatcher, offline, `${brokerId}:shared`, ctx.log),
    });
    const mq = new CoreMq({
      vhost,
      exchange: cfg.exchange,
      brokerId,
      preBrokerId,
      dispatcher,
      shared,
      findSubscriber: (topic, listener) => this.#findSubscriber(topic, listener),
      origin: (clientId) => this.#origin(clientId),
      enqueueOffline: (packet) => enqueueForSessions(offline, packet),
      onPublished: () => {
        ctx.metrics.messagesIn('mqtt');
      },
      onError: (err) => {
        ctx.log.error({ err }, 'MQTT core bridge error');
      },
    });
    await persistRetained(offline, {
      store: ctx.store,
      vhost: cfg.vhost,
      brokerId,
      peers: ctx.peers,
      onError: (err) => {
        ctx.log.warn({ err }, 'MQTT retained messages not synchronised');
      },
    });
    const aedes = await Aedes.createBroker({
      id: brokerId,
      mq,
      persistence: offline,
      connectTimeout: cfg.connectTimeoutMs,
      drainTimeout: cfg.drainTimeoutMs,
      queueLimit: cfg.queueLimit,
      maxClientsIdLength: cfg.maxClientIdLength,
      maxTopicLevels: cfg.maxTopicLevels,
      ...aedesHooks({
        authn: ctx.authn,
        authz: ctx.authz,
        vhost: cfg.vhost,
        exchange: cfg.exchange,
        anonymous: cfg.allowAnonymous
          ? { username: cfg.defaultUser, password: cfg.defaultPassword }
          : undefined,
        shared,
        prePublish: (packet, clientId) => mq.prePublish(packet, clientId),
        log: ctx.log,
        stateOf: (client) => this.#states.get(client),
        subscribing: (client) => {
          this.#lastSubscriber = this.#states.get(client);
        },
        connecting: async (client, state) => {
          state.claimed = client.id;
          await this.#handover?.connecting(client.id);
        },
      }),
    });
    this.#aedes = aedes;
    mq.attach(`mqtt-node-${brokerId}`, this.#nodeConnectionId);
    // Stored sessions bind their filters, so the node queue must exist first.
    const records = new SessionRecords(ctx.store, cfg.vhost);
    const { peers } = ctx;
    const sessions = await offline.persist(records, !peers.clustered);
    const handover = (this.#handover = new SessionHandover({
      peers,
      vhost: cfg.vhost,
      sessions,
      records,
      aedes,
      closeClient: (clientId) => this.#closeClient(clientId),
      log: ctx.log,
    }));
    if (peers.clustered) {
      await handover.adopt();
      peers.onResync(() => {
        handover.adopt().catch((err: unknown) => {
          ctx.log.warn({ err }, 'MQTT session adoption failed');
        });
      });
    } else await publishStoredWills(aedes, records, ctx.log);
    aedes.on('clientReady', (client) => {
      const state = this.#states.get(client);
      if (state) this.#byClientId.set(client.id, state);
    });
    aedes.on('clientDisconnect', (client) => {
      if (this.#byClientId.get(client.id)?.client === client) this.#byClientId.delete(client.id);
    });
    aedes.on('clientError', (client, err) => {
      ctx.log.debug({ clientId: client.id, err: err.message }, 'MQTT client error');
    });
    aedes.on('connectionError', (_client, err) => {
      ctx.log.debug({ err: err.message }, 'MQTT connection error');
    });
    return this.#listen(cfg);
  }

  handle(stream: Duplex, info: ConnectionInfo): void {
    const aedes = this.#aedes;
    const ctx = this.#ctx;
    if (!aedes || !ctx) {
      stream.destroy();
      return;
    }
    const client = internals(aedes.handle(stream));
    const state: ConnectionState = { info, client, principal: undefined, rejectClientId: false };
    this.#states.set(client, state);
    this.#live.set(client, state);
    guardParser(client, ctx.config.maxPacketSize);
    capRetainedQos(client);
    // Made on the first PUBLISH: it only ever holds publishers, and idle devices stay small.
    let publishGate: PublishGate | undefined;
    if (ctx.frameTracer.enabled) {
      traceMqttFrames(stream, client, ctx.frameTracer, ctx.log.child({ connId: info.id }));
    }
    client._parser.prependListener('packet', (packet) => {
      if (packet.cmd === 'puback' || packet.cmd === 'pubcomp') {
        this.#dispatcher?.acked(client, packet.messageId as number);
      } else if (packet.cmd === 'publish') {
        (publishGate ??= ctx.publishGate(readingControl(client))).published();
      }
    });
    ctx.metrics.connectionOpened('mqtt');
    stream.once('close', () => {
      if (state.claimed !== undefined) this.#handover?.closed(state.claimed, client.clean);
      publishGate?.close();
      this.#live.delete(client);
      if (this.#lastSubscriber === state) this.#lastSubscriber = undefined;
      ctx.metrics.connectionClosed('mqtt');
    });
  }

  async stop(_opts: { readonly graceful: boolean }): Promise<void> {
    await Promise.all(this.#listeners.splice(0).map((l) => l.close()));
    const aedes = this.#aedes;
    this.#aedes = undefined;
    if (aedes)
      await new Promise<void>((resolve) => {
        aedes.close(() => {
          resolve();
        });
      });
    this.#ctx?.broker.vhost(this.#ctx.config.vhost).releaseConnection(this.#nodeConnectionId);
  }

  *connections(): Iterable<ConnectionSummary> {
    const vhost = this.#ctx?.config.vhost;
    for (const { info, principal } of this.#live.values()) {
      yield {
        id: info.id,
        protocol: 'mqtt',
        remoteAddress: info.remoteAddress,
        user: principal?.username,
        vhost,
      };
    }
  }

  async #listen(cfg: MqttOptions): Promise<ListenAddress[]> {
    const addresses: ListenAddress[] = [];
    const nextId = (): string => this.#ctx?.nextConnectionId('mqtt') ?? randomUUID();
    const gate = this.#ctx?.connectionGate;
    if (cfg.tcp.enabled) {
      const l = await listenTcp({ host: cfg.tcp.host, port: cfg.tcp.port, gate }, (socket) => {
        this.handle(socket, connectionInfo(nextId(), 'mqtt', 'tcp', socket));
      });
      this.#listeners.push(l);
      addresses.push({ protocol: 'mqtt', transport: 'tcp', host: l.host, port: l.port });
    }
    // Plain WebSocket (15675) and, with TLS on, secure WebSocket (15676) on the same path.
    const wss = this.#ctx?.secureWebSocket;
    const webSockets = [
      ...(cfg.ws.enabled ? [{ transport: 'ws' as const, ...cfg.ws, tls: undefined }] : []),
      ...(cfg.ws.enabled && wss ? [{ transport: 'wss' as const, ...wss }] : []),
    ];
    for (const { transport, host, port, tls } of webSockets) {
      const l = await listenWs(
        {
          host,
          port,
          tls,
          path: cfg.ws.path,
          protocols: WS_PROTOCOLS,
          maxPayload: cfg.maxPacketSize + WS_FRAME_OVERHEAD,
          gate,
        },
        (ws, req) => {
          const stream = createWebSocketStream(ws);
          this.handle(stream, connectionInfo(nextId(), 'mqtt', transport, req.socket));
        },
      );
      this.#listeners.push(l);
      addresses.push({
        protocol: 'mqtt',
        transport,
        host: l.host,
        port: l.port,
        path: cfg.ws.path,
      });
    }
    return addresses;
  }

  /** aedes stored the listener in the client's `subscriptions` just before calling `mq.on`;
   * the client that was last authorised to subscribe is nearly always it. */
  #findSubscriber(topic: string, listener: unknown): Subscriber | undefined {
    const owns = (state: ConnectionState | undefined): state is ConnectionState =>
      state?.client.subscriptions[topic]?.func === listener;
    const last = this.#lastSubscriber;
    const state = owns(last) ? last : [...this.#live.values()].find(owns);
    return state && { client: state.client, connectionId: state.info.id };
  }

  /** Another node took the client id over [MQTT-3.1.4-2]: our connection with it goes. */
  #closeClient(clientId: string): Promise<void> {
    const state = this.#byClientId.get(clientId);
    if (!state) return Promise.resolve();
    return new Promise((resolve) => {
      state.client.close(() => {
        resolve();
      });
    });
  }

  #origin(clientId: string | undefined): MessageOrigin {
    const state = clientId === undefined ? undefined : this.#byClientId.get(clientId);
    return { protocol: 'mqtt', connectionId: state?.info.id ?? this.#nodeConnectionId, clientId };
  }
}
