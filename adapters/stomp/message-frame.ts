import type { Delivery } from '../../src/spi.js';
import type { StompVersion } from './frame.js';
import { encodeFrame } from './frame-writer.js';
import { messageDestination } from './destination.js';
import { messageHeaders } from './header-mapping.js';
import type { AckMode } from './subscription.js';

/** Headers the server sets on MESSAGE; message headers of the same name are not copied. */
const MESSAGE_RESERVED: ReadonlySet<string> = new Set([
  'subscription',
  'destination',
  'message-id',
  'redelivered',
  'ack',
]);

/** One delivery as a STOMP 1.2 MESSAGE frame: the server headers first (first wins), then
 * the mapped properties and headers (anchors 2.6). */
export function encodeMessage(
  subscription: string,
  ackMode: AckMode,
  ackId: string,
  delivery: Delivery,
  version: StompVersion,
): Buffer {
  const message = delivery.message;
  const headers: (readonly [string, string])[] = [
    ['subscription', subscription],
    ['destination', messageDestination(message.exchange, message.routingKey)],
    ['message-id', ackId],
    ['redelivered', String(delivery.redelivered)],
  ];
  // STOMP 1.2 MESSAGE `ack`: the id the client puts in ACK/NACK.
  if (version === '1.2' && ackMode !== 'auto') headers.push(['ack', ackId]);
  headers.push(...messageHeaders(message, MESSAGE_RESERVED));
  return encodeFrame('MESSAGE', headers, message.body, version);
}
