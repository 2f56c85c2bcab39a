/**
 * In-memory helpers for the core unit tests: a broker with default limits, message builders and
 * a consumer sink that records what it is given.
 */
import { expect } from 'vitest';
import { coreLimitsSchema, type CoreLimits } from '../../../src/config/core-limits.js';
import { Broker } from '../../../src/core/broker.js';
import { isBrokerError, type ErrorCode } from '../../../src/core/errors.js';
import type { Vhost } from '../../../src/core/vhost.js';
import type {
  ConsumerSink,
  Delivery,
  HeaderTable,
  Message,
  MessageProperties,
} from '../../../src/spi.js';

export function newBroker(limits: Partial<CoreLimits> = {}): Broker {
  return new Broker({ limits: coreLimitsSchema.parse(limits), vhosts: ['/'] });
}

/** The default vhost of a fresh broker. */
export function newVhost(limits: Partial<CoreLimits> = {}): Vhost {
  return newBroker(limits).vhost('/');
}

export interface MessageInit {
  readonly exchange?: string;
  readonly routingKey?: string;
  readonly body?: string;
  readonly headers?: HeaderTable;
  readonly properties?: MessageProperties;
}

export function msg(init: MessageInit = {}): Message {
  return {
    exchange: init.exchange ?? '',
    routingKey: init.routingKey ?? '',
    headers: init.headers ?? {},
    properties: init.properties ?? {},
    body: Buffer.from(init.body ?? 'm'),
    origin: { protocol: 'amqp091', connectionId: 'test-publisher' },
  };
}

/** Publish `body` to the queue `queue` through the default exchange. */
export function sendTo(vhost: Vhost, queue: string, body: string, init: MessageInit = {}): void {
  const r = vhost.publish(msg({ ...init, exchange: '', routingKey: queue, body }));
  expect(r.status).toBe('routed');
}

export function bodyOf(d: Delivery): string {
  return d.message.body.toString('utf8');
}

/** A ConsumerSink that records deliveries and cancellations. `accept` is what deliver returns
 * (false = backpressure); `onDeliver` runs inside deliver (for re-entrancy tests). */
export class RecordingSink implements ConsumerSink {
  readonly deliveries: Delivery[] = [];
  readonly cancellations: string[] = [];
  accept = true;
  onDeliver: ((d: Delivery) => void) | undefined;

  constructor(onDeliver?: (d: Delivery) => void) {
    this.onDeliver = onDeliver;
  }

  deliver(d: Delivery): boolean {
    this.deliveries.push(d);
    this.onDeliver?.(d);
    return this.accept;
  }

  cancelled(reason: string): void {
    this.cancellations.push(reason);
  }

  bodies(): string[] {
    return this.deliveries.map(bodyOf);
  }

  /** The n-th delivery (0-based); fails the test when there is none. */
  at(n: number): Delivery {
    const d = this.deliveries[n];
    if (!d) throw new Error(`no delivery #${n} (have ${this.deliveries.length})`);
    return d;
  }
}

/** Pull every ready message (no-ack) and return the bodies, in order. */
export function drainBodies(vhost: Vhost, queue: string): string[] {
  const out: string[] = [];
  for (let r = vhost.get(queue, { noAck: true }); r; r = vhost.get(queue, { noAck: true })) {
    out.push(bodyOf(r.delivery));
  }
  return out;
}

/** Pull one message (no-ack); fails the test when the queue is empty. */
export function getOne(vhost: Vhost, queue: string): Message {
  const r = vhost.get(queue, { noAck: true });
  if (!r) throw new Error(`queue '${queue}' is empty`);
  return r.delivery.message;
}

/** Runs `fn` and returns what it threw; fails the test when it did not throw. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

/** Asserts `fn` throws a BrokerError with this code. */
export function expectBrokerError(fn: () => unknown, code: ErrorCode): void {
  const err = thrownBy(fn);
  expect(isBrokerError(err), `expected a BrokerError, got ${String(err)}`).toBe(true);
  if (isBrokerError(err)) expect(err.code).toBe(code);
}
