/**
 * Input checks aedes 1.2 does not make (or makes differently), installed on each client's
 * mqtt-packet parser before aedes sees a packet:
 * - packets larger than `maxPacketSize` close the connection as soon as their length is read,
 *   before the body is buffered;
 * - a SUBSCRIBE filter with a misplaced wildcard or a malformed `$share/` name gets SUBACK 0x80
 *   for that filter [MQTT-3.9.3] (aedes would close the connection): the filter is replaced by
 *   an INVALID_FILTER stand-in, which the subscribe hook refuses;
 * - retained messages sent on SUBSCRIBE are capped at the granted QoS.
 */
import type { ClientInternals } from './aedes-internals.js';
import { filterMatches } from './filter-index.js';
import type { Qos } from './message-map.js';
import { parseShared, SHARE_PREFIX } from './shared-subscriptions.js';

/** Prefix of the stand-in filters; numbered so aedes does not merge two of them. */
export const INVALID_FILTER = '$GW/invalid-filter/';

/** Wildcards only as whole levels, `#` last [MQTT-4.7.1-1, MQTT-4.7.1-2, MQTT-4.7.1-3]. Empty
 * filters and level counts are left to aedes, which closes the connection. */
export function isValidFilter(filter: string): boolean {
  if (filter.startsWith(SHARE_PREFIX)) {
    const shared = parseShared(filter);
    return shared !== undefined && isValidFilter(shared.filter);
  }
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level === '#') return i === levels.length - 1;
    return level === '+' || !/[+#]/.test(level);
  });
}

/** aedes sends retained messages on SUBSCRIBE at their stored QoS; MQTT grants
 * min(stored, granted) [MQTT-3.8.4-6]. */
export function capRetainedQos(client: ClientInternals): void {
  const deliverQoS = client.deliverQoS;
  client.deliverQoS = (packet, cb) => {
    let granted = 0;
    for (const [filter, sub] of Object.entries(client.subscriptions)) {
      if (sub && sub.qos > granted && filterMatches(filter, packet.topic)) granted = sub.qos;
    }
    deliverQoS({ ...packet, qos: Math.min(packet.qos, granted) as Qos }, cb);
  };
}

export function guardParser(client: ClientInternals, maxPacketSize: number): void {
  const parser = client._parser;
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = () => {
    const ok = parseLength();
    if (ok && parser.packet.length > maxPacketSize) {
      parser._emitError(
        new Error(`packet of ${parser.packet.length} bytes exceeds maxPacketSize ${maxPacketSize}`),
      );
      return false;
    }
    return ok;
  };
  parser.prependListener('packet', (packet) => {
    if (packet.cmd !== 'subscribe') return;
    const subs = packet.subscriptions as { topic: string }[] | undefined;
    subs?.forEach((sub, i) => {
      if (sub.topic !== '' && !isValidFilter(sub.topic)) sub.topic = `${INVALID_FILTER}${i}`;
    });
  });
}
