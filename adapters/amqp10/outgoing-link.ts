import type { Delivery as RheaDelivery, EventContext, Sender } from 'rhea';
import type { Consumer, ConsumerSink, Delivery } from '../../src/spi.js';
import { AddressError, encodeName, parseSource, type SourceAddress } from './address.js';
import { notFound, refuse } from './link-refusal.js';
import type { LinkHost } from './link-host.js';
import { encodeMessage } from './message-out.js';
import { markPresettled, outgoingRoom, sendEncoded, unusedCredit } from './rhea-internals.js';

/** AMQP 1.0 snd-settle-mode `settled`: the client asked for pre-settled (at-most-once) delivery. */
const SND_SETTLED = 1;

/**
 * A link on which the gateway sends to a client (the client's receiver): one core consumer on
 * the source queue, fed only within the link credit the client grants (AMQP 1.0 2.6.7).
 */
export class OutgoingLink implements ConsumerSink {
  readonly #host: LinkHost;
  readonly #sender: Sender;
  readonly #consumer: Consumer;
  /** The private queue of an `/exchanges/x/key` source, deleted with the link. */
  readonly #privateQueue: string | undefined;
  readonly #unsettled = new WeakMap<RheaDelivery, Delivery>();
  /** Every `send()` so far; rhea's own count covers only transfers already written. */
  #sent = 0;
  #blocked = false;
  #closed = false;
  readonly #presettled: boolean;

