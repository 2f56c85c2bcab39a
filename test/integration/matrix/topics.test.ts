/**
 * The matrix, topics: for every publisher x subscriber pair, the topic / routing key /
 * destination as the receiver's protocol writes it, including an MQTT level holding `.`, an
 * AMQP word holding `/`, and wildcard subscriptions (`+`/`#`, `*`/`#`). Rows of
 * `docs/mapping.md`, "Topics, destinations and addresses".
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gateway.js';
import {
  Clients,
  PAIRS,
  publisher,
  startMatrixGateway,
  subscribe,
  type Proto,
  type Publisher,
  type Topic,
} from './helpers.js';

let gw: TestGateway;

beforeAll(async () => {
  gw = await startMatrixGateway();
});

afterAll(async () => {
  await gw.stop();
});

/** The three spellings a receiver may use, written out literally. */
interface Spelled {
  readonly mqtt: string;
  readonly amqp: string;
  readonly stomp: string;
}
function spelled(proto: Proto, s: Spelled): string {
  if (proto === 'mqtt') return s.mqtt;
  if (proto === 'amqp091' || proto === 'amqp10') return s.amqp;
  return s.stomp;
}
const topicOf = (s: Spelled): Topic => ({ mqtt: s.mqtt, amqp: s.amqp });

describe.each(PAIRS)('topics %s -> %s', (pubProto, subProto) => {
  const clients = new Clients();
  const perTest = new Clients();
  const p = pubProto;
  const s = subProto;
  let pub: Publisher;

  beforeAll(async () => {
    pub = await publisher(clients, gw, pubProto);
  });
  afterEach(async () => {
    await perTest.closeAll();
  });
  afterAll(async () => {
    await clients.closeAll();
  });

  it('a `.` inside an MQTT level survives (escaped %2E in the AMQP word)', async () => {
    const t: Spelled = {
      mqtt: `dots/${p}/${s}/v1.2`,
      amqp: `dots.${p}.${s}.v1%2E2`,
      stomp: `/topic/dots.${p}.${s}.v1%252E2`,
    };
    const sub = await subscribe(perTest, gw, subProto, topicOf(t));
    await pub.publish(topicOf(t), [Buffer.from('dotted')]);
    const [g] = await sub.got.until(1, 'the message');
    expect(g?.topic).toBe(spelled(subProto, t));
    expect(g?.body.toString()).toBe('dotted');
  });

  it('a `/` inside an AMQP word survives (escaped %2F in the MQTT level)', async () => {
    const t: Spelled = {
      mqtt: `slash/${p}/${s}/a%2Fb`,
      amqp: `slash.${p}.${s}.a/b`,
      stomp: `/topic/slash.${p}.${s}.a%2Fb`,
    };
    const sub = await subscribe(perTest, gw, subProto, topicOf(t));
    await pub.publish(topicOf(t), [Buffer.from('slashed')]);
    const [g] = await sub.got.until(1, 'the message');
    expect(g?.topic).toBe(spelled(subProto, t));
    expect(g?.body.toString()).toBe('slashed');
  });

  it('wildcards on the subscribing side: `+`/`#` = `*`/`#`, one level per MQTT level', async () => {
    const w = `wild.${p}.${s}`;
    const m = `wild/${p}/${s}`;
    const sub = await subscribe(perTest, gw, subProto, { mqtt: `${m}/+/x/#`, amqp: `${w}.*.x.#` });
    const sent: readonly (readonly [Spelled, boolean])[] = [
      [{ mqtt: `${m}/a/y`, amqp: `${w}.a.y`, stomp: `/topic/${w}.a.y` }, false],
      [{ mqtt: `${m}/a/x`, amqp: `${w}.a.x`, stomp: `/topic/${w}.a.x` }, true],
      // RabbitMQ would split `v1.2` into two words and `*.x` would not match.
      [
        {
          mqtt: `${m}/v1.2/x/deep/er`,
          amqp: `${w}.v1%2E2.x.deep.er`,
          stomp: `/topic/${w}.v1%252E2.x.deep.er`,
        },
        true,
      ],
      [{ mqtt: `${m}/x`, amqp: `${w}.x`, stomp: `/topic/${w}.x` }, false],
      [{ mqtt: `${m}/b/x/end`, amqp: `${w}.b.x.end`, stomp: `/topic/${w}.b.x.end` }, true],
    ];
    for (const [t] of sent) {
      await pub.publish(topicOf(t), [Buffer.from(t.amqp)], { unroutable: true });
    }
    const expected = sent.filter(([, match]) => match).map(([t]) => spelled(subProto, t));
    // In order from one publisher: a wrongly routed message would arrive before the last one.
    const got = await sub.got.until(expected.length, 'the matching messages');
    expect(got.map((g) => g.topic)).toEqual(expected);
  });
});

