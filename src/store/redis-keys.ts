/**
 * The Redis store's key layout. Every key starts with the configured prefix P (default `gw:`),
 * so several gateways, or tests, can share one Redis; `<vh>` and `<q>` are the vhost and queue
 * names with `%`, `:`, `{` and `}` percent-escaped (names may hold `:`, and braces would become
 * Redis Cluster hash tags).
 *
 *   P ids                         string  message id counter; processes reserve blocks (INCRBY)
 *   P vhosts                      set     vhosts that have (had) durable topology
 *   P vh:<vh>:exchanges           hash    exchange name -> V8(ExchangeSpec)
 *   P vh:<vh>:queues              hash    queue name -> V8(QueueSpec)
 *   P vh:<vh>:bindings            hash    bindingKey -> V8(StoredBinding)
 *   P vh:<vh>:retained            hash    topic -> message record
 *   P vh:<vh>:q:<q>:ids           zset    message ids, score = id (the queue's order)
 *   P vh:<vh>:q:<q>:msgs          hash    id -> message record (see redis-record.ts)
 *   P vh:<vh>:q:<q>:deliveries    hash    id -> delivery count, absent = 0
 *                                         (on a Redis Cluster `q:{<vh>:<q>}:`: one slot)
 *   P rec:<kind>                  hash    key -> value (the keyed-record area; kind escaped)
 *
 * Messages are a sorted set plus hashes rather than a stream: stream entry ids must grow per
 * key, but ids come from per-process blocks, so two nodes appending to one queue interleave
 * out of order; a stream entry cannot be updated in place either (delivery counts), and a
 * zset gives O(log n) removal of an acked id from anywhere in the queue.
 */
export interface QueueKeys {
  readonly ids: string;
  readonly msgs: string;
  readonly deliveries: string;
}

/** Percent-escape the characters that would make a key ambiguous or a hash tag. */
export function escapeKeyPart(s: string): string {
  return s.replace(
    /[%:{}]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

export class RedisKeys {
  readonly ids: string;
  readonly vhosts: string;
  readonly #prefix: string;
  readonly #tagged: boolean;

  /** `tagged` (a Redis Cluster): a queue's keys carry the hash tag `{<vh>:<q>}`, so they share a
   * slot and one message's writes stay one transaction. A single Redis keeps the untagged names
   * it has always had (no migration); moving from one to the other is a move of the data. */
  constructor(prefix: string, tagged = false) {
    this.#prefix = prefix;
    this.#tagged = tagged;
    this.ids = `${prefix}ids`;
    this.vhosts = `${prefix}vhosts`;
  }

  #vh(vhost: string): string {
    return `${this.#prefix}vh:${escapeKeyPart(vhost)}:`;
  }

  exchanges(vhost: string): string {
    return `${this.#vh(vhost)}exchanges`;
  }
  queues(vhost: string): string {
    return `${this.#vh(vhost)}queues`;
  }
  bindings(vhost: string): string {
    return `${this.#vh(vhost)}bindings`;
  }
  retained(vhost: string): string {
    return `${this.#vh(vhost)}retained`;
  }
  records(kind: string): string {
    return `${this.#prefix}rec:${escapeKeyPart(kind)}`;
  }
  queue(vhost: string, queue: string): QueueKeys {
    const q = escapeKeyPart(queue);
    const base = this.#tagged
      ? `${this.#vh(vhost)}q:{${escapeKeyPart(vhost)}:${q}}:`
      : `${this.#vh(vhost)}q:${q}:`;
    return { ids: `${base}ids`, msgs: `${base}msgs`, deliveries: `${base}deliveries` };
  }
}
