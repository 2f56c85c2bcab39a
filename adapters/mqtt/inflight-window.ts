/**
 * Per-client window of unacknowledged QoS 1/2 deliveries (Mosquitto `max_inflight_messages`,
 * default 20; MQTT 3.1.1 has no Receive Maximum, so the server picks). Deliveries beyond the
 * window wait in a bounded per-client queue (`maxQueuedMessages`, like Mosquitto's `max_queued_messages`);
 * beyond that they are dropped from the live connection, as Mosquitto does. A session that
 * outlives the connection still has them in its stored queue and gets them on reconnect.
 */
import type { ClientInternals } from './aedes-internals.js';

interface WindowState {
  inflight: number;
  readonly waiting: (() => void)[];
}

export class InflightWindow {
  readonly #limit: number;
  readonly #queueLimit: number;
  readonly #states = new WeakMap<ClientInternals, WindowState>();

  constructor(limit: number, queueLimit: number) {
    this.#limit = limit;
    this.#queueLimit = queueLimit;
  }

  /** Runs `send` now when the client has room, later otherwise; false when dropped. */
  submit(client: ClientInternals, send: () => void): boolean {
    let state = this.#states.get(client);
    if (!state) this.#states.set(client, (state = { inflight: 0, waiting: [] }));
    if (state.inflight < this.#limit) {
      state.inflight++;
      send();
      return true;
    }
    if (state.waiting.length >= this.#queueLimit) return false;
    state.waiting.push(send);
    return true;
  }

  /** The client acknowledged a delivery (PUBACK or PUBCOMP). */
  acked(client: ClientInternals): void {
    const state = this.#states.get(client);
    if (!state) return;
    const next = state.waiting.shift();
    if (next) next();
    // aedes's own sends (retained, stored-session replay) are acked too but never counted.
    else state.inflight = Math.max(0, state.inflight - 1);
  }
}
