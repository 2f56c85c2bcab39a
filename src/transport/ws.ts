import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { bindServer } from './bind-server.js';
import type { ConnectionGate } from './connection-gate.js';
import { allowCertLogin, type ListenerTlsOptions } from './peer-identity.js';
import type { Listener } from './tcp.js';

export interface WsListenOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** Subprotocols we speak, in order of preference. A client offering none of them is
   * refused; a client offering no subprotocol at all is accepted (older MQTT/STOMP clients). */
  readonly protocols: readonly string[];
  /** Allowed `Origin` values; empty = allow all. */
  readonly allowOrigins?: readonly string[] | undefined;
  readonly maxPayload: number;
  /** When set, the listener speaks TLS (wss). */
  readonly tls?: ListenerTlsOptions | undefined;
  /** Connection admission shared by the gateway's listeners (`ctx.connectionGate`). */
  readonly gate?: ConnectionGate | undefined;
}

/** A WebSocket listener on its own HTTP(S) server. The adapter gets the upgraded socket and
 * decides how to frame its writes (binary vs text messages). */
export async function listenWs(
  opts: WsListenOptions,
  onSocket: (ws: WebSocket, req: IncomingMessage) => void,
): Promise<Listener> {
  const server = opts.tls ? https.createServer(opts.tls) : http.createServer();
  server.on('request', (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n');
  });
  server.on('connection', (s: Socket) => {
    const release = opts.gate?.admit(s.remoteAddress);
    if (opts.gate && !release) {
      s.destroy();
      return;
    }
    if (release) s.once('close', release);
    s.setNoDelay(true);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  // A failed TLS handshake must not reach the process.
  server.on('tlsClientError', () => undefined);
  server.on('secureConnection', (s: TLSSocket) => {
    allowCertLogin(s, opts.tls);
  });
  const wss = new WebSocketServer({
    server,
    path: opts.path,
    maxPayload: opts.maxPayload,
    perMessageDeflate: false,
    // Refuse before the upgrade: 403 for a foreign Origin, 400 when the client offers only
    // subprotocols we do not speak (ws would otherwise upgrade without a protocol header).
    verifyClient: (
      info: { origin: string; req: IncomingMessage },
      done: (ok: boolean, code?: number, message?: string) => void,
    ) => {
      if (opts.allowOrigins?.length && !opts.allowOrigins.includes(info.origin)) {
        done(false, 403, 'Origin not allowed');
        return;
      }
      const offered = info.req.headers['sec-websocket-protocol'];
      if (
        offered !== undefined &&
        !offered.split(',').some((p) => opts.protocols.includes(p.trim()))
      ) {
        done(false, 400, 'Unsupported WebSocket subprotocol');
        return;
      }
      done(true);
    },
    handleProtocols: (offered: Set<string>) => {
      for (const p of opts.protocols) if (offered.has(p)) return p;
      return false;
    },
  });
  wss.on('error', () => undefined);
  wss.on('connection', (ws, req) => {
    ws.on('error', () => undefined);
    onSocket(ws, req);
  });
  const addr = await bindServer(server, opts.host, opts.port);
  return {
    ...addr,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
