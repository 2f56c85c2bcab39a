import type { IncomingMessage } from 'node:http';
import type { Credentials } from '../../src/spi.js';

/** Credentials from the upgrade request's `Authorization: Basic` header (RFC 7617), for
 * RabbitMQ's `web_stomp.use_http_auth`; undefined when there is none or it is malformed. */
export function basicCredentials(req: IncomingMessage): Credentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
