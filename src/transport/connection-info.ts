import type { Socket } from 'node:net';
import type { ConnectionInfo, ProtocolName } from '../spi.js';
import { peerIdentity } from './peer-identity.js';

export type TransportName = ConnectionInfo['transport'];

export function connectionInfo(
  id: string,
  protocol: ProtocolName,
  transport: TransportName,
  socket: Socket,
): ConnectionInfo {
  return {
    id,
    protocol,
    transport,
    remoteAddress: socket.remoteAddress ?? 'unknown',
    remotePort: socket.remotePort ?? 0,
    localPort: socket.localPort ?? 0,
    peerIdentity: peerIdentity(socket),
    onClose(listener) {
      if (socket.closed) queueMicrotask(listener);
      else socket.once('close', listener);
    },
  };
}
