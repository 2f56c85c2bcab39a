import type { Store } from '../spi.js';
import type { Binding } from '../core/binding.js';
import { DurableLog } from '../core/durable-log.js';
import type { Exchange } from '../core/exchange.js';
import type { Queue } from '../core/queues/queue.js';
import type { Vhost } from '../core/vhost.js';
import {
  bindingEntity,
  bindingField,
  exchangeEntity,
  exchangeField,
  interestOf,
  isShared,
  isSharedBinding,
  queueEntity,
  queueField,
} from './topology-fields.js';
import type { RemoteInterest } from './remote-interest.js';
import type { TopologyBus } from './topology-bus.js';

/**
 * A vhost's durable log that also announces every shared topology change (durable or not) to
 * the other nodes, and what its connection-owned queues are bound to (remote-interest.ts). Changes applied from another node's announcement go through `remote`: they
 * are neither stored (the announcing node did) nor announced again.
 */
export class ClusterLog extends DurableLog {
  readonly #vhost: Vhost;
  readonly #bus: TopologyBus;
  #remote = 0;

  readonly #interest: RemoteInterest;

  constructor(
    store: Store,
    vhost: Vhost,
    bus: TopologyBus,
    interest: RemoteInterest,
    onError: (err: unknown) => void,
  ) {
    super(store, vhost.name, onError);
    this.#vhost = vhost;
    this.#bus = bus;
    this.#interest = interest;
  }

  /** Runs `apply` (vhost calls) as changes that came from another node. */
  remote(apply: () => void): void {
    this.#remote++;
    try {
      apply();
    } finally {
      this.#remote--;
    }
  }

  override exchangeDeclared(x: Exchange): void {
    if (this.#remote) return;
    super.exchangeDeclared(x);
    this.#bus.announce(this.#vhost.name, exchangeField(x.name), exchangeEntity(x), true);
  }

  override exchangeDeleted(x: Exchange): void {
    if (this.#remote) return;
    super.exchangeDeleted(x);
    this.#bus.announce(this.#vhost.name, exchangeField(x.name), exchangeEntity(x), false);
  }

  override queueDeclared(q: Queue): void {
    if (this.#remote) return;
    super.queueDeclared(q);
    if (isShared(q)) this.#bus.announce(this.#vhost.name, queueField(q.name), queueEntity(q), true);
    else this.#interest.changed({ vhost: this.#vhost.name, queue: q.name }, true);
  }

  override queueDeleted(q: Queue): void {
    if (this.#remote) return;
    super.queueDeleted(q);
    if (!isShared(q)) {
      this.#interest.changed({ vhost: this.#vhost.name, queue: q.name }, false);
      return;
    }
    this.#bus.announce(this.#vhost.name, queueField(q.name), queueEntity(q), false);
    this.#bus.queueDropped(this.#vhost.name, q.name);
  }

  override bindingAdded(b: Binding, durableEnds: boolean): void {
    if (this.#remote) return;
    super.bindingAdded(b, durableEnds);
    if (isSharedBinding(this.#vhost, b))
      this.#bus.announce(this.#vhost.name, bindingField(b), bindingEntity(b), true);
    else this.#interest.changed(interestOf(this.#vhost, b), true);
  }

  override bindingRemoved(b: Binding, durableEnds: boolean): void {
    if (this.#remote) return;
    super.bindingRemoved(b, durableEnds);
    if (isSharedBinding(this.#vhost, b))
      this.#bus.announce(this.#vhost.name, bindingField(b), bindingEntity(b), false);
    else this.#interest.changed(interestOf(this.#vhost, b), false);
  }
}
