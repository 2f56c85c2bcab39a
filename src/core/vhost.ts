import { randomBytes } from 'node:crypto';
import type {
  Arguments,
  ConsumeOptions,
  Consumer,
  ConsumerSink,
  DeclareOptions,
  ExchangeSpec,
  GetResult,
  HeaderValue,
  Message,
  PublishResult,
  QueueInfo,
  QueueSpec,
  Store,
  Topology,
  VhostApi,
} from '../spi.js';
import { makeBinding, type Binding, type Destination } from './binding.js';
import { BrokerError } from './errors.js';
import type { Exchange } from './exchange.js';
import type { MatcherOptions } from './exchanges/exchange-type.js';
import { EXCHANGE_TYPES, isExchangeTypeName } from './exchanges/registry.js';
import {
  AMQ_DIRECT,
  AMQ_FANOUT,
  AMQ_HEADERS,
  AMQ_MATCH,
  AMQ_TOPIC,
  DEFAULT_EXCHANGE,
} from './names.js';
import { parseExpiration, parseQueueArgs } from './queues/queue-args.js';
import type { VhostCluster } from './queues/cluster-hooks.js';
import { Queue, type DeathReason, type QueueHooks, type QueueOptions } from './queues/queue.js';
import { route } from './router.js';
import type { DurableLog } from './durable-log.js';
import type { CoreLimits } from '../config/core-limits.js';

const RESERVED_PREFIX = 'amq.';

const PREDECLARED: readonly ExchangeSpec[] = [
  { name: AMQ_DIRECT, type: 'direct', durable: true },
  { name: AMQ_FANOUT, type: 'fanout', durable: true },
  { name: AMQ_TOPIC, type: 'topic', durable: true },
  { name: AMQ_HEADERS, type: 'headers', durable: true },
  { name: AMQ_MATCH, type: 'headers', durable: true },
];

function notFound(kind: string, name: string): BrokerError {
  return new BrokerError('GW_ERR_NOT_FOUND', `no ${kind} '${name}' in vhost`);
}

function defaultExchangeRefused(): BrokerError {
  return new BrokerError(
    'GW_ERR_ACCESS_REFUSED',
    'operation not permitted on the default exchange',
  );
}

function inequivalent(kind: string, name: string, what: string): BrokerError {
  return new BrokerError(
    'GW_ERR_PRECONDITION_FAILED',
    `inequivalent arg '${what}' for ${kind} '${name}': received a different value than the current one`,
  );
}

/** A new exchange or queue: `amq.` names are reserved, and the vhost has a cap per kind. */
function assertCreatable(
  kind: 'exchange' | 'queue',
  name: string,
  count: number,
  max: number,
): void {
  if (name.startsWith(RESERVED_PREFIX)) {
    throw new BrokerError(
      'GW_ERR_ACCESS_REFUSED',
      `${kind} name '${name}' uses the reserved prefix 'amq.'`,
    );
  }
  if (count >= max) throw new BrokerError('GW_ERR_RESOURCE_ERROR', `too many ${kind}s`);
}

const destKey = (d: Destination): string => `${d.kind}\u0000${d.name}`;

/** One virtual host: exchanges, queues, bindings, routing and dead-lettering. */
export class Vhost implements VhostApi, QueueHooks {
  readonly name: string;
  readonly #limits: CoreLimits;
  readonly #matcherOpts: MatcherOptions;
  readonly #exchanges = new Map<string, Exchange>();
  readonly #queues = new Map<string, Queue>();
  /** Bindings by destination, so deleting a queue or exchange drops its bindings. */
  readonly #byDestination = new Map<string, Set<Binding>>();

  /** Publish outcomes since start, for metrics. */
  readonly stats = { published: 0, routed: 0, unroutable: 0, refused: 0 };

  /** Set once recovery is done, so recovering does not write back what it reads. */
  persistence: DurableLog | undefined;

  /** Set when nodes share a Redis (src/cluster): shared queues and cross-node delivery. */
  cluster: VhostCluster | undefined;

