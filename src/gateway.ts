/**
 * The composition root: config -> store -> broker -> auth -> adapters.
 * `createGateway(config)` is the public API for embedding and for tests.
 */
import type { z } from 'zod';
import { ADAPTERS, type AdapterEntry } from './adapters.js';
import { PermissionAuthorizer } from './auth/permissions.js';
import { StaticUsers } from './auth/static-users.js';
import { Cluster } from './cluster/cluster.js';
import { LocalPeers } from './runtime/local-peers.js';
import {
  gatewayConfigSchema,
  type GatewayConfig,
  type GatewayConfigInput,
} from './config/schema.js';
import { Broker } from './core/broker.js';
import { createLogger } from './log/logger.js';
import { startManagement, type ManagementServer } from './management/http-server.js';
import { PromMetrics } from './metrics/metrics.js';
import { createFrameTracer, tracingLevel } from './runtime/frame-tracer.js';
import { highWatermarkBytes, ProcessMemoryAlarm } from './runtime/memory-alarm.js';
import { ConnectionPublishGate } from './runtime/publish-gate.js';
import { createStore } from './store/create-store.js';
import type {
  Adapter,
  AdapterContext,
  ListenAddress,
  Pausable,
  ProtocolName,
  Store,
} from './spi.js';
import { ConnectionGate } from './transport/connection-gate.js';
import { openGatewayListeners } from './transport/gateway-listeners.js';
import type { ListenerTlsOptions } from './transport/peer-identity.js';
import type { Listener } from './transport/tcp.js';
import { listenerTlsOptions } from './transport/tls-config.js';

export interface Gateway {
  readonly config: GatewayConfig;
  readonly broker: Broker;
  readonly store: Store;
  readonly metrics: PromMetrics;
  readonly memoryAlarm: ProcessMemoryAlarm;
  /** `management` is the HTTP API's address when it is enabled. */
  start(): Promise<{
    readonly addresses: readonly ListenAddress[];
    readonly management?: { readonly host: string; readonly port: number } | undefined;
  }>;
  stop(opts?: { readonly graceful?: boolean }): Promise<void>;
}

interface Running {
  readonly adapter: Adapter<never>;
}

export function createGateway(input: GatewayConfigInput = {}): Gateway {
  const config = gatewayConfigSchema.parse(input);
  const log = createLogger(tracingLevel(config.log.level, config.log.traceFrames), config.name);
  const broker = new Broker({ limits: config.limits, vhosts: config.vhosts });
  const store = createStore(config);
  const cluster = config.cluster.enabled
    ? new Cluster(config, broker, log.child({ component: 'cluster' }))
    : undefined;
  const metrics = new PromMetrics();
  metrics.observe(broker);
  const authn = new StaticUsers(config.auth.users, config.limits.maxConnectionsPerUser);
  let connectionSeq = 0;
  const connectionGate = new ConnectionGate(config.limits);
  const memoryWatermark = highWatermarkBytes(config.memory);
  const memoryAlarm = new ProcessMemoryAlarm(memoryWatermark, config.memory.checkIntervalMs);
  metrics.observeMemoryAlarm(memoryAlarm);
  const publishRate = {
    perSecond: config.limits.publishRatePerConnection,
    burst: config.limits.publishBurst,
  };
  let tls: ListenerTlsOptions | undefined;
  const secureWebSocketPort: Partial<Record<ProtocolName, number>> = {
    mqtt: config.tls.ports.mqttWss,
    stomp: config.tls.ports.stompWss,
  };
  const base = {
    connectionGate,
    memoryAlarm,
    publishGate: (target: Pausable) => new ConnectionPublishGate(target, publishRate, memoryAlarm),
    frameTracer: createFrameTracer(config.log.traceFrames),
    peers: cluster?.peers ?? new LocalPeers(),
    broker,
    store,
    authn,
    authz: new PermissionAuthorizer(config.auth.users),
    metrics,
    nextConnectionId: (protocol: ProtocolName) => `${protocol}-${(++connectionSeq).toString(36)}`,
  };
  const running = new Map<ProtocolName, Running>();
  const listeners: Listener[] = [];
  const addresses: ListenAddress[] = [];
  let management: ManagementServer | undefined;
  let ready = false;
  const adapters = (): Adapter<never>[] => [...running.values()].map((r) => r.adapter);

  async function startAdapter<S extends z.ZodObject>(
    entry: AdapterEntry<S>,
  ): Promise<readonly ListenAddress[]> {
    const section = config.protocols[entry.name] as
      (z.output<S> & { enabled: boolean }) | undefined;
    if (!section?.enabled) return [];
    const adapter = entry.create();
    const wssPort = secureWebSocketPort[entry.name];
    const ctx: AdapterContext<z.output<S>> = {
      ...base,
      log: log.child({ protocol: entry.name }),
      config: section,
      secureWebSocket:
        tls && wssPort !== undefined ? { host: config.tls.host, port: wssPort, tls } : undefined,
    };
    const addresses = await adapter.start(ctx);
    running.set(entry.name, { adapter });
    return addresses;
  }

  return {
    config,
    broker,
    store,
    metrics,
    memoryAlarm,
    async start() {
      tls = config.tls.enabled ? listenerTlsOptions(config.tls) : undefined;
      await store.open();
      await cluster?.open();
      const onStoreError = (err: unknown): void => {
        log.error({ err }, 'store write failed');
      };
      await broker.recover(
        store,
        onStoreError,
        cluster && ((v) => cluster.logFor(v, store, onStoreError)),
      );
      await cluster?.start();
      for (const entry of ADAPTERS) addresses.push(...(await startAdapter(entry)));
      const own = await openGatewayListeners({
        config,
        adapter: (protocol) => running.get(protocol)?.adapter,
        nextConnectionId: base.nextConnectionId,
        gate: connectionGate,
        tls,
      });
      listeners.push(...own.listeners);
      addresses.push(...own.addresses);
      if (addresses.length === 0) {
        log.warn({}, 'no protocol adapter is enabled: the gateway accepts no client connections');
      }
      for (const a of addresses) log.info({ ...a }, 'listening');
      if (config.management.enabled) {
        management = await startManagement(
          {
            broker,
            authn,
            metrics,
            nodeName: config.name,
            memoryAlarm,
            memoryHighWatermark: memoryWatermark,
            connections: () => adapters().flatMap((a) => [...a.connections()]),
            closeConnection: (id, reason) =>
              adapters().some((a) => a.closeConnection?.(id, reason) ?? false),
            listeners: () => addresses,
            ready: () => ready,
          },
          config.management,
        );
        log.info({ ...management.address }, 'management API and /metrics');
      }
      ready = true;
      return { addresses, management: management?.address };
    },
    async stop(opts = {}) {
      ready = false;
      await management?.close();
      management = undefined;
      addresses.length = 0;
      // Adapters first, so their clients hear a protocol-level close before the shared AMQP
      // listener destroys whatever sockets are left.
      const graceful = opts.graceful ?? true;
      await Promise.all([...running.values()].map((r) => r.adapter.stop({ graceful })));
      running.clear();
      await Promise.all(listeners.splice(0).map((l) => l.close()));
      broker.close();
      await cluster?.close();
      memoryAlarm.stop();
      await store.close();
    },
  };
}
