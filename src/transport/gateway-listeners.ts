/**
 * Listeners the gateway owns and hands to adapters through `Adapter.handle`: the shared AMQP
 * port (0-9-1 and 1.0 told apart by the protocol header) and the TLS ports of every protocol.
 * Adapters open their own plain TCP and WebSocket listeners.
 */
import type { Socket } from 'node:net';
import type { GatewayConfig } from '../config/schema.js';
import type { Adapter, ListenAddress, ProtocolName } from '../spi.js';
import type { ConnectionGate } from './connection-gate.js';
import { connectionInfo } from './connection-info.js';
import type { ListenerTlsOptions } from './peer-identity.js';
import { sniffAmqpHeader } from './protocol-demux.js';
import { listenTcp, type Listener } from './tcp.js';

export interface ListenerDeps {
  readonly config: GatewayConfig;
  adapter(protocol: ProtocolName): Adapter<never> | undefined;
  nextConnectionId(protocol: ProtocolName): string;
  readonly gate: ConnectionGate;
  /** Set when `tls.enabled`. */
  readonly tls: ListenerTlsOptions | undefined;
}

export interface OpenListeners {
  readonly addresses: readonly ListenAddress[];
  readonly listeners: readonly Listener[];
}

export async function openGatewayListeners(deps: ListenerDeps): Promise<OpenListeners> {
  const { config } = deps;
  const addresses: ListenAddress[] = [];
  const listeners: Listener[] = [];
  const handTo = (adapter: Adapter<never>, socket: Socket, transport: 'tcp' | 'tls'): void => {
    adapter.handle(
      socket,
      connectionInfo(deps.nextConnectionId(adapter.protocol), adapter.protocol, transport, socket),
    );
  };
  const amqp = [deps.adapter('amqp091'), deps.adapter('amqp10')].filter(
    (a): a is Adapter<never> => a !== undefined,
  );
  const acceptAmqp = (transport: 'tcp' | 'tls') => (socket: Socket) => {
    sniffAmqpHeader(socket, config.amqp.handshakeTimeoutMs, (flavour) => {
      // With one AMQP adapter disabled, the other answers (0-9-1 replies with its header).
      const adapter = amqp.find((a) => a.protocol === flavour) ?? amqp[0];
      if (adapter) handTo(adapter, socket, transport);
    });
  };
  const open = async (
    protocols: readonly Adapter<never>[],
    transport: 'tcp' | 'tls',
    host: string,
    port: number,
    tls: ListenerTlsOptions | undefined,
    accept: (socket: Socket) => void,
  ): Promise<void> => {
    if (protocols.length === 0) return;
    const listener = await listenTcp({ host, port, tls, gate: deps.gate }, accept);
    listeners.push(listener);
    for (const a of protocols)
      addresses.push({ protocol: a.protocol, transport, host: listener.host, port: listener.port });
  };

  await open(amqp, 'tcp', config.amqp.host, config.amqp.port, undefined, acceptAmqp('tcp'));
  const tls = deps.tls;
  if (tls) {
    const { host, ports } = config.tls;
    await open(amqp, 'tls', host, ports.amqp, tls, acceptAmqp('tls'));
    for (const protocol of ['mqtt', 'stomp'] as const) {
      const adapter = deps.adapter(protocol);
      if (!adapter) continue;
      await open([adapter], 'tls', host, ports[protocol], tls, (socket) => {
        handTo(adapter, socket, 'tls');
      });
    }
  }
  return { addresses, listeners };
}
