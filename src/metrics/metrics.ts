import { Counter, Gauge, Registry } from 'prom-client';
import type { Metrics, ProtocolName } from '../spi.js';

/** Prometheus counters behind the adapters' Metrics interface. */
export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  readonly #connections = new Gauge({
    name: 'gateway_connections',
    help: 'Open client connections',
    labelNames: ['protocol'],
    registers: [this.registry],
  });
  readonly #connectionsTotal = new Counter({
    name: 'gateway_connections_opened_total',
    help: 'Client connections opened',
    labelNames: ['protocol'],
    registers: [this.registry],
  });
  readonly #messagesIn = new Counter({
    name: 'gateway_messages_received_total',
    help: 'Messages published by clients',
    labelNames: ['protocol'],
    registers: [this.registry],
  });
  readonly #messagesOut = new Counter({
    name: 'gateway_messages_delivered_total',
    help: 'Messages delivered to clients',
    labelNames: ['protocol'],
    registers: [this.registry],
  });

  connectionOpened(protocol: ProtocolName): void {
    this.#connections.inc({ protocol });
    this.#connectionsTotal.inc({ protocol });
  }
  connectionClosed(protocol: ProtocolName): void {
    this.#connections.dec({ protocol });
  }
  messagesIn(protocol: ProtocolName, n = 1): void {
    this.#messagesIn.inc({ protocol }, n);
  }
  messagesOut(protocol: ProtocolName, n = 1): void {
    this.#messagesOut.inc({ protocol }, n);
  }
}
