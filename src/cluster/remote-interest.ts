import { deserialize, serialize } from 'node:v8';
import type { RedisConn } from './redis-client.js';
import type { ExchangeTypeName, Message } from '../spi.js';
import { makeBinding, type Binding } from '../core/binding.js';
import type { BindingMatcher, MatcherOptions } from '../core/exchanges/exchange-type.js';
import { EXCHANGE_TYPES } from '../core/exchanges/registry.js';
import { DEFAULT_EXCHANGE } from '../core/names.js';

/** One binding of a node's connection-owned queue, or (`binding` absent) the queue itself,
 * which the default exchange reaches by name. */
export interface InterestEntry {
  readonly vhost: string;
  readonly queue: string;
  readonly binding?: Pick<Binding, 'source' | 'routingKey' | 'args'> | undefined;
}

type Event =
  | { readonly node: string; readonly kind: 'add' | 'remove'; readonly entry: InterestEntry }
  | { readonly node: string; readonly kind: 'snapshot'; readonly entries: InterestEntry[] }
  | { readonly node: string; readonly kind: 'hello' | 'bye' };

interface NodeInterest {
  seen: number;
  readonly entries: Map<string, { readonly entry: InterestEntry; readonly binding: Binding }>;
}

const entryId = (e: InterestEntry): string =>
  e.binding
    ? `${e.vhost}\u0000${e.binding.source}\u0000${makeBinding(e.binding.source, { kind: 'queue', name: e.queue }, e.binding.routingKey, e.binding.args).id}`
    : `${e.vhost}\u0000\u0000${e.queue}`;

/**
 * What other nodes' connection-owned queues are bound to, so that a publish matching only
 * there counts as routed on the publishing node (no basic.return for `mandatory`, `accepted`
 * rather than `released` for AMQP 1.0). Delivery itself does not depend on it (message-bus.ts
 * forwards every message). Each node announces its changes and, every resync interval and when
 * a node says hello, a snapshot; a node silent for three intervals is forgotten. Bindings are
 * matched on the exchange published to; exchange-to-exchange chains towards a remote queue
 * are not followed.
 */
export class RemoteInterest {
  readonly #redis: RedisConn;
  readonly #channel: string;
  readonly #node: string;
  readonly #staleMs: number;
  readonly #matcherOpts: MatcherOptions;
  readonly #exchangeType: (vhost: string, name: string) => ExchangeTypeName | undefined;
  readonly #local: () => InterestEntry[];
  readonly #onError: (err: unknown) => void;
  readonly #nodes = new Map<string, NodeInterest>();
  /** vhost \0 exchange -> matcher over every remote node's bindings on it. */
  readonly #matchers = new Map<string, BindingMatcher>();
  /** vhost \0 queue -> how many remote nodes have a connection-owned queue of that name. */
  readonly #queues = new Map<string, number>();

  constructor(opts: {
    redis: RedisConn;
    channel: string;
    node: string;
    staleMs: number;
    matcherOpts: MatcherOptions;
    exchangeType: (vhost: string, name: string) => ExchangeTypeName | undefined;
    local: () => InterestEntry[];
    onError: (err: unknown) => void;
  }) {
    this.#redis = opts.redis;
    this.#channel = opts.channel;
    this.#node = opts.node;
    this.#staleMs = opts.staleMs;
    this.#matcherOpts = opts.matcherOpts;
    this.#exchangeType = opts.exchangeType;
    this.#local = opts.local;
    this.#onError = opts.onError;
  }

  changed(entry: InterestEntry, present: boolean): void {
    this.#send({ node: this.#node, kind: present ? 'add' : 'remove', entry });
  }

  hello(): void {
    this.#send({ node: this.#node, kind: 'hello' });
    this.snapshot();
  }

  bye(): void {
    this.#send({ node: this.#node, kind: 'bye' });
  }

  /** Sends this node's whole interest and forgets nodes that have been silent too long. */
  snapshot(): void {
    this.#send({ node: this.#node, kind: 'snapshot', entries: this.#local() });
    const oldest = Date.now() - this.#staleMs;
    for (const [node, n] of this.#nodes) if (n.seen < oldest) this.#forget(node);
  }

  #send(e: Event): void {
    this.#redis.publish(this.#channel, serialize(e)).catch(this.#onError);
  }

  /** Some other node has said hello or sent its interest (and not yet bye): published
   * messages must cross to it. A starting node says hello before it accepts clients. */
  get othersKnown(): boolean {
    return this.#nodes.size > 0;
  }

  matches(vhost: string, message: Message): boolean {
    if (message.exchange === DEFAULT_EXCHANGE)
      return this.#queues.has(`${vhost}\u0000${message.routingKey}`);
    const m = this.#matchers.get(`${vhost}\u0000${message.exchange}`);
    if (!m) return false;
    for (const _ of m.match(message)) return true;
    return false;
  }

  receive(payload: Buffer): void {
    const e = deserialize(payload) as Event;
    if (e.node === this.#node) return;
    switch (e.kind) {
      case 'hello':
        this.#nodeOf(e.node);
        this.snapshot();
        return;
      case 'bye':
        this.#forget(e.node);
        return;
      case 'snapshot':
        this.#forget(e.node);
        this.#nodeOf(e.node);
        for (const entry of e.entries) this.#add(e.node, entry);
        return;
      case 'add':
        this.#add(e.node, e.entry);
        return;
      case 'remove':
        this.#remove(e.node, entryId(e.entry));
    }
  }

  #nodeOf(node: string): NodeInterest {
    let n = this.#nodes.get(node);
    if (!n) this.#nodes.set(node, (n = { seen: 0, entries: new Map() }));
    n.seen = Date.now();
    return n;
  }

  #add(node: string, entry: InterestEntry): void {
    const n = this.#nodeOf(node);
    const id = entryId(entry);
    if (n.entries.has(id)) return;
    const queueName = `${node}\u0000${entry.queue}`;
    const binding = makeBinding(
      entry.binding?.source ?? DEFAULT_EXCHANGE,
      { kind: 'queue', name: queueName },
      entry.binding?.routingKey ?? entry.queue,
      entry.binding?.args ?? {},
    );
    if (entry.binding) {
      const key = `${entry.vhost}\u0000${entry.binding.source}`;
      let m = this.#matchers.get(key);
      if (!m) {
        const type = this.#exchangeType(entry.vhost, entry.binding.source);
        if (!type) return; // not known here yet: the next snapshot brings it
        this.#matchers.set(key, (m = EXCHANGE_TYPES[type].createMatcher(this.#matcherOpts)));
      }
      m.add(binding);
    } else {
      const key = `${entry.vhost}\u0000${entry.queue}`;
      this.#queues.set(key, (this.#queues.get(key) ?? 0) + 1);
    }
    n.entries.set(id, { entry, binding });
  }

  #remove(node: string, id: string): void {
    const n = this.#nodeOf(node);
    const found = n.entries.get(id);
    if (!found) return;
    n.entries.delete(id);
    const { entry, binding } = found;
    if (entry.binding) {
      this.#matchers.get(`${entry.vhost}\u0000${entry.binding.source}`)?.remove(binding);
      return;
    }
    const key = `${entry.vhost}\u0000${entry.queue}`;
    const left = (this.#queues.get(key) ?? 1) - 1;
    if (left > 0) this.#queues.set(key, left);
    else this.#queues.delete(key);
  }

  #forget(node: string): void {
    const n = this.#nodes.get(node);
    if (!n) return;
    for (const id of [...n.entries.keys()]) this.#remove(node, id);
    this.#nodes.delete(node);
  }
}
