import type { ExchangeSpec, QueueSpec } from '../spi.js';
import type { Binding } from '../core/binding.js';
import type { Exchange } from '../core/exchange.js';
import type { Queue } from '../core/queues/queue.js';
import type { Vhost } from '../core/vhost.js';
import type { InterestEntry } from './remote-interest.js';

/**
 * One shared topology entity as a field of the cluster topology hash and of a change
 * announcement: `x:<exchange>`, `q:<queue>`, `b:<source>\0<binding id>`.
 */
export type Entity =
  | { readonly kind: 'exchange'; readonly spec: ExchangeSpec }
  | { readonly kind: 'queue'; readonly spec: QueueSpec }
  | { readonly kind: 'binding'; readonly binding: BindingSpec };

export interface BindingSpec {
  readonly source: string;
  readonly destinationKind: 'queue' | 'exchange';
  readonly destination: string;
  readonly routingKey: string;
  readonly args: Binding['args'];
}

export const exchangeField = (name: string): string => `x:${name}`;
export const queueField = (name: string): string => `q:${name}`;
export const bindingField = (b: Binding): string => `b:${b.source}\u0000${b.id}`;

export function exchangeEntity(x: Exchange): Entity {
  const { name, type, durable, autoDelete, internal, args } = x;
  return { kind: 'exchange', spec: { name, type, durable, autoDelete, internal, arguments: args } };
}

export function queueEntity(q: Queue): Entity {
  const { name, durable, autoDelete, rawArgs } = q.options;
  return { kind: 'queue', spec: { name, durable, autoDelete, arguments: rawArgs } };
}

export function bindingEntity(b: Binding): Entity {
  return {
    kind: 'binding',
    binding: {
      source: b.source,
      destinationKind: b.destination.kind,
      destination: b.destination.name,
      routingKey: b.routingKey,
      args: b.args,
    },
  };
}

/** Connection-owned queues stay on their node; every other queue is shared (in Redis). */
export const isShared = (q: Queue): boolean => q.options.exclusiveOwner === undefined;

/** Predeclared exchanges exist on every node already (`amq.` is reserved). */
const isPredeclared = (x: Exchange): boolean => x.name.startsWith('amq.');

/** A binding is shared unless it leads to a connection-owned queue (that node routes for it). */
export function isSharedBinding(vhost: Vhost, b: Binding): boolean {
  if (b.destination.kind === 'exchange') return true;
  const q = vhost.queue(b.destination.name);
  return q !== undefined && isShared(q);
}

/** This node's shared topology, field -> entity. */
export function localEntities(vhost: Vhost): Map<string, Entity> {
  const out = new Map<string, Entity>();
  for (const x of vhost.listExchanges())
    if (!isPredeclared(x)) out.set(exchangeField(x.name), exchangeEntity(x));
  for (const q of vhost.listQueues()) if (isShared(q)) out.set(queueField(q.name), queueEntity(q));
  for (const b of vhost.listBindings())
    if (isSharedBinding(vhost, b)) out.set(bindingField(b), bindingEntity(b));
  return out;
}

/** This node's connection-owned queues and their bindings (remote-interest.ts). */
export function localInterest(vhost: Vhost): InterestEntry[] {
  const out: InterestEntry[] = [];
  for (const q of vhost.listQueues())
    if (!isShared(q)) out.push({ vhost: vhost.name, queue: q.name });
  for (const b of vhost.listBindings())
    if (!isSharedBinding(vhost, b)) out.push(interestOf(vhost, b));
  return out;
}

export function interestOf(vhost: Vhost, b: Binding): InterestEntry {
  return { vhost: vhost.name, queue: b.destination.name, binding: b };
}

/** Applies one entity as declared (`present`) or deleted, as a client of this node would. */
export function applyEntity(vhost: Vhost, e: Entity, present: boolean): void {
  switch (e.kind) {
    case 'exchange':
      if (present) vhost.declareExchange(e.spec);
      else vhost.deleteExchange(e.spec.name);
      return;
    case 'queue':
      if (present) vhost.declareQueue(e.spec);
      else vhost.deleteQueue(e.spec.name);
      return;
    case 'binding': {
      const { source, destinationKind, destination, routingKey, args } = e.binding;
      if (destinationKind === 'queue') {
        if (present) vhost.bindQueue(destination, source, routingKey, args);
        else vhost.unbindQueue(destination, source, routingKey, args);
      } else if (present) vhost.bindExchange(destination, source, routingKey, args);
      else vhost.unbindExchange(destination, source, routingKey, args);
    }
  }
}

/** Declarations before the bindings that need them; deletions the other way round. */
export const applyOrder = (e: Entity): number =>
  e.kind === 'exchange' ? 0 : e.kind === 'queue' ? 1 : 2;
