/**
 * The outgoing queue of every stored session: QoS 1/2 packets waiting for their client, and
 * those in flight with the packet id they went out with (a PUBREL in place of its QoS 2
 * PUBLISH once the client sent PUBREC). aedes-persistence's memory semantics, plus a
 * write-through of every change to the gateway store once `persist` has loaded it, so a queue
 * comes back after a restart in order and with its packet ids [MQTT-4.4.0-1].
 */
import { Readable } from 'node:stream';
import memoryPersistence from 'aedes-persistence';
import { randomBytes } from 'node:crypto';
import { clientIdOf, type SessionRecords } from './session-records.js';

/** A packet as aedes hands it over: a publish, or a PUBREL. */
export interface OutPacket {
  readonly cmd?: string;
  readonly qos?: number;
  readonly brokerId?: string | undefined;
  readonly brokerCounter?: number | undefined;
  messageId?: number | undefined;
}

interface Entry {
  /** Its place in the queue and the end of its record key: 13 hex digits of a clock-based
   * sequence, then the writing process's tag (see `#nextId`). Compared as strings. */
  readonly id: string;
  packet: OutPacket;
}

/** Hex digits of the clock-based sequence in an id: 2^52, enough until the year 2112. */
const SEQ_DIGITS = 13;

// aedes-persistence's own copy constructor: drops the packet id, keeps broker id and counter.
const { Packet } = memoryPersistence as unknown as { Packet: new (p: object) => OutPacket };

/** The packet's data without the callbacks aedes hangs on it. */
export function dataOf(packet: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(packet).filter(([, v]) => typeof v !== 'function'));
}

export class OutgoingQueues {
  readonly #queues = new Map<string, Entry[]>();
  #lastSeq = 0;
  readonly #tag = randomBytes(2).toString('hex');
  #records: SessionRecords | undefined;

  /** Writes every later change through to `records`. */
  attach(records: SessionRecords): void {
    this.#records = records;
  }

  /** Adds stored entries (`out` records) to the queues, each in its place by id. */
  load(stored: readonly { key: string; value: unknown }[]): void {
    for (const { key, value } of stored) {
      const clientId = clientIdOf(key);
      const id = key.slice(clientId.length + 1);
      const queue = this.#queue(clientId);
      if (queue.some((e) => e.id === id)) continue;
      const at = queue.findIndex((e) => e.id > id);
      queue.splice(at < 0 ? queue.length : at, 0, { id, packet: value as OutPacket });
      this.#lastSeq = Math.max(this.#lastSeq, Number.parseInt(id.slice(0, SEQ_DIGITS), 16));
    }
  }

  /** The ids of a client's queue now. */
  ids(clientId: string): ReadonlySet<string> {
    return new Set((this.#queues.get(clientId) ?? []).map((e) => e.id));
  }

  /** Makes a client's queue what the store listed (`stored`), for the entries it had when the
   * listing began (`before`): those the store no longer has go, the others take the stored
   * packet (another node may have moved it on to PUBREL). Entries added since stay. */
  reconcile(
    clientId: string,
    stored: readonly { key: string; value: unknown }[],
    before: ReadonlySet<string>,
  ): void {
    const byId = new Map(stored.map((r) => [r.key.slice(clientId.length + 1), r.value]));
    const queue = this.#queue(clientId);
    for (let i = queue.length - 1; i >= 0; i--) {
      const entry = queue[i] as Entry;
      if (!before.has(entry.id)) continue;
      const value = byId.get(entry.id);
      if (value === undefined) queue.splice(i, 1);
      else entry.packet = value as OutPacket;
    }
    this.load(stored);
  }

  /** Drops a client's queue from memory; its records stay (another node holds it now). */
  forget(clientId: string): void {
    this.#queues.delete(clientId);
  }

  async enqueue(sub: { clientId: string }, packet: object): Promise<void> {
    await this.#append(sub.clientId, packet);
  }

  async enqueueCombi(subs: readonly { clientId: string }[], packet: object): Promise<void> {
    await Promise.all(subs.map((s) => this.#append(s.clientId, packet)));
  }

  /**
   * Records the packet id a packet goes out with, or puts a PUBREL in place of its PUBLISH.
   * Only a QoS 2 PUBLISH waits for the commit before it is sent: resent after a crash under a
   * new id it would be a second message to the client. A QoS 1 one resent so is a duplicate,
   * which QoS 1 allows; a lost PUBREL record means the PUBLISH is resent with DUP, which the
   * client answers with PUBREC again [MQTT-4.3.3-2 on its side].
   */
  async update(client: { id: string }, packet: OutPacket): Promise<void> {
    for (const entry of this.#queues.get(client.id) ?? []) {
      const queued = entry.packet;
      if (queued.brokerId === packet.brokerId) {
        // Packet ids wrap at 65535: within one broker id only the counter identifies it.
        if (queued.brokerCounter !== packet.brokerCounter) continue;
        queued.messageId = packet.messageId;
      } else if (queued.messageId === packet.messageId) {
        entry.packet = packet;
      } else continue;
      const written = this.#write(client.id, entry);
      if (entry.packet.cmd === 'publish' && entry.packet.qos === 2) await written;
      else background(written);
      return;
    }
    throw new Error('no such packet');
  }

  /** The client acknowledged `packet.messageId` (PUBACK, PUBCOMP): the packet leaves. Not
   * waiting for the commit: aedes reads a client's next packet only after this resolves, and
   * a removal lost in a crash only resends the packet (with DUP). */
  async clear(client: { id: string }, packet: OutPacket): Promise<OutPacket | undefined> {
    const queue = this.#queues.get(client.id);
    const i = queue?.findIndex((e) => e.packet.messageId === packet.messageId) ?? -1;
    const entry = i < 0 ? undefined : queue?.splice(i, 1)[0];
    if (!queue || !entry) return undefined;
    if (queue.length === 0) this.#queues.delete(client.id);
    if (this.#records) background(this.#records.delete('out', `${client.id}\u0000${entry.id}`));
    return entry.packet;
  }

  /** A snapshot, so packets cleared while it is read do not shift it. */
  stream(client: { id: string }): Readable {
    return Readable.from((this.#queues.get(client.id) ?? []).map((e) => e.packet));
  }

  /** Sequence numbers grow with the clock (microsecond-sized steps), so the entries two nodes
   * add for one session while it passes between them interleave in time order; the process tag
   * after them keeps two nodes' entries of the same instant apart (same key, one record lost). */
  #nextId(): string {
    this.#lastSeq = Math.max(this.#lastSeq + 1, Date.now() * 1000);
    return `${this.#lastSeq.toString(16).padStart(SEQ_DIGITS, '0')}${this.#tag}`;
  }

  #append(clientId: string, packet: object): Promise<void> {
    const entry: Entry = { id: this.#nextId(), packet: new Packet(packet) };
    this.#queue(clientId).push(entry);
    return this.#write(clientId, entry);
  }

  async #write(clientId: string, entry: Entry): Promise<void> {
    await this.#records?.put('out', `${clientId}\u0000${entry.id}`, dataOf(entry.packet));
  }

  #queue(clientId: string): Entry[] {
    let queue = this.#queues.get(clientId);
    if (!queue) this.#queues.set(clientId, (queue = []));
    return queue;
  }
}

/** A write nobody waits for. Its failure is not lost: the store is then failing, and so are
 * the writes publishers wait for (their acknowledgements are refused). */
function background(write: Promise<void>): void {
  write.catch(() => undefined);
}
