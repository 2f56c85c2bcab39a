/**
 * Session state aedes keeps for clients that outlive their connection: subscriptions, queued
 * QoS 1/2 messages, inbound QoS 2 ids, wills, retained messages. aedes-persistence's in-memory
 * implementation serves it, with the outgoing queues in session-outgoing.ts; `persist` loads
 * the sessions stored in the gateway store and writes every later change through
 * (session-durable.ts), retained messages go the same way (retained-store.ts).
 *
 * Additions:
 * - a queued message that was already sent once (it has a packet id) is resent with DUP set
 *   [MQTT-3.3.1-1]; aedes resends it as if new;
 * - the QoS 1/2 filters of stored sessions are reported through `onFilters`, so the node keeps
 *   them bound in the core while their clients are offline and messages from other protocols
 *   can be queued for them;
 * - packets the adapter already queued (see `alreadyQueued`) are not queued twice.
 */
import type { Readable } from 'node:stream';
import type { Client } from 'aedes';
import memoryPersistence from 'aedes-persistence';
import type { DeliverablePacket } from './aedes-internals.js';
import type { OfflineEnqueue } from './core-mq.js';
import type { RetainedPersistence } from './retained-store.js';
import { persistSessionState, type ClientSessions, type SessionState } from './session-durable.js';
import { OutgoingQueues, type OutPacket } from './session-outgoing.js';
import { clientIdOf, type SessionRecords } from './session-records.js';

/** The promise-returning calls the adapter makes itself. */
export interface SessionStore extends RetainedPersistence {
  addSubscriptions(client: Client, subs: readonly StoredSub[]): Promise<void>;
  removeSubscriptions(client: Client, topics: readonly string[]): Promise<void>;
  cleanSubscriptions(client: Client): Promise<void>;
  subscriptionsByTopic(topic: string): Promise<{ clientId: string; topic: string }[]>;
  outgoingEnqueue(sub: { clientId: string }, packet: DeliverablePacket): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: DeliverablePacket): Promise<void>;
  outgoingUpdate(client: Client, packet: DeliverablePacket): Promise<void>;
  outgoingStream(client: Client): Readable;
  /** Writes every change through to `records`, after loading every stored session
   * (`loadAll`, a single node) or none (a cluster node loads a session when it holds it). */
  persist(records: SessionRecords, loadAll: boolean): Promise<ClientSessions>;
}

interface StoredSub {
  readonly topic: string;
  readonly qos: number;
}

export interface FilterEvents {
  /** A stored session now has this QoS 1/2 filter. */
  added(filter: string): void;
  /** A stored session no longer has it. */
  removed(filter: string): void;
}

/** `alreadyQueued`: packets the adapter queues for offline sessions itself, which aedes's own
 * publish pipeline must not queue a second time. */
export function createSessionStore(
  events: FilterEvents,
  alreadyQueued: (packet: DeliverablePacket) => boolean,
): SessionStore {
  // Its typings declare an ES default export; the package is CommonJS whose module.exports
  // is the factory (aedes imports it the same way).
  const store = (memoryPersistence as unknown as () => SessionStore & SessionState)();
  trackFilters(store, events);
  const outgoing = new OutgoingQueues();
  Object.assign(store, {
    outgoingEnqueue: (sub, packet) => outgoing.enqueue(sub, packet),
    outgoingEnqueueCombi: async (subs, packet) => {
      if (!alreadyQueued(packet)) await outgoing.enqueueCombi(subs, packet);
    },
    outgoingUpdate: (client, packet) => outgoing.update(client, packet),
    outgoingClearMessageId: (client: Client, packet: DeliverablePacket) =>
      outgoing.clear(client, packet),
    // Only a PUBLISH carries DUP: mqtt-packet would set the bit on a PUBREL too, whose flags
    // are fixed at 0010 [MQTT-3.6.1-1].
    outgoingStream: (client) =>
      outgoing
        .stream(client)
        .map((p: OutPacket) =>
          p.cmd !== 'publish' || p.messageId === undefined ? p : { ...p, dup: true },
        ),
    persist: async (records, loadAll) => {
      outgoing.attach(records);
      if (loadAll) outgoing.load(await records.list('out'));
      const state = await persistSessionState(store, records, loadAll);
      return {
        load: async (clientId) => {
          outgoing.load(await records.listClient('out', clientId));
          await state.load(clientId);
        },
        loadMany: async (clientIds) => {
          const out = await records.list('out');
          outgoing.load(out.filter((r) => clientIds.has(clientIdOf(r.key))));
          await state.loadMany(clientIds);
        },
        // The store has the last word on the queue (what the old holder cleared, or turned
        // into a PUBREL, since the first load); this node's own entries are in it once written.
        reload: async (clientId) => {
          // Taken first: every entry in it has its write issued, and `settled` waits for them
          // all; an entry added while the store is read is not in it and stays.
          const before = outgoing.ids(clientId);
          await records.settled(clientId);
          outgoing.reconcile(clientId, await records.listClient('out', clientId), before);
          await state.load(clientId);
        },
        // Filters first, so nothing more is queued for it here; then the writes already made.
        unload: async (clientId) => {
          await state.unload(clientId);
          outgoing.forget(clientId);
          await records.settled(clientId);
        },
      };
    },
  } satisfies Partial<SessionStore> & Record<string, unknown>);
  return store;
}

/** Queues a QoS 1/2 message for every stored session whose filters match it (what aedes's
 * publish pipeline does for MQTT publishes). */
export function enqueueForSessions(store: SessionStore, packet: DeliverablePacket): OfflineEnqueue {
  let committed: Promise<void> | undefined;
  const queued = store.subscriptionsByTopic(packet.topic).then((subs) => {
    // [MQTT-4.7.2-1] sessions subscribed with a leading wildcard do not get '$' topics.
    const matching = packet.topic.startsWith('$')
      ? subs.filter((s) => !/^[+#]/.test(s.topic))
      : subs;
    // The queues take it synchronously; the promise is the store's commit.
    if (matching.length > 0) committed = store.outgoingEnqueueCombi(matching, packet);
  });
  return { queued, committed: queued.then(() => committed) };
}

/** Reports each (session, filter) pair once, while it holds QoS >= 1. */
function trackFilters(store: SessionStore, events: FilterEvents): void {
  const byClient = new Map<string, Set<string>>();
  const drop = (clientId: string, topic: string): void => {
    const set = byClient.get(clientId);
    if (!set?.delete(topic)) return;
    if (set.size === 0) byClient.delete(clientId);
    events.removed(topic);
  };
  const add = store.addSubscriptions.bind(store);
  const remove = store.removeSubscriptions.bind(store);
  const clean = store.cleanSubscriptions.bind(store);
  store.addSubscriptions = async (client, subs) => {
    await add(client, subs);
    for (const { topic, qos } of subs) {
      if (qos === 0 || qos > 2) {
        drop(client.id, topic);
        continue;
      }
      let set = byClient.get(client.id);
      if (!set) byClient.set(client.id, (set = new Set()));
      if (set.has(topic)) continue;
      set.add(topic);
      events.added(topic);
    }
  };
  store.removeSubscriptions = async (client, topics) => {
    await remove(client, topics);
    for (const topic of topics) drop(client.id, topic);
  };
  store.cleanSubscriptions = async (client) => {
    await clean(client);
    for (const topic of [...(byClient.get(client.id) ?? [])]) drop(client.id, topic);
  };
}
