import type { Socket } from 'node:net';

/** AMQP protocol headers: 0-9-1 is `AMQP 0 0 9 1`; 1.0 is `AMQP 0 1 0 0` (plain) or
 * `AMQP 3 1 0 0` (SASL layer). */
export const AMQP_HEADER_LENGTH = 8;

export type AmqpFlavour = 'amqp091' | 'amqp10';

/** AMQP 1.0 when the header says protocol id 0 or 3 with version 1.0.0; everything else goes to
 * the 0-9-1 adapter, which answers a bad header with its own header and a close. */
export function amqpFlavour(header: Buffer): AmqpFlavour {
  const isAmqp = header.toString('latin1', 0, 4) === 'AMQP';
  const id = header[4];
  if (isAmqp && (id === 0 || id === 3) && header[5] === 1 && header[6] === 0 && header[7] === 0) {
    return 'amqp10';
  }
  return 'amqp091';
}

/** Reads the first 8 bytes, puts them back, and hands the socket on. A peer that stays silent
 * past `timeoutMs` is disconnected. */
export function sniffAmqpHeader(
  socket: Socket,
  timeoutMs: number,
  dispatch: (flavour: AmqpFlavour) => void,
): void {
  let received = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const finish = (): void => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onClose);
    // Pause so nothing flows while no one listens; the adapter's listeners are attached
    // synchronously in dispatch, then the stream flows again from the unshifted header.
    socket.pause();
    socket.unshift(received);
    dispatch(amqpFlavour(received));
    socket.resume();
  };
  const onData = (chunk: Buffer): void => {
    received = Buffer.concat([received, chunk]);
    if (received.length >= AMQP_HEADER_LENGTH) finish();
  };
  // A short header followed by EOF still goes to the adapter, which reports it.
  const onEnd = (): void => {
    finish();
  };
  const onClose = (): void => {
    clearTimeout(timer);
  };
  socket.on('error', () => undefined);
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.once('close', onClose);
}