  constructor(name: string, limits: CoreLimits) {
    this.name = name;
    this.#limits = limits;
    this.#matcherOpts = {
      topicCacheSize: limits.topicCacheSize,
      maxRoutingKeyWords: limits.maxRoutingKeyWords,
    };
    for (const spec of PREDECLARED) this.#createExchange(spec);
  }

  // ------------------------------------------------------------------ recovery

  /** Rebuild durable exchanges, queues, bindings and messages from the store, then start
   * writing to it. */
  async recover(store: Store, topology: Topology, log: DurableLog): Promise<void> {
    const mine = <T extends { readonly vhost: string }>(items: readonly T[]): T[] =>
      items.filter((i) => i.vhost === this.name);
    for (const { spec } of mine(topology.exchanges))
      if (!this.#exchanges.has(spec.name)) this.#createExchange(spec);
    for (const q of mine(topology.queues)) this.#createQueue(q.spec, q.unusedSince);
    for (const b of mine(topology.bindings)) {
      // A binding whose end is gone (written by an older version) must not stop the start.
      const dest = b.destinationKind === 'queue' ? this.#queues : this.#exchanges;
      if (!dest.has(b.destination) || !this.#exchanges.has(b.source)) continue;
      if (b.destinationKind === 'queue')
        this.bindQueue(b.destination, b.source, b.routingKey, b.arguments);
      else this.bindExchange(b.destination, b.source, b.routingKey, b.arguments);
    }
    for (const q of this.#queues.values()) {
      const stored = await store.readMessages(this.name, q.name);
      stored.forEach((m, seq) => {
        q.restore({
          seq,
          message: m.message,
          size: m.message.body.length,
          expiresAt: m.expiresAt,
          priority: m.priority,
          deliveryCount: m.deliveryCount,
          storeId: m.id,
        });
      });
    }
    this.persistence = log;
    for (const q of this.#queues.values()) {
      q.resumeExpiry();
      q.dispatch();
    }
  }

  sync(): Promise<void> {
    return this.persistence?.sync() ?? Promise.resolve();
  }

  // ------------------------------------------------------------------ exchanges

  exchangeExists(name: string): boolean {
    return name === DEFAULT_EXCHANGE || this.#exchanges.has(name);
  }

  exchange(name: string): Exchange | undefined {
    return this.#exchanges.get(name);
  }

  declareExchange(spec: ExchangeSpec, opts: DeclareOptions = {}): void {
    if (spec.name === DEFAULT_EXCHANGE) {
      if (opts.passive) return;
      throw new BrokerError(
        'GW_ERR_ACCESS_REFUSED',
        'operation not permitted on the default exchange',
      );
    }
    const existing = this.#exchanges.get(spec.name);
    if (opts.passive) {
      if (!existing) throw notFound('exchange', spec.name);
      return;
    }
    if (!isExchangeTypeName(spec.type)) {
      throw new BrokerError('GW_ERR_NOT_FOUND', `unknown exchange type '${String(spec.type)}'`);
    }
    if (existing) {
      this.#assertExchangeEquivalent(existing, spec);
      return;
    }
    assertCreatable('exchange', spec.name, this.#exchanges.size, this.#limits.maxExchanges);
    // Not inside `persistence?.(...)`: optional chaining would skip the creation itself.
    const x = this.#createExchange(spec);
    this.persistence?.exchangeDeclared(x);
  }

  #createExchange(spec: ExchangeSpec): Exchange {
    const args = spec.arguments ?? {};
    const alternate = args['alternate-exchange'];
    const x: Exchange = {
      name: spec.name,
      type: spec.type,
      durable: spec.durable ?? false,
      autoDelete: spec.autoDelete ?? false,
      internal: spec.internal ?? false,
      args,
      alternate: typeof alternate === 'string' ? alternate : undefined,
      matcher: EXCHANGE_TYPES[spec.type].createMatcher(this.#matcherOpts),
      bindings: new Map(),
    };
    this.#exchanges.set(spec.name, x);
    return x;
  }

  #assertExchangeEquivalent(x: Exchange, spec: ExchangeSpec): void {
    if (x.type !== spec.type) throw inequivalent('exchange', x.name, 'type');
    if (x.durable !== (spec.durable ?? false)) throw inequivalent('exchange', x.name, 'durable');
    if (x.autoDelete !== (spec.autoDelete ?? false))
      throw inequivalent('exchange', x.name, 'auto_delete');
    if (x.internal !== (spec.internal ?? false)) throw inequivalent('exchange', x.name, 'internal');
    const ae = spec.arguments?.['alternate-exchange'];
    if ((typeof ae === 'string' ? ae : undefined) !== x.alternate) {
      throw inequivalent('exchange', x.name, 'alternate-exchange');
    }
  }

  deleteExchange(name: string, opts: { readonly ifUnused?: boolean } = {}): void {
    if (name === DEFAULT_EXCHANGE || name.startsWith(RESERVED_PREFIX)) {
      throw new BrokerError('GW_ERR_ACCESS_REFUSED', `exchange '${name}' cannot be deleted`);
    }
    const x = this.#exchanges.get(name);
    if (!x) return; // idempotent, as in RabbitMQ 3.x+
    if (opts.ifUnused && x.bindings.size > 0) {
      throw new BrokerError('GW_ERR_PRECONDITION_FAILED', `exchange '${name}' in use`);
    }
    this.#removeExchange(x);
  }

  #removeExchange(x: Exchange): void {
    // Bindings first, while the exchange still counts as a durable end: their store rows go too.
    for (const b of [...x.bindings.values()]) this.#removeBinding(b, false);
    this.#dropBindingsTo({ kind: 'exchange', name: x.name });
    this.#exchanges.delete(x.name);
    this.persistence?.exchangeDeleted(x);
  }

  // ------------------------------------------------------------------ queues

  queue(name: string): Queue | undefined {
    return this.#queues.get(name);
  }

  queueInfo(name: string): QueueInfo | undefined {
    return this.#queues.get(name)?.info();
  }

  declareQueue(spec: QueueSpec, opts: DeclareOptions = {}): QueueInfo {
    const existing = spec.name === '' ? undefined : this.#queues.get(spec.name);
    if (opts.passive) {
      if (!existing) throw notFound('queue', spec.name);
      existing.checkAccess(opts.connectionId);
      return existing.info();
    }
    if (existing) {
      existing.checkAccess(opts.connectionId);
      this.#assertQueueEquivalent(existing, spec);
      existing.touch();
      return existing.info();
    }
    assertCreatable('queue', spec.name, this.#queues.size, this.#limits.maxQueues);
    return this.#createQueue(spec, undefined).info();
  }

  #createQueue(spec: QueueSpec, unusedSince: number | undefined): Queue {
    const name = spec.name === '' ? `amq.gen-${randomBytes(16).toString('base64url')}` : spec.name;
    const options: QueueOptions = {
      name,
      durable: spec.durable ?? false,
      exclusiveOwner: spec.exclusiveOwner,
      autoDelete: spec.autoDelete ?? false,
      args: parseQueueArgs(spec.arguments ?? {}),
      rawArgs: spec.arguments ?? {},
      maxConsumers: this.#limits.maxConsumersPerQueue,
      unusedSince,
    };
    const queue = this.cluster?.createQueue(options, this) ?? new Queue(options, this);
    this.#queues.set(name, queue);
    this.persistence?.queueDeclared(queue);
    return queue;
  }

  #assertQueueEquivalent(q: Queue, spec: QueueSpec): void {
    const o = q.options;
    if (o.durable !== (spec.durable ?? false)) throw inequivalent('queue', q.name, 'durable');
    if (o.autoDelete !== (spec.autoDelete ?? false))
      throw inequivalent('queue', q.name, 'auto_delete');
    if ((o.exclusiveOwner !== undefined) !== (spec.exclusiveOwner !== undefined)) {
      throw inequivalent('queue', q.name, 'exclusive');
    }
    const wanted = parseQueueArgs(spec.arguments ?? {});
    for (const key of Object.keys(wanted) as (keyof typeof wanted)[]) {
      if (wanted[key] !== o.args[key]) throw inequivalent('queue', q.name, key);
    }
  }

  #usableQueue(name: string, connectionId: string | undefined): Queue {
    const q = this.#queues.get(name);
    if (!q) throw notFound('queue', name);
    q.checkAccess(connectionId);
    return q;
  }

  deleteQueue(
    name: string,
    opts: {
      readonly ifUnused?: boolean;
      readonly ifEmpty?: boolean;
      readonly connectionId?: string;
    } = {},
  ): number {
    const q = this.#queues.get(name);
    if (!q) return 0; // idempotent, as in RabbitMQ 3.x+
    q.checkAccess(opts.connectionId);
    if (opts.ifUnused && q.consumerCount > 0) {
      throw new BrokerError('GW_ERR_PRECONDITION_FAILED', `queue '${name}' in use`);
    }
    if (opts.ifEmpty && q.messageCount > 0) {
      throw new BrokerError('GW_ERR_PRECONDITION_FAILED', `queue '${name}' not empty`);
    }
    return this.#removeQueue(q, `queue '${name}' deleted`);
  }

  #removeQueue(q: Queue, reason: string): number {
    // Bindings first, while the queue still counts as a durable end: their store rows go too.
    this.#dropBindingsTo({ kind: 'queue', name: q.name });
    this.#queues.delete(q.name);
    this.persistence?.queueDeleted(q);
    return q.markDeleted(reason);
  }

  purgeQueue(name: string, opts: { readonly connectionId?: string } = {}): number {
    return this.#usableQueue(name, opts.connectionId).purge(opts.connectionId);
  }

  releaseConnection(connectionId: string): void {
    for (const q of [...this.#queues.values()]) {
      if (q.options.exclusiveOwner === connectionId)
        this.#removeQueue(q, 'owner connection closed');
    }
  }

  /** QueueHooks: auto-delete after the last consumer, or x-expires. */
  expire(queue: Queue): void {
    if (this.#queues.get(queue.name) === queue)
      this.#removeQueue(queue, `queue '${queue.name}' expired`);
  }

  // ------------------------------------------------------------------ bindings

  bindQueue(
    queue: string,
    exchange: string,
    routingKey: string,
    args: Arguments = {},
    opts: { readonly connectionId?: string } = {},
  ): void {
    this.#bind(this.#queueDestination(queue, opts.connectionId), exchange, routingKey, args);
  }

  unbindQueue(
    queue: string,
    exchange: string,
    routingKey: string,
    args: Arguments = {},
    opts: { readonly connectionId?: string } = {},
  ): void {
    this.#unbind(this.#queueDestination(queue, opts.connectionId), exchange, routingKey, args);
  }

  #queueDestination(name: string, connectionId: string | undefined): Destination {
    const q = this.#queues.get(name);
    if (!q) throw notFound('queue', name);
    if (connectionId !== undefined) q.checkAccess(connectionId);
    return { kind: 'queue', name };
  }

  bindExchange(
    destination: string,
    source: string,
    routingKey: string,
    args: Arguments = {},
  ): void {
    this.#bind(this.#exchangeDestination(destination), source, routingKey, args);
  }

  unbindExchange(
    destination: string,
    source: string,
    routingKey: string,
    args: Arguments = {},
  ): void {
    this.#unbind(this.#exchangeDestination(destination), source, routingKey, args);
  }

  #exchangeDestination(name: string): Destination {
    if (name === DEFAULT_EXCHANGE) throw defaultExchangeRefused();
    if (!this.#exchanges.has(name)) throw notFound('exchange', name);
    return { kind: 'exchange', name };
  }

  #source(name: string): Exchange {
    if (name === DEFAULT_EXCHANGE) {
      throw new BrokerError(
        'GW_ERR_ACCESS_REFUSED',
        'operation not permitted on the default exchange',
      );
    }
    const x = this.#exchanges.get(name);
    if (!x) throw notFound('exchange', name);
    return x;
  }

  #bind(dest: Destination, source: string, routingKey: string, args: Arguments): void {
    const x = this.#source(source);
    EXCHANGE_TYPES[x.type].validateBinding(routingKey, args, this.#matcherOpts);
    const b = makeBinding(source, dest, routingKey, args);
    if (x.bindings.has(b.id)) return;
    x.bindings.set(b.id, b);
    x.matcher.add(b);
    this.persistence?.bindingAdded(b, this.#durableEnds(b));
    const key = destKey(dest);
    let set = this.#byDestination.get(key);
    if (!set) this.#byDestination.set(key, (set = new Set()));
    set.add(b);
  }

  #unbind(dest: Destination, source: string, routingKey: string, args: Arguments): void {
    const x = this.#source(source);
    const b = x.bindings.get(makeBinding(source, dest, routingKey, args).id);
    if (b) this.#removeBinding(b); // unbinding a missing binding is a no-op (RabbitMQ)
  }

  /** `autoDelete: false` when the source exchange itself is being removed. */
  #removeBinding(b: Binding, autoDelete = true): void {
    const x = this.#exchanges.get(b.source);
    if (x?.bindings.delete(b.id)) {
      x.matcher.remove(b);
      this.persistence?.bindingRemoved(b, this.#durableEnds(b));
      // An auto-delete exchange goes with its last binding.
      if (autoDelete && x.autoDelete && x.bindings.size === 0) this.#removeExchange(x);
    }
    const key = destKey(b.destination);
    const set = this.#byDestination.get(key);
    if (set?.delete(b) && set.size === 0) this.#byDestination.delete(key);
  }

  #durableEnds(b: Binding): boolean {
    const source = this.#exchanges.get(b.source);
    const { kind, name } = b.destination;
    const durableDest =
      kind === 'queue' ? this.#queues.get(name)?.isDurable : this.#exchanges.get(name)?.durable;
    return (source?.durable ?? false) && (durableDest ?? false);
  }

  #dropBindingsTo(dest: Destination): void {
    const set = this.#byDestination.get(destKey(dest));
    if (!set) return;
    for (const b of [...set]) this.#removeBinding(b);
  }

  // ------------------------------------------------------------------ publish

  publish(message: Message): PublishResult {
    const max = this.#limits.maxRoutingKeyLength;
    const key = message.routingKey;
    // Bytes, not characters: the key must fit an AMQP 0-9-1 shortstr on the way out.
    if (key.length > max || (key.length * 3 > max && Buffer.byteLength(key, 'utf8') > max)) {
      throw new BrokerError('GW_ERR_INVALID_ARGUMENT', `routing key longer than ${max} bytes`);
    }
    // RabbitMQ checks the expiration before routing, so an invalid one fails every publish.
    parseExpiration(message.properties.expiration);
    const targets = this.#route(message);
    const forwarded = this.cluster?.forward(message);
    let queued = 0;
    let refusedBy: string | undefined;
    const commits: Promise<void>[] = forwarded ? [forwarded] : [];
    const now = Date.now();
    for (const q of targets) {
      const r = q.enqueue(message, now);
      if (r.outcome === 'refused') refusedBy ??= q.name;
      else {
        queued++;
        if (r.committed) commits.push(r.committed);
      }
    }
    const committed =
      commits.length === 0
        ? undefined
        : commits.length === 1
          ? commits[0]
          : Promise.all(commits).then(() => undefined);
    this.stats.published++;
    if (refusedBy !== undefined) {
      this.stats.refused++;
      return { status: 'refused', queues: queued, refusedBy, committed };
    }
    const routed = targets.length > 0 || (this.cluster?.routesElsewhere(message) ?? false);
    if (routed) this.stats.routed++;
    else this.stats.unroutable++;
    return { status: routed ? 'routed' : 'unroutable', queues: queued, committed };
  }

  /** Cluster: a message another node published and routed. Only this node's connection-owned
   * queues take it; shared queues (in Redis) got it from the publishing node. */
  publishForeign(message: Message): void {
    let targets: Queue[];
    try {
      targets = this.#route(message, false);
    } catch {
      return; // the exchange is gone here: nothing of this node can match
    }
    const now = Date.now();
    for (const q of targets) if (q.options.exclusiveOwner !== undefined) q.enqueue(message, now);
  }

  /** `internal` exchanges refuse client publishes only; dead-lettering may use them. */
  #route(message: Message, fromClient = true): Queue[] {
    if (message.exchange === DEFAULT_EXCHANGE) {
      const q = this.#queues.get(message.routingKey);
      return q ? [q] : [];
    }
    const x = this.#exchanges.get(message.exchange);
    if (!x) throw notFound('exchange', message.exchange);
    if (x.internal && fromClient) {
      throw new BrokerError(
        'GW_ERR_ACCESS_REFUSED',
        `cannot publish to internal exchange '${x.name}'`,
      );
    }
    const out: Queue[] = [];
    for (const name of route(this, x, message)) {
      const q = this.#queues.get(name);
      if (q) out.push(q);
    }
    return out;
  }

  // ------------------------------------------------------------------ consume

  consume(queue: string, sink: ConsumerSink, opts: ConsumeOptions = {}): Consumer {
    return this.#usableQueue(queue, opts.connectionId).consume(sink, opts);
  }

  fetchForGet(
    queue: string,
    opts: { readonly connectionId?: string } = {},
  ): Promise<void> | undefined {
    return this.#usableQueue(queue, opts.connectionId).fetchForGet();
  }

  get(
    queue: string,
    opts: { readonly noAck?: boolean; readonly connectionId?: string } = {},
  ): GetResult | undefined {
    return this.#usableQueue(queue, opts.connectionId).get(opts.noAck ?? false, opts.connectionId);
  }

  // ------------------------------------------------------------------ dead-lettering

  /** QueueHooks: republish to the queue's DLX with an `x-death` record (RabbitMQ DLX). A
   * destination queue the message already died in, with no rejection since, would be a cycle:
   * that queue is skipped (RabbitMQ rabbit_dead_letter detect_cycles). */
  deadLetter(queue: Queue, message: Message, reason: DeathReason): void {
    const { deadLetterExchange: dlx, deadLetterRoutingKey: dlrk } = queue.options.args;
    if (dlx === undefined) return;
    const headers = withDeath(message, queue.name, reason, deathsOf(message.headers['x-death']));
    const next: Message = {
      ...message,
      exchange: dlx,
      routingKey: dlrk ?? message.routingKey,
      headers,
      // The per-message TTL must not expire it again in the dead-letter queue.
      properties: { ...message.properties, expiration: undefined },
    };
    let targets: Queue[];
    try {
      targets = this.#route(next, false);
    } catch {
      // A DLX that is missing or unusable drops the message, as in RabbitMQ.
      return;
    }
    this.cluster?.forward(next)?.catch((err: unknown) => {
      this.persistence?.reportError(err);
    });
    const deaths = deathsOf(headers['x-death']);
    const now = Date.now();
    for (const q of targets) {
      if (reason !== 'rejected' && isDeathCycle(q.name, deaths)) continue;
      // Nobody waits for a dead-lettered message's commit; a store failure is reported, not thrown.
      q.enqueue(next, now).committed?.catch((err: unknown) => {
        this.persistence?.reportError(err);
      });
    }
  }

  // ------------------------------------------------------------------ listing (management)

  listExchanges(): Exchange[] {
    return [...this.#exchanges.values()];
  }

  listQueues(): Queue[] {
    return [...this.#queues.values()];
  }

  listBindings(): Binding[] {
    return [...this.#exchanges.values()].flatMap((x) => [...x.bindings.values()]);
  }

  /** Shutdown: cancel consumers and stop timers, leaving the store as it is. */
  close(): void {
    for (const q of this.#queues.values()) q.markDeleted('broker shutting down');
    this.#queues.clear();
  }
}

type Death = Readonly<Record<string, HeaderValue>>;

function deathsOf(v: HeaderValue | undefined): Death[] {
  return Array.isArray(v)
    ? (v.filter((d) => d && typeof d === 'object' && !Array.isArray(d)) as Death[])
    : [];
}

/** The message already died in `queue` and every death since (newest first) was automatic
 * (expired, maxlen): routing it there again would loop forever. */
function isDeathCycle(queue: string, deaths: readonly Death[]): boolean {
  const i = deaths.findIndex((d) => d['queue'] === queue);
  return i >= 0 && deaths.slice(0, i + 1).every((d) => d['reason'] !== 'rejected');
}

/** `x-death` keeps one entry per (queue, reason), newest first, with a count. */
function withDeath(
  message: Message,
  queue: string,
  reason: DeathReason,
  deaths: Death[],
): Message['headers'] {
  const idx = deaths.findIndex((d) => d['queue'] === queue && d['reason'] === reason);
  const prev = idx >= 0 ? deaths[idx] : undefined;
  const count = typeof prev?.['count'] === 'number' ? prev['count'] + 1 : 1;
  const entry: Death = {
    count,
    reason,
    queue,
    time: new Date(Math.floor(Date.now() / 1000) * 1000),
    exchange: message.exchange,
    'routing-keys': [message.routingKey],
    ...(message.properties.expiration !== undefined
      ? { 'original-expiration': message.properties.expiration }
      : {}),
  };
  const rest = deaths.filter((_d, i) => i !== idx);
  const headers: Record<string, HeaderValue> = { ...message.headers, 'x-death': [entry, ...rest] };
  if (!('x-first-death-reason' in message.headers)) {
    headers['x-first-death-reason'] = reason;
    headers['x-first-death-queue'] = queue;
    headers['x-first-death-exchange'] = message.exchange;
  }
  return headers;
}
