import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Broker } from '../core/broker.js';
import type { Queue } from '../core/queues/queue.js';
import type { MemoryAlarm, Metrics, ProtocolName } from '../spi.js';

/** Prometheus metrics: adapter counters pushed through the Metrics interface, broker state
 * (queues, publish outcomes) read at scrape time, and the process's own metrics. */
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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
  }

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

  /** 1 while the memory alarm blocks publishers (RabbitMQ `rabbitmq_alarms_memory_used_watermark`). */
  observeMemoryAlarm(alarm: MemoryAlarm): void {
    new Gauge({
      name: 'gateway_memory_alarm',
      help: 'Memory alarm raised: publishing connections are not read (1) or not (0)',
      registers: [this.registry],
      collect() {
        this.set(alarm.raised ? 1 : 0);
      },
    });
  }

  /** Queue depth, unacked, consumers and publish outcomes, read from the broker per scrape. */
  observe(broker: Broker): void {
    const vhosts = () => broker.vhostNames().map((n) => broker.vhost(n));
    const queueGauge = (name: string, help: string, read: (q: Queue) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['vhost', 'queue'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const v of vhosts())
            for (const q of v.listQueues()) this.set({ vhost: v.name, queue: q.name }, read(q));
        },
      });
    };
    queueGauge(
      'gateway_queue_messages_ready',
      'Messages ready for delivery',
      (q) => q.messageCount,
    );
    queueGauge(
      'gateway_queue_messages_unacked',
      'Messages delivered and not yet acknowledged',
      (q) => q.unackedCount,
    );
    queueGauge('gateway_queue_consumers', 'Consumers', (q) => q.consumerCount);
    new Counter({
      name: 'gateway_publishes_total',
      help: 'Publishes by outcome: routed, unroutable, refused (queue limit)',
      labelNames: ['vhost', 'outcome'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const v of vhosts()) {
          for (const outcome of ['routed', 'unroutable', 'refused'] as const) {
            this.inc({ vhost: v.name, outcome }, v.stats[outcome]);
          }
        }
      },
    });
  }
}
