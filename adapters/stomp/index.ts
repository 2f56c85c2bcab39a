import type { Duplex } from 'node:stream';
import {
  connectionInfo,
  listenTcp,
  listenWs,
  type Adapter,
  type AdapterContext,
  type ConnectionInfo,
  type ConnectionSummary,
  type Credentials,
  type Listener,
  type ListenAddress,
} from '../../src/spi.js';
import { StompConnection } from './connection.js';
import type { StompOptions } from './options.js';
import { webSocketDuplex } from './ws-duplex.js';
import { basicCredentials } from './http-auth.js';

/** Web STOMP subprotocols, preferred first (RabbitMQ Web STOMP). */
const WS_PROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

/** STOMP 1.0-1.2 over TCP (61613) and WebSocket (15674, `/ws`), one processor for both. */
export function createStompAdapter(): Adapter<StompOptions> {
  let context: AdapterContext<StompOptions> | undefined;
  const listeners: Listener[] = [];
  const open = new Set<StompConnection>();

  function handle(stream: Duplex, info: ConnectionInfo, httpCredentials?: Credentials): void {
    if (!context) {
      stream.destroy();
      return;
    }
    const conn = new StompConnection(stream, info, context, httpCredentials, () =>
      open.delete(conn),
    );
    open.add(conn);
  }

  return {
    protocol: 'stomp',
    async start(ctx) {
      context = ctx;
      const { tcp, ws } = ctx.config;
      const addresses: ListenAddress[] = [];
      if (tcp.enabled) {
        const listener = await listenTcp(
          { host: tcp.host, port: tcp.port, gate: ctx.connectionGate },
          (socket) => {
            handle(socket, connectionInfo(ctx.nextConnectionId('stomp'), 'stomp', 'tcp', socket));
          },
        );
        listeners.push(listener);
        addresses.push({
          protocol: 'stomp',
          transport: 'tcp',
          host: listener.host,
          port: listener.port,
        });
      }
      // Plain WebSocket (15674) and, with TLS on, secure WebSocket (15673) on the same path.
      const webSockets = [
        ...(ws.enabled ? [{ transport: 'ws' as const, ...ws, tls: undefined }] : []),
        ...(ws.enabled && ctx.secureWebSocket
          ? [{ transport: 'wss' as const, ...ctx.secureWebSocket }]
          : []),
      ];
      for (const { transport, host, port, tls } of webSockets) {
        const listener = await listenWs(
          {
            host,
            port,
            tls,
            path: ws.path,
            gate: ctx.connectionGate,
            protocols: WS_PROTOCOLS,
            allowOrigins: ws.allowOrigins,
            // One message may carry several frames; one frame is still limited by the parser.
            maxPayload: ctx.config.maxFrameSize * 2,
          },
          (socket, req) => {
            const id = ctx.nextConnectionId('stomp');
            const info = connectionInfo(id, 'stomp', transport, req.socket);
            const credentials = ws.useHttpAuth ? basicCredentials(req) : undefined;
            handle(webSocketDuplex(socket, ws.frameType), info, credentials);
          },
        );
        listeners.push(listener);
        addresses.push({
          protocol: 'stomp',
          transport,
          host: listener.host,
          port: listener.port,
          path: ws.path,
        });
      }
      ctx.log.info({ addresses }, 'stomp listening');
      return addresses;
    },
    handle(stream, info) {
      handle(stream, info);
    },
    async stop({ graceful }) {
      // Tell clients before the listeners destroy their sockets.
      if (graceful) await Promise.all([...open].map((c) => c.shutdown()));
      await Promise.all(listeners.splice(0).map((l) => l.close()));
      for (const conn of [...open]) conn.close();
    },
    connections(): Iterable<ConnectionSummary> {
      return [...open].map((c) => c.summary());
    },
  };
}
