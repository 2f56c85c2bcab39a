import { readFileSync } from 'node:fs';
import type { GatewayConfig } from '../config/schema.js';
import type { ListenerTlsOptions } from './peer-identity.js';

/** The TLS options every TLS listener shares (amqps, mqtts, stomp+ssl, wss), files read once. */
export function listenerTlsOptions(tls: GatewayConfig['tls']): ListenerTlsOptions {
  const read = (path: string): Buffer => readFileSync(path);
  return {
    cert: read(tls.certFile),
    key: read(tls.keyFile),
    ...(tls.caFile ? { ca: read(tls.caFile) } : {}),
    requestCert: tls.requestClientCert,
    rejectUnauthorized: tls.requestClientCert && tls.failIfNoPeerCert,
    certLogin: tls.requestClientCert && tls.certLogin,
    minVersion: 'TLSv1.2',
  };
}
