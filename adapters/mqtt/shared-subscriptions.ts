/**
 * Shared subscriptions `$share/<group>/<filter>` (MQTT 5 4.8.2, accepted from 3.1.1 clients as
 * Mosquitto and EMQX do): one core queue per (group, filter), named
 * `mqtt-shared-<group>-<pattern>` (group with `%` -> `%25`, `-` -> `%2D`; pattern is the filter
 * in AMQP form), e.g. `$share/workers/jobs/+` -> `mqtt-shared-workers-jobs.*`. Each member is a
 * competing consumer of that queue, so each message goes to exactly one member; AMQP and STOMP
 * consumers of the same queue compete too.
 */
import type { Consumer, Delivery, VhostApi } from '../../src/spi.js';
import type { ClientInternals } from './aedes-internals.js';
import { deliveryQos, type Qos } from './message-map.js';
import { filterToPattern, routingKeyToTopic } from './topic-map.js';

export const SHARE_PREFIX = '$share/';

export interface SharedFilter {
  /** The whole subscription, `$share/<group>/<filter>`. */
  readonly topic: string;
  readonly group: string;
  readonly filter: string;
  readonly queue: string;
  readonly pattern: string;
}

/** undefined for a malformed share name (empty group or filter, wildcard in the group). */
export function parseShared(topic: string): SharedFilter | undefined {
  const rest = topic.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const group = rest.slice(0, slash);
  const filter = rest.slice(slash + 1);
  if (filter === '' || /[+#]/.test(group)) return undefined;
  const pattern = filterToPattern(filter);
  const escapedGroup = group.replaceAll('%', '%25').replaceAll('-', '%2D');
  return { topic, group, filter, queue: `mqtt-shared-${escapedGroup}-${pattern}`, pattern };
}

export interface SharedOptions {
  readonly vhost: VhostApi;
  readonly exchange: string;
  readonly prefetch: number;
  readonly expiryMs: number;
  /** Delivers to one client; `settle` once the message may leave the group's queue. */
  readonly deliver: (
    client: ClientInternals,
    topic: string,
    body: Buffer,
    qos: Qos,
    settle: () => void,
  ) => void;
}

export class SharedSubscriptions {
  readonly #opts: SharedOptions;
  readonly #consumers = new Map<unknown, Consumer>();

  constructor(opts: SharedOptions) {
    this.#opts = opts;
  }

  /** Declares and binds the group queue; throws a BrokerError when the core refuses. Called
   * before SUBACK so a refusal becomes return code 0x80. */
  prepare(shared: SharedFilter): void {
    const { vhost, exchange, expiryMs } = this.#opts;
    vhost.declareQueue({ name: shared.queue, durable: true, arguments: { 'x-expires': expiryMs } });
    vhost.bindQueue(shared.queue, exchange, shared.pattern);
  }

  attach(
    client: ClientInternals,
    shared: SharedFilter,
    listener: unknown,
    connectionId: string,
  ): void {
    const wildcardFirst = shared.filter.startsWith('+') || shared.filter.startsWith('#');
    const consumer = this.#opts.vhost.consume(
      shared.queue,
      {
        deliver: (d) => {
          this.#deliver(client, shared.topic, wildcardFirst, d);
          return true;
        },
        cancelled: () => this.#consumers.delete(listener),
      },
      { prefetch: this.#opts.prefetch, connectionId },
    );
    this.#consumers.set(listener, consumer);
  }

  /** Returns false when the listener was not a shared subscription. */
  detach(listener: unknown): boolean {
    const consumer = this.#consumers.get(listener);
    if (!consumer) return false;
    this.#consumers.delete(listener);
    consumer.cancel(true);
    return true;
  }

  #deliver(
    client: ClientInternals,
    subscription: string,
    wildcardFirst: boolean,
    d: Delivery,
  ): void {
    const topic = routingKeyToTopic(d.message.routingKey);
    // [MQTT-4.7.2-1] and topics MQTT cannot carry are settled without delivery.
    if (topic === undefined || (wildcardFirst && topic.startsWith('$'))) {
      d.ack();
      return;
    }
    const granted = client.subscriptions[subscription]?.qos ?? 0;
    const qos = Math.min(deliveryQos(d.message), granted) as Qos;
    this.#opts.deliver(client, topic, d.message.body, qos, () => {
      d.ack();
    });
  }
}
