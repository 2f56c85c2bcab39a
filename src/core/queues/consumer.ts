import type { Consumer, ConsumerSink } from '../../spi.js';
import type { QueueDelivery } from './delivery.js';

/** What a consumer asks of its queue. */
export interface ConsumerHost {
  readonly name: string;
  dispatch(): void;
  removeConsumer(c: QueueConsumer, requeueUnsettled: boolean): void;
}

export class QueueConsumer implements Consumer {
  readonly tag: string;
  readonly sink: ConsumerSink;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  readonly connectionId: string | undefined;
  readonly pending = new Set<QueueDelivery>();
  readonly #host: ConsumerHost;
  #prefetch: number;
  #credit: number | undefined;
  /** The sink reported a full buffer. */
  blocked = false;
  active = true;

  constructor(
    host: ConsumerHost,
    tag: string,
    sink: ConsumerSink,
    opts: {
      noAck: boolean;
      prefetch: number;
      credit: number | undefined;
      exclusive: boolean;
      connectionId: string | undefined;
    },
  ) {
    this.#host = host;
    this.tag = tag;
    this.sink = sink;
    this.noAck = opts.noAck;
    this.#prefetch = opts.prefetch;
    this.#credit = opts.credit;
    this.exclusive = opts.exclusive;
    this.connectionId = opts.connectionId;
  }

  get queue(): string {
    return this.#host.name;
  }

  get unsettled(): number {
    return this.pending.size;
  }

  /** Deliveries it can take now under prefetch, credit and backpressure; Infinity when
   * neither prefetch nor credit bounds it. A cluster queue fetches this many from Redis. */
  get room(): number {
    if (!this.active || this.blocked) return 0;
    const byPrefetch =
      this.#prefetch === 0 || this.noAck ? Infinity : this.#prefetch - this.pending.size;
    return Math.max(0, Math.min(byPrefetch, this.#credit ?? Infinity));
  }

  /** Room for one more delivery under prefetch, credit and backpressure. */
  canTake(): boolean {
    return (
      this.active &&
      !this.blocked &&
      (this.#prefetch === 0 || this.noAck || this.pending.size < this.#prefetch) &&
      (this.#credit === undefined || this.#credit > 0)
    );
  }

  /** Called by the queue for each delivery handed out. */
  took(d: QueueDelivery): void {
    if (!this.noAck) this.pending.add(d);
    if (this.#credit !== undefined) this.#credit--;
    if (!this.sink.deliver(d)) this.blocked = true;
  }

  setPrefetch(prefetch: number): void {
    this.#prefetch = prefetch;
    this.#host.dispatch();
  }

  setCredit(credit: number): void {
    this.#credit = credit;
    this.#host.dispatch();
  }

  drain(): number {
    this.#host.dispatch();
    const left = this.#credit ?? 0;
    if (this.#credit !== undefined) this.#credit = 0;
    return left;
  }

  resume(): void {
    if (!this.blocked) return;
    this.blocked = false;
    this.#host.dispatch();
  }

  cancel(requeueUnsettled = true): void {
    if (!this.active) return;
    this.active = false;
    this.#host.removeConsumer(this, requeueUnsettled);
  }
}
