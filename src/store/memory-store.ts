import type {
  RetainedMessage,
  Store,
  StoredBinding,
  StoredExchange,
  StoredMessage,
  StoredQueue,
  StoredRecord,
  Topology,
} from '../spi.js';
import { bindingKey } from './binding-key.js';
import { byKey } from './record-order.js';

const key = (vhost: string, name: string): string => `${vhost}\u0000${name}`;

/** Keeps everything in memory: for tests and for users who want no disk. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly #exchanges = new Map<string, StoredExchange>();
  readonly #queues = new Map<string, StoredQueue>();
  readonly #bindings = new Map<string, StoredBinding>();
  /** Per queue: id -> message, in insertion (= id) order. */
  readonly #messages = new Map<string, Map<number, StoredMessage>>();
  readonly #retained = new Map<string, RetainedMessage>();
  /** kind -> key -> value */
  readonly #records = new Map<string, Map<string, Buffer>>();
  #nextId = 1;

  async open(): Promise<void> {
    // nothing to open
  }
  async close(): Promise<void> {
    // nothing to flush
  }

  async loadTopology(): Promise<Topology> {
    return {
      exchanges: [...this.#exchanges.values()],
      queues: [...this.#queues.values()],
      bindings: [...this.#bindings.values()],
    };
  }

  async putExchange(x: StoredExchange): Promise<void> {
    this.#exchanges.set(key(x.vhost, x.spec.name), x);
  }
  async deleteExchange(vhost: string, name: string): Promise<void> {
    this.#exchanges.delete(key(vhost, name));
  }
  async putQueue(q: StoredQueue): Promise<void> {
    this.#queues.set(key(q.vhost, q.spec.name), q);
  }
  async deleteQueue(vhost: string, name: string): Promise<void> {
    this.#queues.delete(key(vhost, name));
    this.#messages.delete(key(vhost, name));
  }
  async putBinding(b: StoredBinding): Promise<void> {
    this.#bindings.set(bindingKey(b), b);
  }
  async deleteBinding(b: StoredBinding): Promise<void> {
    this.#bindings.delete(bindingKey(b));
  }

  nextMessageId(): number {
    return this.#nextId++;
  }
  async appendMessage(m: StoredMessage): Promise<void> {
    const k = key(m.vhost, m.queue);
    let q = this.#messages.get(k);
    if (!q) this.#messages.set(k, (q = new Map<number, StoredMessage>()));
    q.set(m.id, m);
  }
  async removeMessage(vhost: string, queue: string, id: number): Promise<void> {
    this.#messages.get(key(vhost, queue))?.delete(id);
  }
  async markDelivered(
    vhost: string,
    queue: string,
    id: number,
    deliveryCount: number,
  ): Promise<void> {
    const q = this.#messages.get(key(vhost, queue));
    const m = q?.get(id);
    if (q && m) q.set(id, { ...m, deliveryCount });
  }
  async readMessages(vhost: string, queue: string): Promise<readonly StoredMessage[]> {
    return [...(this.#messages.get(key(vhost, queue))?.values() ?? [])].sort((a, b) => a.id - b.id);
  }

  async putRetained(r: RetainedMessage): Promise<void> {
    this.#retained.set(key(r.vhost, r.topic), r);
  }
  async deleteRetained(vhost: string, topic: string): Promise<void> {
    this.#retained.delete(key(vhost, topic));
  }
  async listRetained(vhost: string): Promise<readonly RetainedMessage[]> {
    return [...this.#retained.values()].filter((r) => r.vhost === vhost);
  }

  async putRecord(kind: string, key: string, value: Buffer): Promise<void> {
    let area = this.#records.get(kind);
    if (!area) this.#records.set(kind, (area = new Map<string, Buffer>()));
    area.set(key, value);
  }
  async deleteRecord(kind: string, key: string): Promise<void> {
    this.#records.get(kind)?.delete(key);
  }
  async listRecords(kind: string, keyPrefix = ''): Promise<readonly StoredRecord[]> {
    const records: StoredRecord[] = [];
    for (const [key, value] of this.#records.get(kind) ?? []) {
      if (key.startsWith(keyPrefix)) records.push({ key, value });
    }
    return byKey(records);
  }
}
