import type { HeaderList, StompVersion } from './frame.js';
import { escapeHeader, isWritableHeader10 } from './header-escape.js';

const NUL = Buffer.from([0]);
/** A heart-beat is one EOL (STOMP 1.2 "Heart-beating"). */
export const HEARTBEAT = Buffer.from('\n');

/**
 * Serialise one frame. `content-length` is added whenever there is a body, and always on
 * MESSAGE and ERROR, so bodies with NUL octets survive (STOMP 1.2 "Header content-length").
 * CONNECTED is never escaped (STOMP 1.2 "Value Encoding").
 */
export function encodeFrame(
  command: string,
  headers: HeaderList,
  body: Buffer = Buffer.alloc(0),
  version: StompVersion = '1.2',
): Buffer {
  const v = command === 'CONNECTED' ? '1.0' : version;
  let head = command + '\n';
  for (const [name, value] of headers) {
    if (v === '1.0' && !isWritableHeader10(name, value)) continue;
    head += escapeHeader(name, v) + ':' + escapeHeader(value, v) + '\n';
  }
  if (body.length > 0 || command === 'MESSAGE' || command === 'ERROR') {
    head += `content-length:${body.length}\n`;
  }
  head += '\n';
  return Buffer.concat([Buffer.from(head, 'utf8'), body, NUL]);
}
