import type { StompConnection } from '../connection.js';
import type { StompFrame } from '../frame.js';
import { StompProtocolError } from '../errors.js';

/** The subscription id inside a `message-id` / `ack` id `T_<sub>@@<session>@@<tag>`. */
function subscriptionOf(ackId: string): string | undefined {
  const tagAt = ackId.lastIndexOf('@@');
  const sessionAt = tagAt > 0 ? ackId.lastIndexOf('@@', tagAt - 1) : -1;
  return sessionAt > 2 && ackId.startsWith('T_') ? ackId.slice(2, sessionAt) : undefined;
}

/**
 * ACK (`requeue` undefined) or NACK. STOMP 1.2 names the message by `id` (the MESSAGE `ack`
 * header); 1.0 and 1.1 by `message-id`. An id this connection does not hold is an error.
 */
export function handleAck(
  conn: StompConnection,
  frame: StompFrame,
  requeue: boolean | undefined,
): void {
  const ackId = conn.required(frame, conn.version === '1.2' ? 'id' : 'message-id');
  const sub = conn.subscriptions.get(subscriptionOf(ackId) ?? '');
  if (!sub?.has(ackId)) {
    throw new StompProtocolError(
      'Unknown ack id',
      `${frame.command} for unknown message '${ackId}'`,
    );
  }
  const settle = (): undefined => {
    if (!sub.settle(ackId, requeue)) {
      throw new StompProtocolError(
        'Unknown ack id',
        `${frame.command} for unknown message '${ackId}'`,
      );
    }
    return undefined;
  };
  const transaction = frame.headers.get('transaction');
  if (transaction !== undefined) conn.transactions.add(transaction, settle);
  else settle();
}
