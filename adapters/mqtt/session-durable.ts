/**
 * Subscriptions, inbound QoS 2 packets and wills of stored sessions survive a restart: aedes
 * keeps using aedes-persistence's memory implementation (fast lookups, wildcard matching), and
 * every change is also written to the gateway store (the mirror pattern of retained-store.ts).
 * A change resolves only once the store has committed it, so aedes's PUBREC for an inbound
 * QoS 2 packet goes out after the packet id is durable: a PUBLISH resent with DUP after a
 * restart is recognised and not delivered again [MQTT-4.3.3-2].
 */
import type { Client } from 'aedes';
import { dataOf } from './session-outgoing.js';
import { clientIdOf, clientKey, splitKey, type SessionRecords } from './session-records.js';

interface StoredSub {
  readonly topic: string;
  readonly qos: number;
}

interface Id {
  readonly id: string;
}
interface InboundPacket {
  readonly messageId: number;
}

/** The aedes-persistence calls mirrored here. */
export interface SessionState {
  addSubscriptions(client: Id, subs: readonly StoredSub[]): Promise<void>;
  removeSubscriptions(client: Id, topics: readonly string[]): Promise<void>;
  cleanSubscriptions(client: Id): Promise<void>;
  subscriptionsByClient(client: Id): Promise<StoredSub[]>;
  incomingStorePacket(client: Id, packet: InboundPacket): Promise<void>;
  incomingDelPacket(client: Id, packet: InboundPacket): Promise<void>;
  cleanIncoming(client: Id): Promise<void>;
  putWill(client: Client, packet: object): Promise<void>;
  delWill(client: Id): Promise<object | undefined>;
}

/** One client's session state moved into or out of this node's memory (cluster handover). */
export interface ClientSessions {
  /** Loads the client's stored subscriptions (bound in the core) and inbound QoS 2 ids. */
  load(clientId: string): Promise<void>;
  /** Loads many at once: each area read once, not once per client (a dead node's sessions). */
  loadMany(clientIds: ReadonlySet<string>): Promise<void>;
  /** Loads it again over what is in memory: the queue as the store has it now. */
  reload(clientId: string): Promise<void>;
  /** Drops the client's session from memory, releasing its filters; the records stay. */
  unload(clientId: string): Promise<void>;
}

/** Loads the stored subscriptions (reported to the core like new ones) and inbound QoS 2
 * packets into `state` (every session's with `loadAll`, else none: see `ClientSessions`), then
 * mirrors every later change to `records`. Stored wills are not loaded: they belong to
 * connections of the previous run (session-wills.ts). */
export async function persistSessionState(
  state: SessionState,
  records: SessionRecords,
  loadAll: boolean,
): Promise<Omit<ClientSessions, 'reload'>> {
  const ofClients = (ids: ReadonlySet<string>, area: 'subs' | 'in') =>
    records.list(area).then((all) => all.filter((r) => ids.has(clientIdOf(r.key))));
  // The in-memory calls, before the write-through below wraps them.
  const add = state.addSubscriptions.bind(state);
  const remove = state.removeSubscriptions.bind(state);
  const clean = state.cleanSubscriptions.bind(state);
  const storeIn = state.incomingStorePacket.bind(state);
  const delIn = state.incomingDelPacket.bind(state);
  const cleanIn = state.cleanIncoming.bind(state);

  const inbound = new Map<string, Set<number>>();
  const track = (clientId: string): Set<number> => {
    let ids = inbound.get(clientId);
    if (!ids) inbound.set(clientId, (ids = new Set()));
    return ids;
  };
  const loadRecords = async (
    subs: readonly { key: string; value: unknown }[],
    inRecords: readonly { key: string; value: unknown }[],
  ): Promise<void> => {
    for (const { key, value } of subs) await add({ id: key }, value as StoredSub[]);
    for (const { key, value } of inRecords) {
      const [clientId, messageId] = splitKey(key);
      await storeIn({ id: clientId }, value as InboundPacket);
      track(clientId).add(messageId);
    }
  };
  if (loadAll) await loadRecords(await records.list('subs'), await records.list('in'));

  const saveSubs = async (client: Id): Promise<void> => {
    const subs = await state.subscriptionsByClient(client);
    await (subs.length > 0
      ? records.put('subs', client.id, subs)
      : records.delete('subs', client.id));
  };
  state.addSubscriptions = async (client, subs) => {
    await add(client, subs);
    await saveSubs(client);
  };
  state.removeSubscriptions = async (client, topics) => {
    await remove(client, topics);
    await saveSubs(client);
  };
  state.cleanSubscriptions = async (client) => {
    // Every clean-session CONNECT comes here; only a stored session costs a write.
    const stored = (await state.subscriptionsByClient(client)).length > 0;
    await clean(client);
    if (stored) await records.delete('subs', client.id);
  };

  state.incomingStorePacket = async (client, packet) => {
    await storeIn(client, packet);
    track(client.id).add(packet.messageId);
    await records.put('in', clientKey(client.id, packet.messageId), dataOf(packet));
  };
  state.incomingDelPacket = async (client, packet) => {
    await delIn(client, packet);
    inbound.get(client.id)?.delete(packet.messageId);
    await records.delete('in', clientKey(client.id, packet.messageId));
  };
  state.cleanIncoming = async (client) => {
    await cleanIn(client);
    const ids = inbound.get(client.id);
    inbound.delete(client.id);
    await Promise.all([...(ids ?? [])].map((id) => records.delete('in', clientKey(client.id, id))));
  };

  const putWill = state.putWill.bind(state);
  const delWill = state.delWill.bind(state);
  state.putWill = async (client, packet) => {
    await putWill(client, packet);
    await records.put('will', client.id, dataOf(packet));
  };
  state.delWill = async (client) => {
    const will = await delWill(client);
    if (will) await records.delete('will', client.id);
    return will;
  };

  return {
    load: async (clientId) => {
      await loadRecords(
        await records.listClient('subs', clientId),
        await records.listClient('in', clientId),
      );
    },
    loadMany: async (clientIds) => {
      await loadRecords(await ofClients(clientIds, 'subs'), await ofClients(clientIds, 'in'));
    },
    unload: async (clientId) => {
      await clean({ id: clientId });
      await cleanIn({ id: clientId });
      inbound.delete(clientId);
    },
  };
}
