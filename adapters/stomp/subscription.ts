import type { Consumer, ConsumerSink, Delivery } from '../../src/spi.js';

/** STOMP 1.2 SUBSCRIBE `ack`: `client` acknowledges cumulatively, `client-individual` one
 * message at a time, `auto` needs no ACK. */
export type AckMode = 'auto' | 'client' | 'client-individual';
export const ACK_MODES: ReadonlySet<string> = new Set<AckMode>([
  'auto',
  'client',
  'client-individual',
]);

export interface SubscriptionOwner {
  /** Writes the MESSAGE frame; false when the connection's write buffer is full. */
  writeMessage(sub: Subscription, delivery: Delivery): boolean;
  subscriptionCancelled(sub: Subscription, reason: string): void;
}

export interface SubscriptionSpec {
  readonly id: string;
  readonly ackMode: AckMode;
  readonly queue: string;
  /** A durable /topic or /exchange subscription: its queue outlives the connection and is
   * deleted only by an UNSUBSCRIBE that repeats `durable:true`. */
  readonly durable: boolean;
}

/** One SUBSCRIBE: a core consumer plus the deliveries the client has not acknowledged yet,
 * in delivery order (cumulative ACK walks them from the oldest). */
export class Subscription implements ConsumerSink {
  readonly spec: SubscriptionSpec;
  consumer: Consumer | undefined;
  private readonly owner: SubscriptionOwner;
  private readonly unacked = new Map<string, Delivery>();
  private paused = false;

  constructor(spec: SubscriptionSpec, owner: SubscriptionOwner) {
    this.spec = spec;
    this.owner = owner;
  }

  deliver(delivery: Delivery): boolean {
    const room = this.owner.writeMessage(this, delivery);
    if (!room) this.paused = true;
    return room;
  }

  cancelled(reason: string): void {
    this.owner.subscriptionCancelled(this, reason);
  }

  /** Remember a delivery until the client settles it (client modes only). */
  track(ackId: string, delivery: Delivery): void {
    if (this.spec.ackMode !== 'auto') this.unacked.set(ackId, delivery);
  }

  has(ackId: string): boolean {
    return this.unacked.has(ackId);
  }

  /** ACK (`requeue` undefined) or NACK. Returns false for an id this subscription does not hold. */
  settle(ackId: string, requeue?: boolean): boolean {
    const target = this.unacked.get(ackId);
    if (!target) return false;
    const settleOne = (id: string, d: Delivery): void => {
      this.unacked.delete(id);
      if (requeue === undefined) d.ack();
      else d.nack(requeue);
    };
    if (this.spec.ackMode === 'client-individual') {
      settleOne(ackId, target);
      return true;
    }
    // STOMP 1.2 ACK in `client` mode: this message and every earlier one.
    for (const [id, d] of this.unacked) {
      settleOne(id, d);
      if (id === ackId) break;
    }
    return true;
  }

  /** The connection drained its write buffer. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.consumer?.resume();
  }

  /** Stop consuming; what the client did not acknowledge goes back to the queue. */
  cancel(): void {
    this.unacked.clear();
    this.consumer?.cancel(true);
    this.consumer = undefined;
  }
}
