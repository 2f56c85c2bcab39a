/**
 * The parts of aedes 1.2 (and its mqtt-packet parser) that are not in its typings but that the
 * adapter relies on. Kept in one place so an aedes upgrade has one file to check.
 * - `subscriptions`, `duplicates`, `deliver0`: how aedes's own subscription listeners deliver
 *   to a client; we call them from our core-backed dispatch.
 * - `_nextId`, `errored`, `waitForDrain`: what aedes's QoS 1/2 write path uses; we write QoS
 *   1/2 deliveries ourselves because aedes's `deliverQoS` downgrades to the QoS of a
 *   subscription equal to the topic even when a wildcard one granted more.
 * - `_parser`: the client's mqtt-packet parser, which we guard for packet size and filters.
 */
import type { Client } from 'aedes';

export type DeliverFn = (packet: DeliverablePacket, cb: () => void) => void;

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
  readonly duplicates: Record<string, number>;
  readonly deliver0: DeliverFn;
  readonly errored: boolean;
  _nextId: number;
  waitForDrain(cb: (err?: Error | null) => void): void;
  readonly _parser: MqttParserInternals;
}

export function internals(client: Client): ClientInternals {
  return client as ClientInternals;
}
