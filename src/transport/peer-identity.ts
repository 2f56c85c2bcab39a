/**
 * Certificate login (RabbitMQ `ssl_cert_login`, `ssl_cert_login_from = common_name`): TLS
 * listeners opened with `certLogin` mark their sockets, and `connectionInfo` turns a marked
 * socket's verified certificate into the connection's `peerIdentity`.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type TlsOptions } from 'node:tls';
import type { PeerIdentity } from '../spi.js';

/** TLS options of a listener; `certLogin` is ours (node ignores the extra key). */
export interface ListenerTlsOptions extends TlsOptions {
  readonly certLogin?: boolean | undefined;
}

const certLoginSockets = new WeakSet<Socket>();

export function allowCertLogin(socket: Socket, tls: ListenerTlsOptions | undefined): void {
  if (tls?.certLogin) certLoginSockets.add(socket);
}

/** The verified certificate's CN; undefined without cert login, a verified chain or a CN. */
export function peerIdentity(socket: Socket): PeerIdentity | undefined {
  if (!certLoginSockets.has(socket) || !(socket instanceof TLSSocket) || !socket.authorized) {
    return undefined;
  }
  const cn: unknown = socket.getPeerCertificate().subject.CN;
  const commonName = Array.isArray(cn) ? (cn[0] as unknown) : cn;
  return typeof commonName === 'string' && commonName !== '' ? { commonName } : undefined;
}
