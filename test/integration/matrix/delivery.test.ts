/**
 * The matrix, delivery: for every publisher x subscriber pair, with acknowledgements on both
 * sides (PUBACK / confirm / `accepted` / RECEIPT; MQTT QoS 1 / basic.ack / `accepted` /
 * client-individual ACK), two publishers burst at once and the subscriber gets every message
 * exactly once, in order per publisher. 10,000 per publisher for representative pairs, a
 * smaller burst elsewhere (the whole matrix stays within a minute on 2 shared cores).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gateway.js';
import {
  budget,
  Clients,
  inOrder,
  numbered,
  PAIRS,
  plain,
  publisher,
  startMatrixGateway,
  subscribe,
  type Proto,
} from './helpers.js';

const BIG = 10_000;
const SMALL = 300;
/** One pair per direction of each protocol family crossing. */
const REPRESENTATIVE = new Set([
  'mqtt>amqp091',
  'amqp091>mqtt',
  'stomp-ws>amqp10',
  'amqp10>stomp-ws',
]);

let gw: TestGateway;
const clients = new Clients();

beforeAll(async () => {
  gw = await startMatrixGateway();
});
afterEach(async () => {
  await clients.closeAll();
});
afterAll(async () => {
  await gw.stop();
});

function burstSize(pub: Proto, sub: Proto): number {
  return REPRESENTATIVE.has(`${pub}>${sub}`) ? BIG : SMALL;
}

describe.each(PAIRS)('delivery %s -> %s', (pubProto, subProto) => {
  const n = burstSize(pubProto, subProto);
  it(`two publishers x ${n} acknowledged messages: all received once, in order per publisher`, async () => {
    const topic = plain(`burst.${pubProto}.${subProto}`);
    const sub = await subscribe(clients, gw, subProto, topic);
    const pubs = [await publisher(clients, gw, pubProto), await publisher(clients, gw, pubProto)];
    await Promise.all(pubs.map((p, i) => p.publish(topic, numbered(`p${i}`, n))));
    const got = await sub.got.until(2 * n, `${2 * n} deliveries`, budget(2 * n));
    expect(inOrder(got, 'p0', n)).toBeUndefined();
    expect(inOrder(got, 'p1', n)).toBeUndefined();
    // Nothing more arrives: the publishers' acks came after routing, so a duplicate would be
    // queued behind the last message already; one more round trip flushes it.
    await pubs[0]?.publish(topic, [Buffer.from('end')]);
    const [end] = (await sub.got.until(2 * n + 1, 'the end marker')).slice(2 * n);
    expect(end?.body.toString()).toBe('end');
    expect(sub.got.items).toHaveLength(2 * n + 1);
  }, 60_000);
});
