/**
 * The parts of aedes 1.2 (and its mqtt-packet parser) that are not in its typings but that the
 * adapter relies on. Kept in one place so an aedes upgrade has one file to check.
 * - `subscriptions`: the client's granted filters and QoS, keyed by filter; the listener
 *   function identifies a subscription in the `mq` calls.
 * - `_nextId`, `errored`, `connackSent`, `waitForDrain`: what aedes's write path uses; we write deliveries
 *   ourselves because aedes's `deliverQoS` downgrades to the QoS of a subscription equal to the
 *   topic even when a wildcard one granted more, and its QoS 0 path encodes per client.
 * - `deliverQoS`: aedes's path for retained messages on SUBSCRIBE, wrapped to cap their QoS at
 *   the granted one.
 * - `_parser`: the client's mqtt-packet parser, which we guard for packet size and filters.
 * - `pause` / `resume`, `_parsingBatch`: aedes reads on 'readable' (so pausing the stream does
 *   not stop it) and counts packets in progress before it reads again; see `readingControl`.
 * - `_keepaliveTimer`: refreshed by aedes on every packet read [MQTT-3.1.2-24].
 */
import type { Client } from 'aedes';
import type { Pausable } from '../../src/spi.js';

/** A publish packet as aedes's delivery functions take it. */
export interface DeliverablePacket {
  readonly cmd: 'publish';
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly dup: boolean;
  readonly brokerId: string;
  readonly brokerCounter: number;
  readonly messageId?: number;
}

export interface MqttParserInternals {
  packet: { length: number; cmd?: string; subscriptions?: { topic: string; qos: number }[] };
  prependListener(event: 'packet', fn: (packet: Record<string, unknown>) => void): unknown;
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

export interface ClientInternals extends Client {
  readonly subscriptions: Readonly<
    Record<string, { readonly qos: number; readonly func: unknown } | undefined>
  >;
  readonly errored: boolean;
  readonly connackSent: boolean;
  deliverQoS: (packet: DeliverablePacket, cb: () => void) => void;
  _nextId: number;
  waitForDrain(cb: (err?: Error | null) => void): void;
  pause(): void;
  resume(): void;
  _parsingBatch: number;
  readonly _keepaliveTimer: NodeJS.Timeout | null;
  readonly _parser: MqttParserInternals;
}

export function internals(client: Client): ClientInternals {
  return client as ClientInternals;
}

/** Well under the shortest keep-alive grace (1.5 s for keep-alive 1). */
const KEEPALIVE_HOLD_MS = 500;

/** Stops and restarts reading a client's packets (the publish gate's backpressure). While
 * paused, aedes skips the end-of-packet callbacks that count down `_parsingBatch`, so resume
 * restarts the count at one: the next read happens at once, and late callbacks only clamp
 * the count at zero. The keep-alive timer is held meanwhile: the silence is ours (RabbitMQ
 * pauses the keep-alive monitor of a connection it stops reading). */
export function readingControl(client: ClientInternals): Pausable {
  let keepalive: NodeJS.Timeout | undefined;
  return {
    pause: () => {
      client.pause();
      keepalive = setInterval(() => client._keepaliveTimer?.refresh(), KEEPALIVE_HOLD_MS);
    },
    resume: () => {
      clearInterval(keepalive);
      client._keepaliveTimer?.refresh();
      client._parsingBatch = 1;
      client.resume();
    },
  };
}