  private constructor(
    host: LinkHost,
    sender: Sender,
    queue: string,
    privateQueue: string | undefined,
  ) {
    this.#host = host;
    this.#sender = sender;
    this.#privateQueue = privateQueue;
    this.#presettled = sender.snd_settle_mode === SND_SETTLED;
    this.#consumer = host.vhost.consume(queue, this, {
      noAck: this.#presettled,
      credit: 0,
      connectionId: host.connectionId,
    });
    sender.on('sender_flow', () => {
      this.#onFlow();
    });
    sender.on('sender_draining', () => {
      this.#onDraining();
    });
    sender.on('sendable', () => {
      this.resume();
    });
    sender.on('accepted', (ctx: EventContext) => {
      this.#settle(ctx, 'ack');
    });
    sender.on('released', (ctx: EventContext) => {
      this.#settle(ctx, 'requeue');
    });
    sender.on('rejected', (ctx: EventContext) => {
      this.#settle(ctx, 'drop');
    });
    // AMQP 1.0 3.4.5 modified: undeliverable-here -> not back to this queue (dead-letter or
    // drop, as RabbitMQ does); otherwise delivery-failed -> requeue, counted as redelivery.
    sender.on('modified', (ctx: EventContext) => {
      const outcome = ctx.delivery?.remote_state as { undeliverable_here?: boolean } | undefined;
      this.#settle(ctx, outcome?.undeliverable_here === true ? 'drop' : 'requeue');
    });
    // Settled with no outcome: nothing says it was processed, so it goes back to the queue.
    sender.on('settled', (ctx: EventContext) => {
      this.#settle(ctx, 'requeue');
    });
  }

  /** Resolve the source and start consuming, or refuse the attach (AMQP 1.0 2.6.3: attach with
   * a null source, then detach with the error). */
  static open(host: LinkHost, sender: Sender): OutgoingLink | undefined {
    const remote = sender.source as { address?: unknown; dynamic?: unknown } | undefined;
    try {
      let resolved: { queue: string; privateQueue: string | undefined };
      if (remote?.dynamic === true) {
        resolved = dynamicQueue(host);
        sender.set_source({ address: `/queues/${encodeName(resolved.queue)}`, dynamic: true });
      } else {
        const address = remote?.address;
        if (typeof address !== 'string') throw new AddressError('a source address is required');
        resolved = resolveSource(host, parseSource(address));
        sender.set_source({ address });
      }
      const { queue, privateQueue } = resolved;
      if (sender.snd_settle_mode === SND_SETTLED) markPresettled(sender, SND_SETTLED);
      return new OutgoingLink(host, sender, queue, privateQueue);
    } catch (err) {
      refuse(host, sender, err);
      return undefined;
    }
  }

  deliver(delivery: Delivery): boolean {
    if (this.#closed) {
      delivery.nack(true);
      return false;
    }
    let bytes: Buffer;
    try {
      bytes = encodeMessage(delivery.message, delivery.deliveryCount);
    } catch (err) {
      // A message AMQP 1.0 cannot carry (an unencodable header value) must not stall the queue.
      return this.#undeliverable(delivery, { err }, 'AMQP 1.0 cannot encode message; rejected');
    }
    // The client's max-message-size (AMQP 1.0 2.7.3; 0 or absent: no limit) binds us as sender.
    const max = (this.#sender as { max_message_size?: number }).max_message_size ?? 0;
    if (max > 0 && bytes.length > max) {
      return this.#undeliverable(
        delivery,
        { size: bytes.length, max },
        "message larger than the receiver's max-message-size; rejected",
      );
    }
    const sent = sendEncoded(this.#sender, bytes);
    this.#sent++;
    this.#host.metrics.messagesOut('amqp10');
    if (!sent.settled) this.#unsettled.set(sent, delivery);
    if (this.#host.writeBlocked || outgoingRoom(this.#sender.session) === 0) {
      this.#blocked = true;
      return false;
    }
    return true;
  }

  /** A message this link cannot carry is rejected (dead-lettered or dropped) rather than left
   * at the head of the queue; a pre-settled delivery is already gone. */
  #undeliverable(delivery: Delivery, details: object, reason: string): boolean {
    this.#host.log.warn({ ...details, queue: delivery.queue }, reason);
    if (!this.#presettled) delivery.nack(false);
    return true;
  }

  cancelled(reason: string): void {
    this.close({ condition: 'amqp:resource-deleted', description: reason });
  }

  /** The socket drained or the session buffer has room again. */
  resume(): void {
    if (
      !this.#blocked ||
      this.#closed ||
      this.#host.writeBlocked ||
      outgoingRoom(this.#sender.session) === 0
    )
      return;
    this.#blocked = false;
    this.#consumer.resume();
  }

  /** Detach with an error, or just clean up after the client detached (error undefined). */
  close(error?: { condition: string; description: string }): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#consumer.cancel(true);
    if (this.#privateQueue !== undefined) {
      try {
        this.#host.vhost.deleteQueue(this.#privateQueue);
      } catch {
        // Already gone with its last consumer (auto-delete).
      }
    }
    if (error && !this.#sender.is_closed()) this.#sender.close(error);
  }

  /** Flow from the client (AMQP 1.0 2.7.4): the core consumer's credit follows the link's. */
  #onFlow(): void {
    if (this.#closed) return;
    this.#consumer.setCredit(unusedCredit(this.#sender, this.#sent));
  }

  /** drain=true: send what is ready within the credit, then give the rest back (2.6.7). */
  #onDraining(): void {
    if (this.#closed) return;
    this.#consumer.drain();
    this.#sender.set_drained(true);
  }

  /** The client's outcome for a delivery, to the core: ack, nack with requeue, or nack without
   * (dead-letter or drop). */
  #settle(ctx: EventContext, outcome: 'ack' | 'requeue' | 'drop'): void {
    const rheaDelivery = ctx.delivery;
    if (!rheaDelivery) return;
    const delivery = this.#unsettled.get(rheaDelivery);
    if (!delivery) return;
    this.#unsettled.delete(rheaDelivery);
    // After the link closed, its unsettled deliveries are back in the queue already.
    if (this.#closed) return;
    try {
      if (outcome === 'ack') delivery.ack();
      else delivery.nack(outcome === 'requeue');
    } catch (err) {
      this.#host.log.warn({ err }, 'AMQP 1.0 settlement refused by the core');
    }
    // Receiver settle mode `second`: the client waits for us to settle (AMQP 1.0 2.6.12).
    if (!rheaDelivery.remote_settled) rheaDelivery.update(true);
  }
}

/** A dynamic source (AMQP 1.0 3.5.3, the request/reply pattern of rhea and Qpid clients): a
 * private server-named queue, deleted with the link, whose address our attach returns. Anyone
 * may send to it (`/queues/<name>`, or routing key `<name>` on the default exchange). */
function dynamicQueue(host: LinkHost): { queue: string; privateQueue: string } {
  const { vhost, connectionId } = host;
  const { name } = vhost.declareQueue(
    { name: '', exclusiveOwner: connectionId, autoDelete: true },
    { connectionId },
  );
  return { queue: name, privateQueue: name };
}

function resolveSource(
  host: LinkHost,
  source: SourceAddress,
): { queue: string; privateQueue: string | undefined } {
  const { vhost, principal, vhostName, connectionId } = host;
  if (source.kind === 'queue') {
    if (source.declare) {
      host.authz.check(principal, 'configure', {
        vhost: vhostName,
        kind: 'queue',
        name: source.queue,
      });
      vhost.declareQueue({ name: source.queue, durable: true }, { connectionId });
    } else if (!vhost.queueInfo(source.queue)) {
      throw notFound(`no queue '${source.queue}' in vhost '${vhostName}'`);
    }
    host.authz.check(principal, 'read', { vhost: vhostName, kind: 'queue', name: source.queue });
    return { queue: source.queue, privateQueue: undefined };
  }
  if (!vhost.exchangeExists(source.exchange)) {
    throw notFound(`no exchange '${source.exchange}' in vhost '${vhostName}'`);
  }
  host.authz.check(principal, 'read', {
    vhost: vhostName,
    kind: 'exchange',
    name: source.exchange,
    routingKey: source.bindingKey,
  });
  const { name } = vhost.declareQueue(
    { name: '', exclusiveOwner: connectionId, autoDelete: true },
    { connectionId },
  );
  vhost.bindQueue(name, source.exchange, source.bindingKey);
  return { queue: name, privateQueue: name };
}
