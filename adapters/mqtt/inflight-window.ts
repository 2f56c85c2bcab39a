/**
 * Per-client window of unacknowledged QoS 1/2 deliveries (Mosquitto `max_inflight_messages`,
 * default 20; MQTT 3.1.1 has no Receive Maximum, so the server picks). Deliveries beyond the
 * window wait in a bounded per-client queue (`maxQueuedMessages`, like Mosquitto's `max_queued_messages`);
 * beyond that they are dropped from the live connection, as Mosquitto does. A session that
 * outlives the connection still has them in its stored queue and gets them on reconnect.
 */
interface WindowState {
  inflight: number;
  /** FIFO with a moving head: Array#shift is O(n) on long arrays. */
  readonly waiting: ((() => void) | undefined)[];
  head: number;
}

/** Compact the waiting list once this many slots before its head are spent. */
const COMPACT_AFTER = 1024;

/** Keyed by client (any object, held weakly). */
export class InflightWindow<K extends object> {
  readonly #limit: number;
  readonly #queueLimit: number;
  readonly #states = new WeakMap<K, WindowState>();

  constructor(limit: number, queueLimit: number) {
    this.#limit = limit;
    this.#queueLimit = queueLimit;
  }

  /** Runs `send` now when the client has room, later otherwise; false when dropped. */
  submit(client: K, send: () => void): boolean {
    let state = this.#states.get(client);
    if (!state) this.#states.set(client, (state = { inflight: 0, waiting: [], head: 0 }));
    if (state.inflight < this.#limit) {
      state.inflight++;
      send();
      return true;
    }
    if (state.waiting.length - state.head >= this.#queueLimit) return false;
    state.waiting.push(send);
    return true;
  }

  /** The client acknowledged a delivery (PUBACK or PUBCOMP). */
  acked(client: K): void {
    const state = this.#states.get(client);
    if (!state) return;
    const next = state.waiting[state.head];
    if (!next) {
      state.inflight = Math.max(0, state.inflight - 1);
      state.waiting.length = 0;
      state.head = 0;
      return;
    }
    state.waiting[state.head++] = undefined;
    if (state.head >= COMPACT_AFTER && state.head * 2 >= state.waiting.length) {
      state.waiting.splice(0, state.head);
      state.head = 0;
    }
    next();
  }
}
