import { BrokerError } from '../errors.js';
import type { Delivery, Message } from '../../spi.js';
import type { QueueConsumer } from './consumer.js';
import type { Entry } from './ready-list.js';

/** What a queue does when a delivery is settled. */
export interface SettleTarget {
  readonly name: string;
  settle(delivery: QueueDelivery, outcome: 'ack' | 'requeue' | 'reject'): void;
}

export class QueueDelivery implements Delivery {
  readonly entry: Entry;
  readonly queue: string;
  readonly redelivered: boolean;
  readonly deliveryCount: number;
  /** The consumer holding it; undefined for basic.get. */
  readonly consumer: QueueConsumer | undefined;
  readonly #target: SettleTarget;
  /** Set once settled; later settle calls are errors. */
  settled = false;

  constructor(
    target: SettleTarget,
    entry: Entry,
    settled: boolean,
    consumer: QueueConsumer | undefined,
  ) {
    this.#target = target;
    this.consumer = consumer;
    this.queue = target.name;
    this.entry = entry;
    this.deliveryCount = entry.deliveryCount;
    this.redelivered = entry.deliveryCount > 0;
    this.settled = settled;
  }

  get message(): Message {
    return this.entry.message;
  }

  ack(): void {
    this.#settle('ack');
  }

  nack(requeue: boolean): void {
    this.#settle(requeue ? 'requeue' : 'reject');
  }

  #settle(outcome: 'ack' | 'requeue' | 'reject'): void {
    if (this.settled) {
      throw new BrokerError('GW_ERR_PRECONDITION_FAILED', 'delivery already settled');
    }
    this.settled = true;
    this.#target.settle(this, outcome);
  }
}
