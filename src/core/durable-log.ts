import type { Store, StoredBinding } from '../spi.js';
import type { Binding } from './binding.js';
import type { Exchange } from './exchange.js';
import type { Queue, QueuePersistence } from './queues/queue.js';
import type { Entry } from './queues/ready-list.js';

/**
 * Writes a vhost's durable state to the store: durable exchanges and queues, bindings between
 * durable ends, persistent messages in durable queues. Writes are issued in the order the core
 * makes its changes; the store commits them in that order.
 */
export class DurableLog implements QueuePersistence {
  readonly #store: Store;
  readonly #vhost: string;
  readonly #onError: (err: unknown) => void;

  constructor(store: Store, vhost: string, onError: (err: unknown) => void) {
    this.#store = store;
    this.#vhost = vhost;
    this.#onError = onError;
  }

  /** The last write issued: the store commits in call order, so it settles after all others. */
  #last: Promise<void> = Promise.resolve();

  #background(p: Promise<void>): void {
    this.#last = p;
    p.catch(this.#onError);
  }

  /** Resolves once every write issued so far is durable. */
  sync(): Promise<void> {
    return this.#last;
  }

  reportError(err: unknown): void {
    this.#onError(err);
  }

  exchangeDeclared(x: Exchange): void {
    if (!x.durable) return;
    this.#background(
      this.#store.putExchange({
        vhost: this.#vhost,
        spec: {
          name: x.name,
          type: x.type,
          durable: true,
          autoDelete: x.autoDelete,
          internal: x.internal,
          arguments: x.args,
        },
      }),
    );
  }

  exchangeDeleted(x: Exchange): void {
    if (x.durable) this.#background(this.#store.deleteExchange(this.#vhost, x.name));
  }

  queueDeclared(q: Queue): void {
    if (!q.isDurable) return;
    const o = q.options;
    this.#background(
      this.#store.putQueue({
        vhost: this.#vhost,
        spec: { name: o.name, durable: true, autoDelete: o.autoDelete, arguments: o.rawArgs },
        unusedSince: q.unusedSince,
      }),
    );
  }

  usageChanged(q: Queue): void {
    this.queueDeclared(q);
  }

  queueDeleted(q: Queue): void {
    if (q.isDurable) this.#background(this.#store.deleteQueue(this.#vhost, q.name));
  }

  /** RabbitMQ keeps a binding across restarts only when both of its ends are durable. */
  bindingAdded(b: Binding, durableEnds: boolean): void {
    if (durableEnds) this.#background(this.#store.putBinding(this.#stored(b)));
  }

  bindingRemoved(b: Binding, durableEnds: boolean): void {
    if (durableEnds) this.#background(this.#store.deleteBinding(this.#stored(b)));
  }

  #stored(b: Binding): StoredBinding {
    return {
      vhost: this.#vhost,
      source: b.source,
      destinationKind: b.destination.kind,
      destination: b.destination.name,
      routingKey: b.routingKey,
      arguments: b.args,
    };
  }

  // QueuePersistence

  nextId(): number {
    return this.#store.nextMessageId();
  }

  append(queue: Queue, entry: Entry): Promise<void> {
    return (this.#last = this.#store.appendMessage({
      id: entry.storeId,
      vhost: this.#vhost,
      queue: queue.name,
      message: entry.message,
      expiresAt: entry.expiresAt,
      priority: entry.priority,
      deliveryCount: entry.deliveryCount,
    }));
  }

  remove(queue: Queue, entry: Entry): void {
    this.#background(this.#store.removeMessage(this.#vhost, queue.name, entry.storeId));
  }

  delivered(queue: Queue, entry: Entry): void {
    this.#background(
      this.#store.markDelivered(this.#vhost, queue.name, entry.storeId, entry.deliveryCount),
    );
  }
}
