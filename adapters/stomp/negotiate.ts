import { SUPPORTED_VERSIONS, type StompVersion } from './frame.js';

/** STOMP 1.2 "Protocol Negotiation": the highest version both sides speak; a CONNECT without
 * `accept-version` is STOMP 1.0. Undefined when there is none in common. */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion | undefined {
  if (acceptVersion === undefined) return '1.0';
  const offered = new Set(acceptVersion.split(',').map((v) => v.trim()));
  return SUPPORTED_VERSIONS.find((v) => offered.has(v));
}

export interface HeartbeatPlan {
  /** We send an EOL when we wrote nothing for this long; 0 = never. */
  readonly sendMs: number;
  /** We expect a byte from the client at least this often; 0 = not checked. */
  readonly receiveMs: number;
}

export class HeartbeatHeaderError extends Error {
  override readonly name = 'HeartbeatHeaderError';
}

/** STOMP 1.2 "Heart-beating": client `cx,cy`, server `sx,sy`. We send every max(sx, cy) unless
 * either is 0, and expect the client every max(cx, sy) unless either is 0. */
export function negotiateHeartbeat(
  header: string | undefined,
  sx: number,
  sy: number,
): HeartbeatPlan {
  if (header === undefined) return { sendMs: 0, receiveMs: 0 };
  const match = /^\s*(\d{1,9})\s*,\s*(\d{1,9})\s*$/.exec(header);
  if (!match) throw new HeartbeatHeaderError(`invalid heart-beat header '${header}'`);
  const cx = Number(match[1]);
  const cy = Number(match[2]);
  return {
    sendMs: sx === 0 || cy === 0 ? 0 : Math.max(sx, cy),
    receiveMs: cx === 0 || sy === 0 ? 0 : Math.max(cx, sy),
  };
}