describe('topics that cannot cross', () => {
  const clients = new Clients();
  afterAll(async () => {
    await clients.closeAll();
  });

  it('an AMQP routing key holding `#` or `+` is not delivered to MQTT (no such topic name)', async () => {
    const mqttSub = await subscribe(clients, gw, 'mqtt', { mqtt: 'edge/#', amqp: 'edge.#' });
    const stompSub = await subscribe(clients, gw, 'stomp-tcp', { mqtt: 'edge/#', amqp: 'edge.#' });
    const pub = await publisher(clients, gw, 'amqp091');
    for (const key of ['edge.a+b', 'edge.#', 'edge.ok']) {
      await pub.publish({ mqtt: '', amqp: key }, [Buffer.from(key)]);
    }
    const onStomp = await stompSub.got.until(3, 'STOMP messages');
    expect(onStomp.map((g) => g.topic)).toEqual([
      '/topic/edge.a+b',
      '/topic/edge.#',
      '/topic/edge.ok',
    ]);
    const onMqtt = await mqttSub.got.until(1, 'the MQTT message');
    expect(onMqtt.map((g) => g.topic)).toEqual(['edge/ok']);
  });

  it('an empty MQTT level is an empty AMQP word (`/lead` <-> `.lead`)', async () => {
    const amqpSub = await subscribe(clients, gw, 'amqp091', { mqtt: '+/lead', amqp: '*.lead' });
    const mqttSub = await subscribe(clients, gw, 'mqtt', { mqtt: '+/lead', amqp: '*.lead' });
    const pub = await publisher(clients, gw, 'mqtt');
    await pub.publish({ mqtt: '/lead', amqp: '.lead' }, [Buffer.from('e')]);
    const [a] = await amqpSub.got.until(1, 'the AMQP message');
    expect(a?.topic).toBe('.lead');
    const [m] = await mqttSub.got.until(1, 'the MQTT message');
    expect(m?.topic).toBe('/lead');
  });
});

describe('escapes in both directions', () => {
  const clients = new Clients();
  afterAll(async () => {
    await clients.closeAll();
  });

  // `%` -> `%25` and `*` -> `%2A` in the AMQP word (a literal `*` would be a wildcard in a
  // binding); non-ASCII passes as UTF-8, and STOMP percent-encodes `%` and non-ASCII bytes.
  const t: Spelled = {
    mqtt: 'esc/100%/a*b/café',
    amqp: 'esc.100%25.a%2Ab.café',
    stomp: '/topic/esc.100%2525.a%252Ab.caf%C3%A9',
  };

  it.each(['mqtt', 'amqp091', 'amqp10', 'stomp-tcp', 'stomp-ws'] as const)(
    '`%`, `*` and non-ASCII in an MQTT level, from MQTT and from STOMP, to %s',
    async (subProto) => {
      const sub = await subscribe(clients, gw, subProto, { mqtt: 'esc/#', amqp: 'esc.#' });
      const fromMqtt = await publisher(clients, gw, 'mqtt');
      const fromStomp = await publisher(clients, gw, 'stomp-ws');
      await fromMqtt.publish(topicOf(t), [Buffer.from('from mqtt')]);
      await fromStomp.publish(topicOf(t), [Buffer.from('from stomp')]);
      const got = await sub.got.until(2, 'both messages');
      expect(got.map((g) => [g.topic, g.body.toString()])).toEqual([
        [spelled(subProto, t), 'from mqtt'],
        [spelled(subProto, t), 'from stomp'],
      ]);
      await sub.stop();
    },
  );
});
