import type { Delivery as RheaDelivery, EventContext, Receiver, TerminusOptions } from 'rhea';
import { QueueRefusedError, type PublishResult } from '../../src/spi.js';
import { AddressError, parseTarget, type TargetAddress } from './address.js';
import type { WireMessage } from './amqp-message.js';
import { toAmqp10Error } from './errors.js';
import type { LinkHost } from './link-host.js';
import { ConditionError, notFound, refuse, type Condition } from './link-refusal.js';
import { decodeMessage } from './message-decode.js';
import { messageFromWire } from './message-in.js';
import { announceMaxMessageSize, grantedCredit } from './rhea-internals.js';

const ACCEPTED = 'accepted';
const RELEASED = 'released';
type Outcome = typeof ACCEPTED | typeof RELEASED | Condition;

/** Where one message goes, after the target (or, for the anonymous terminus, its `to`). */
interface Route {
  readonly exchange: string;
  readonly routingKey: string;
}

/**
 * A link on which a client sends to the gateway (our receiver). Each message is published to
 * the core and settled with the outcome the core decided: `accepted` once every queue has it
 * (and the store committed it), `released` when nothing matched, `rejected` when a queue
 * limit refused it (RabbitMQ 4 semantics, anchors 2.11).
 */
export class IncomingLink {
  readonly #host: LinkHost;
  readonly #receiver: Receiver;
  /** undefined: the anonymous terminus, each message names its target in `to`. */
  readonly #target: TargetAddress | undefined;
  /** Deliveries received and not settled yet (waiting for a store commit). */
  #inFlight = 0;
  #closed = false;

  private constructor(host: LinkHost, receiver: Receiver, target: TargetAddress | undefined) {
    this.#host = host;
    this.#receiver = receiver;
    this.#target = target;
    receiver.on('message', (ctx: EventContext) => {
      this.#onMessage(ctx);
    });
    if (!host.creditHeld) receiver.add_credit(host.options.linkCredit);
  }

  static open(host: LinkHost, receiver: Receiver): IncomingLink | undefined {
    const remote = receiver.target as { address?: unknown; dynamic?: unknown } | undefined;
    const address = remote?.address;
    try {
      // A node created for the client's sender (AMQP 1.0 3.5.4 dynamic) is not built.
      if (remote?.dynamic === true)
        throw new ConditionError('amqp:not-implemented', 'dynamic targets are not supported');
      const target = typeof address === 'string' ? parseTarget(address) : undefined;
      if (target) checkTarget(host, target);
      // The anonymous terminus is a target whose address is null.
      receiver.set_target((typeof address === 'string' ? { address } : {}) as TerminusOptions);
      announceMaxMessageSize(receiver, host.options.maxMessageSize);
      return new IncomingLink(host, receiver, target);
    } catch (err) {
      refuse(host, receiver, err);
      return undefined;
    }
  }

  close(): void {
    this.#closed = true;
  }

