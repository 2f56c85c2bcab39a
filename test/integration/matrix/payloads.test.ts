/**
 * The matrix, payloads: every publisher protocol x every subscriber protocol (25 pairs) through
 * one gateway; each payload must arrive byte for byte, on the topic the receiver's protocol
 * writes (`docs/mapping.md`, "Payload").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gateway.js';
import {
  Clients,
  PAIRS,
  plain,
  publisher,
  startMatrixGateway,
  subscribe,
  writtenAs,
  type Publisher,
  type Subscriber,
} from './helpers.js';

const MIB = 1024 * 1024;

/** Deterministic bytes covering every octet value (not valid UTF-8). */
function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const PAYLOADS: readonly (readonly [string, Buffer])[] = [
  ['text (UTF-8)', Buffer.from('héllo, wörld ✓ {"a":1}\n', 'utf8')],
  ['binary with NUL bytes', Buffer.from([0x00, 0x01, 0x00, 0xff, 0xfe, 0x00, 0x0a, 0x0d, 0x00])],
  ['empty', Buffer.alloc(0)],
  ['1 MiB binary', pattern(MIB)],
];

let gw: TestGateway;

beforeAll(async () => {
  // MQTT's default maxPacketSize is exactly 1 MiB, which a 1 MiB payload plus its topic
  // exceeds; the protocol allows 256 MB, so the limit is raised for this file.
  gw = await startMatrixGateway({ protocols: { mqtt: { maxPacketSize: 2 * MIB } } });
});

afterAll(async () => {
  await gw.stop();
});

describe.each(PAIRS)('payload %s -> %s', (pubProto, subProto) => {
  const clients = new Clients();
  const topic = plain(`payload.${pubProto}.${subProto}`);
  let pub: Publisher;
  let sub: Subscriber;

  beforeAll(async () => {
    sub = await subscribe(clients, gw, subProto, topic);
    pub = await publisher(clients, gw, pubProto);
  });

  afterAll(async () => {
    await clients.closeAll();
  });

  it.each(PAYLOADS)('%s arrives byte for byte', async (_name, body) => {
    const before = sub.got.items.length;
    await pub.publish(topic, [body]);
    const got = (await sub.got.until(before + 1, 'the message')).slice(before);
    expect(got).toHaveLength(1);
    const [g] = got;
    expect(g?.body.length).toBe(body.length);
    expect(g?.body.equals(body)).toBe(true);
    expect(g?.topic).toBe(writtenAs(subProto, topic));
  });
});
