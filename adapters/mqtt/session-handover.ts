/**
 * MQTT sessions when several gateway nodes share one store (docs/cluster.md). A client id is
 * held by one node at a time (`ctx.peers`): the node its client is connected to, or last was
 * (it keeps queueing for an offline session). A CONNECT claims the id after authentication; a
 * node that held it closes its connection with that id (the takeover of [MQTT-3.1.4-2], across
 * nodes), waits until that session's writes are in the store, drops it from memory (its core
 * filters with it) and answers; the claiming node then loads the session from the store, and
 * aedes goes on with the CONNECT as on one node (session present [MQTT-3.2.2-2], queued
 * messages resent, or the session discarded for a clean one [MQTT-3.1.2-6]).
 * Sessions and wills whose node died are adopted by a live node at start and every resync:
 * it publishes the wills [MQTT-3.1.2-8] and queues for the sessions again.
 * A single node holds everything and loaded every session at start: only the bookkeeping runs.
 */
import type { Aedes } from 'aedes';
import type { Logger, Peers } from '../../src/spi.js';
import type { ClientSessions } from './session-durable.js';
import type { SessionRecords } from './session-records.js';
import { publishStoredWill } from './session-wills.js';

/** Above this many sessions to adopt, whole areas are read once rather than per client. */
const BULK_LOAD = 16;

export interface HandoverOptions {
  readonly peers: Peers;
  readonly vhost: string;
  readonly sessions: ClientSessions;
  readonly records: SessionRecords;
  readonly aedes: Aedes;
  /** Closes this node's connection with the client id, if any; resolves once closed. */
  readonly closeClient: (clientId: string) => Promise<void>;
  readonly log: Logger;
}

export class SessionHandover {
  readonly #o: HandoverOptions;
  readonly #prefix: string;
  /** Sessions this cluster node has in memory. */
  readonly #loaded = new Set<string>();
  /** Connections of this node that hold a client id (a takeover briefly makes two). */
  readonly #holding = new Map<string, number>();
  /** Per client id, the claim or release in progress: they run one after the other. */
  readonly #chain = new Map<string, Promise<void>>();

  constructor(opts: HandoverOptions) {
    this.#o = opts;
    this.#prefix = `mqtt:${opts.vhost}:`;
    opts.peers.onRelease(async (key) => {
      if (key.startsWith(this.#prefix)) await this.#release(key.slice(this.#prefix.length));
    });
  }

  /** An authenticated CONNECT: hold the id here, with its session in memory. */
  connecting(clientId: string): Promise<void> {
    this.#holding.set(clientId, (this.#holding.get(clientId) ?? 0) + 1);
    return this.#serial(clientId, async () => {
      if (!this.#o.peers.clustered || this.#loaded.has(clientId)) {
        await this.#o.peers.claim(this.#prefix + clientId);
        return;
      }
      // Loaded (filters bound) before the old holder lets go, and again after, for what it
      // queued meanwhile: a message published in between is queued by one or both (a duplicate
      // at worst), never by neither.
      await this.#o.sessions.load(clientId);
      this.#loaded.add(clientId);
      await this.#o.peers.claim(this.#prefix + clientId);
      await this.#o.sessions.reload(clientId);
    });
  }

  /** A connection that held `clientId` closed; a clean session ends with it. */
  closed(clientId: string, clean: boolean): void {
    const n = (this.#holding.get(clientId) ?? 1) - 1;
    if (n > 0) {
      this.#holding.set(clientId, n);
      return;
    }
    this.#holding.delete(clientId);
    if (!clean || !this.#o.peers.clustered) return;
    void this.#serial(clientId, async () => {
      if (this.#holding.has(clientId)) return;
      this.#loaded.delete(clientId);
      await this.#o.peers.release(this.#prefix + clientId);
    }).catch((err: unknown) => {
      this.#o.log.warn({ err, clientId }, 'MQTT client id not released');
    });
  }

  /** Sessions and wills no live node holds: this node takes them (cluster only). */
  async adopt(): Promise<void> {
    if (!this.#o.peers.clustered) return;
    const { records, peers } = this.#o;
    const subs = new Set((await records.list('subs')).map((r) => r.key));
    const wills = new Map((await records.list('will')).map((r) => [r.key, r.value]));
    const candidates = [...new Set([...subs, ...wills.keys()])].filter(
      (id) => !this.#loaded.has(id) && !this.#holding.has(id),
    );
    const adopted = (await peers.adopt(candidates.map((id) => this.#prefix + id))).map((key) =>
      key.slice(this.#prefix.length),
    );
    // Many at once (a dead node's, a cold start): each area read once instead of per client.
    const sessions = adopted.filter((id) => subs.has(id));
    if (sessions.length > BULK_LOAD) {
      await this.#o.sessions.loadMany(new Set(sessions));
      for (const id of sessions) this.#loaded.add(id);
    }
    for (const clientId of adopted) {
      await this.#serial(clientId, async () => {
        if (this.#holding.has(clientId)) return;
        if (subs.has(clientId) && !this.#loaded.has(clientId)) {
          await this.#o.sessions.load(clientId);
          this.#loaded.add(clientId);
        }
        const will = wills.get(clientId);
        if (will !== undefined) {
          await publishStoredWill(this.#o.aedes, records, this.#o.log, clientId, will);
        }
        if (!subs.has(clientId)) await peers.release(this.#prefix + clientId);
      });
    }
    if (adopted.length > 0) this.#o.log.info({ sessions: adopted.length }, 'MQTT sessions adopted');
  }

  async #release(clientId: string): Promise<void> {
    await this.#serial(clientId, async () => {
      await this.#o.closeClient(clientId);
      if (this.#loaded.delete(clientId)) await this.#o.sessions.unload(clientId);
    });
  }

  #serial(clientId: string, step: () => Promise<void>): Promise<void> {
    const run = (this.#chain.get(clientId) ?? Promise.resolve()).then(step);
    const settled = run.catch(() => undefined);
    this.#chain.set(clientId, settled);
    void settled.then(() => {
      if (this.#chain.get(clientId) === settled) this.#chain.delete(clientId);
    });
    return run;
  }
}
