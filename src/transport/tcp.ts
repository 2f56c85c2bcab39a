import net from 'node:net';
import tls from 'node:tls';
import type { Socket } from 'node:net';
import { bindServer } from './bind-server.js';
import type { ConnectionGate } from './connection-gate.js';
import { allowCertLogin, type ListenerTlsOptions } from './peer-identity.js';

export interface TcpListenOptions {
  readonly host: string;
  readonly port: number;
  /** When set, the listener speaks TLS. */
  readonly tls?: ListenerTlsOptions | undefined;
  /** Connection admission shared by the gateway's listeners (`ctx.connectionGate`). */
  readonly gate?: ConnectionGate | undefined;
}

export interface Listener {
  readonly host: string;
  readonly port: number;
  /** Stop accepting and destroy every open socket. */
  close(): Promise<void>;
}

const noop = (): void => undefined;

/** A TCP (or TLS) listener that tracks its sockets so `close()` really ends them, and sets
 * TCP_NODELAY (Nagle would add ~40 ms stalls to small frames). */
export async function listenTcp(
  opts: TcpListenOptions,
  onSocket: (socket: Socket) => void,
): Promise<Listener> {
  const sockets = new Set<Socket>();
  const accept = (socket: Socket): void => {
    const release = opts.gate ? opts.gate.admit(socket.remoteAddress) : noop;
    if (!release) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    allowCertLogin(socket, opts.tls);
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      release();
    });
    onSocket(socket);
  };
  const server = opts.tls
    ? tls.createServer(opts.tls, accept)
    : net.createServer({ noDelay: true }, accept);
  // A failed TLS handshake must not reach the process.
  server.on('tlsClientError', () => undefined);
  const addr = await bindServer(server, opts.host, opts.port);
  return {
    ...addr,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
