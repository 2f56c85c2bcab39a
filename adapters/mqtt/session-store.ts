/**
 * Session state aedes keeps for clients that outlive their connection: subscriptions, queued
 * QoS 1/2 messages, inbound QoS 2 ids, wills, retained messages. It is aedes-persistence's
 * in-memory implementation for now; backing it with the gateway store comes with the store
 * issue.
 *
 * One change to it: a queued message that was already sent once (it has a packet id) is
 * resent with DUP set [MQTT-3.3.1-1]; aedes resends it as if new.
 */
import type { Readable } from 'node:stream';
import type { Client } from 'aedes';
import memoryPersistence from 'aedes-persistence';
import type { DeliverablePacket } from './aedes-internals.js';

/** The promise-returning calls the adapter makes itself. */
export interface SessionStore {
  subscriptionsByTopic(topic: string): Promise<{ clientId: string; topic: string }[]>;
  outgoingEnqueue(sub: { clientId: string }, packet: DeliverablePacket): Promise<void>;
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: DeliverablePacket): Promise<void>;
  outgoingUpdate(client: Client, packet: DeliverablePacket): Promise<void>;
  outgoingStream(client: Client): Readable;
}

export function createSessionStore(): SessionStore {
  // Its typings declare an ES default export; the package is CommonJS whose module.exports
  // is the factory (aedes imports it the same way).
  const store = (memoryPersistence as unknown as () => SessionStore)();
  const outgoingStream = store.outgoingStream.bind(store);
  store.outgoingStream = (client) =>
    outgoingStream(client).map((p: DeliverablePacket) =>
      p.messageId === undefined ? p : { ...p, dup: true },
    );
  return store;
}