  #onMessage(ctx: EventContext): void {
    const delivery = ctx.delivery;
    const bytes = ctx.message as unknown;
    if (!delivery || !Buffer.isBuffer(bytes)) return;
    this.#host.metrics.messagesIn('amqp10');
    this.#host.published();
    this.#inFlight++;
    let result: PublishResult;
    try {
      const wire = decodeMessage(bytes);
      this.#checkUserId(wire);
      const route = this.#route(wire);
      result = this.#host.vhost.publish(
        messageFromWire(wire, route.exchange, route.routingKey, this.#host.origin),
      );
    } catch (err) {
      this.#failed(delivery, err);
      return;
    }
    if (result.status === 'unroutable') {
      this.#settle(delivery, RELEASED);
    } else if (result.status === 'refused') {
      this.#refused(delivery, result.refusedBy ?? '');
    } else if (result.committed) {
      result.committed.then(
        () => {
          this.#settle(delivery, ACCEPTED);
        },
        (err: unknown) => {
          if (err instanceof QueueRefusedError) this.#refused(delivery, err.queue);
          else this.#failed(delivery, err);
        },
      );
    } else {
      this.#settle(delivery, ACCEPTED);
    }
  }

  /** x-overflow reject-publish: the message is rejected, the link and connection stay. */
  #refused(delivery: RheaDelivery, queue: string): void {
    this.#settle(delivery, {
      condition: 'amqp:resource-limit-exceeded',
      description: `queue '${queue}' is full`,
    });
  }

  /** A `user-id` must name the authenticated user, or one user could pass messages off as
   * another's (RabbitMQ validates it the same way; AMQP 1.0 3.2.4 leaves it to the server). */
  #checkUserId(wire: WireMessage): void {
    if (wire.user_id === undefined) return;
    const claimed = wire.user_id.toString('utf8');
    const user = this.#host.principal.username;
    if (claimed !== user) {
      throw new ConditionError(
        'amqp:unauthorized-access',
        `user-id '${claimed}' does not match the authenticated user '${user}'`,
      );
    }
  }

  #route(wire: WireMessage): Route {
    const target = this.#target ?? this.#anonymousTarget(wire);
    if (target.kind === 'queue') return { exchange: '', routingKey: target.queue };
    return { exchange: target.exchange, routingKey: target.routingKey ?? wire.subject ?? '' };
  }

  /** Anonymous terminus (AMQP 1.0 3.5.4 target address null): the message's `to` is the
   * address, checked per message. */
  #anonymousTarget(wire: WireMessage): TargetAddress {
    if (typeof wire.to !== 'string')
      throw new AddressError('anonymous terminus: the message has no `to`');
    const target = parseTarget(wire.to);
    checkTarget(this.#host, target);
    return target;
  }

  /** The message could not be taken: rejected with the reason. A dead fixed target (its
   * exchange was deleted) also ends the link; a connection-severity error the connection. */
  #failed(delivery: RheaDelivery, err: unknown): void {
    const e: Condition & { scope: string } =
      err instanceof AddressError
        ? { condition: 'amqp:invalid-field', description: err.message, scope: 'message' }
        : err instanceof ConditionError
          ? { condition: err.condition, description: err.description, scope: 'message' }
          : toAmqp10Error(err);
    this.#settle(delivery, { condition: e.condition, description: e.description });
    if (e.scope === 'connection') this.#host.fail(err);
    else if (e.scope === 'link' && this.#target && !this.#closed) {
      this.#closed = true;
      this.#receiver.close({ condition: e.condition, description: e.description });
    }
  }

  /** Settle with an outcome (AMQP 1.0 3.4): accepted, released, or rejected with an error.
   * Plain values, not a closure per message. */
  #settle(delivery: RheaDelivery, outcome: Outcome): void {
    this.#inFlight--;
    // Pre-settled transfers (at most once) get no disposition (AMQP 1.0 2.6.12), but rhea must
    // still see them settled here to free their slot in the session window.
    if (delivery.remote_settled) delivery.update(true);
    else if (!this.#receiver.is_closed()) {
      if (outcome === ACCEPTED) delivery.accept();
      else if (outcome === RELEASED) delivery.release();
      else delivery.reject(outcome);
    }
    this.#replenish();
  }

  /** Credit is no longer held (alarm cleared, publish rate back): grant it again. */
  creditResumed(): void {
    this.#replenish();
  }

  /** Top the client's credit up to `linkCredit` minus what is still in flight, once half is
   * used: the unsettled messages of one link stay bounded. None while credit is held. */
  #replenish(): void {
    if (this.#closed || this.#receiver.is_closed() || this.#host.creditHeld) return;
    const max = this.#host.options.linkCredit;
    const outstanding = grantedCredit(this.#receiver) + this.#inFlight;
    if (outstanding <= max / 2) this.#receiver.add_credit(max - outstanding);
  }
}

/** The target must exist when the link attaches (RabbitMQ 4: amqp:not-found otherwise). */
function checkTarget(host: LinkHost, target: TargetAddress): void {
  const { vhost, vhostName, principal } = host;
  if (target.kind === 'queue') {
    if (target.declare) {
      host.authz.check(principal, 'configure', {
        vhost: vhostName,
        kind: 'queue',
        name: target.queue,
      });
      vhost.declareQueue(
        { name: target.queue, durable: true },
        { connectionId: host.connectionId },
      );
    } else if (!vhost.queueInfo(target.queue)) {
      throw notFound(`no queue '${target.queue}' in vhost '${vhostName}'`);
    }
    host.authz.check(principal, 'write', {
      vhost: vhostName,
      kind: 'exchange',
      name: '',
      routingKey: target.queue,
    });
    return;
  }
  if (!vhost.exchangeExists(target.exchange)) {
    throw notFound(`no exchange '${target.exchange}' in vhost '${vhostName}'`);
  }
  host.authz.check(principal, 'write', {
    vhost: vhostName,
    kind: 'exchange',
    name: target.exchange,
    routingKey: target.routingKey,
  });
}
