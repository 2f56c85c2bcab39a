/**
 * STOMP over WebSocket benchmark (issue 7): clients in client processes, the broker in its
 * own, 100-byte bodies; RabbitMQ (STOMP, Web STOMP and MQTT plugins) runs the same when
 * anchors are on.
 *   a: 1,000 idle STOMP WebSocket connections: broker RSS per connection
 *   b: 1 publisher (STOMP over TCP) -> 1,000 WebSocket subscribers on one /topic
 *   c: 1 publisher -> 10 STOMP-over-TCP subscribers on one /topic (DESIGN.md table row)
 *   d: 1 MQTT QoS 0 publisher -> 1 STOMP-over-WebSocket subscriber (DESIGN.md table row)
 *   e: latency at a fixed 2,000 msg/s, 1 WebSocket subscriber
 * In b-d the publisher sends as fast as its socket takes frames (open loop), so their latency
 * columns show queueing under overload; e shows latency below saturation (its CPU column
 * includes the idle process). Subscribers count raw frames (1,000 sessions in one process).
 * BENCH_STOMP_MESSAGES scales the message counts, BENCH_STOMP_IDLE the idle connections,
 * BENCH_STOMP_SCENARIOS=bc picks fan-outs. Role (this file): `--idle <endpoints> <n>`.
 */
import { fileURLToPath } from 'node:url';
import type { Broker, Endpoints } from './lib-brokers.js';
import { openSessions } from './lib-client-stomp.js';
import {
  anchorsFor,
  pick,
  runScenarios,
  scaled,
  withBrokers,
  type BenchContext,
  type FlowScenario,
} from './lib-driver.js';
import type { PubSide } from './lib-flow.js';
import { fmt, printRows, type BenchRow } from './lib-measure.js';
import { lines, spawnRole, stopProcess } from './lib-proc.js';

const SCALE = Number(process.env['BENCH_STOMP_MESSAGES'] ?? 1);
const IDLE = Number(process.env['BENCH_STOMP_IDLE'] ?? 1000);
const TOPIC = '/topic/bench.fanout';

function fanout(
  ctx: BenchContext,
  name: string,
  o: {
    transport: 'ws' | 'tcp';
    mqtt?: boolean;
    subscribers: number;
    messages: number;
    rate: number;
  },
): FlowScenario {
  const messages = scaled(ctx, o.messages * SCALE, 50);
  const pub: PubSide = o.mqtt
    ? { protocol: 'mqtt', topic: 'bench/fanout', qos: 0 }
    : { protocol: 'stomp', transport: 'tcp', client: 'raw', destination: TOPIC };
  return {
    name,
    anchors: ['rabbitmq'],
    flow: {
      publishers: 1,
      messages,
      rate: o.rate,
      expected: messages * o.subscribers,
      pub,
      sub: {
        protocol: 'stomp',
        transport: o.transport,
        client: 'raw',
        destination: TOPIC,
        connections: o.subscribers,
      },
    },
  };
}

export function scenarios(ctx: BenchContext): FlowScenario[] {
  const open = { rate: 0 };
  return [
    fanout(ctx, 'b: 1 pub -> 1000 ws subs, /topic', {
      ...open,
      transport: 'ws',
      subscribers: 1000,
      messages: 500,
    }),
    fanout(ctx, 'c: 1 pub -> 10 tcp subs, /topic', {
      ...open,
      transport: 'tcp',
      subscribers: 10,
      messages: 30_000,
    }),
    fanout(ctx, 'd: 1 mqtt qos0 pub -> 1 ws sub, /topic', {
      ...open,
      transport: 'ws',
      mqtt: true,
      subscribers: 1,
      messages: 200_000,
    }),
    fanout(ctx, 'e: latency at 2,000 msg/s, 1 ws sub', {
      transport: 'ws',
      subscribers: 1,
      messages: 10_000,
      rate: 2000,
    }),
  ];
}

/** Broker RSS (and, for Node brokers, heap + external) growth per idle WebSocket session. */
async function idleCost(broker: Broker, n: number): Promise<BenchRow> {
  const before = await broker.stats();
  const holders = spawnRole(fileURLToPath(import.meta.url), [
    '--idle',
    JSON.stringify(broker.endpoints),
    String(n),
  ]);
  try {
    await lines(holders)();
    const after = await broker.stats();
    const perConn = (a: number, b: number): string => `${((a - b) / n / 1024).toFixed(1)} KiB/conn`;
    // RSS also keeps what the allocator holds after the logins' scrypt work; the JS heap
    // and external buffers are what the connections themselves use.
    const heap =
      after.heap !== undefined && before.heap !== undefined
        ? `; heap+external ${perConn(after.heap, before.heap)}`
        : '';
    return {
      group: 'stomp-ws',
      scenario: `a: ${fmt(n)} idle ws connections`,
      broker: broker.kind,
      rate: 0,
      rssMiB: after.rss / 2 ** 20,
      note: `RSS ${perConn(after.rss, before.rss)}${heap}`,
    };
  } finally {
    await stopProcess(holders);
  }
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const n = scaled(ctx, IDLE);
  const idle = await withBrokers(anchorsFor(ctx, ['rabbitmq']), undefined, async (brokers) => {
    const rows: BenchRow[] = [];
    for (const b of brokers.values()) if (!('hint' in b)) rows.push(await idleCost(b, n));
    return rows;
  });
  printRows(idle);
  return [
    ...idle,
    ...(await runScenarios('stomp-ws', pick(scenarios(ctx), 'BENCH_STOMP_SCENARIOS'), ctx)),
  ];
}

const [role, endpoints, count] = process.argv.slice(2);
if (role === '--idle') {
  // the sessions stay open until the parent has measured and ends this process
  await openSessions(JSON.parse(endpoints ?? '{}') as Endpoints, 'ws', Number(count));
  process.stdout.write('ready\n');
}
