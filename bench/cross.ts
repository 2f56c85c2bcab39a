/**
 * Cross-protocol benchmark (issue 10): one publisher in one protocol, one subscriber in
 * another, real client libraries, 100-byte messages, each at full rate and again at half of
 * it (latency at a fixed offered load). RabbitMQ serves the same flows (its MQTT, STOMP,
 * Web STOMP and AMQP 1.0 plugins on amq.topic) when anchors are on.
 *   MQTT QoS 0 (mqtt.js) -> STOMP over WebSocket (@stomp/stompjs + ws)
 *   AMQP 0-9-1 (amqplib, amq.topic) -> MQTT QoS 1 subscriber (mqtt.js)
 *   STOMP over WebSocket (@stomp/stompjs, /topic) -> AMQP 1.0 receiver (rhea, queue bound to
 *     amq.topic)
 */
import { runScenarios, scaled, type BenchContext, type FlowScenario } from './lib-driver.js';
import type { BenchRow } from './lib-measure.js';

/** Seconds of each half-rate run. */
const HALF_RATE_SECONDS = 5;

function scenarios(ctx: BenchContext): FlowScenario[] {
  const one = (messages: number) => ({
    publishers: 1,
    messages: scaled(ctx, messages),
    rate: 0,
    expected: scaled(ctx, messages),
  });
  return [
    {
      name: 'MQTT QoS 0 -> STOMP/WS',
      anchors: ['rabbitmq'],
      halfRate: HALF_RATE_SECONDS,
      flow: {
        ...one(100_000),
        pub: { protocol: 'mqtt', topic: 'bench/cross/a', qos: 0 },
        sub: {
          protocol: 'stomp',
          transport: 'ws',
          client: 'stompjs',
          destination: '/topic/bench.cross.a',
          connections: 1,
        },
      },
    },
    {
      name: 'AMQP 0-9-1 -> MQTT QoS 1',
      anchors: ['rabbitmq'],
      halfRate: HALF_RATE_SECONDS,
      flow: {
        ...one(50_000),
        pub: {
          protocol: 'amqp091',
          exchange: 'amq.topic',
          routingKey: 'bench.cross.b',
          confirms: false,
        },
        sub: { protocol: 'mqtt', topic: 'bench/cross/b', qos: 1, connections: 1 },
      },
    },
    {
      name: 'STOMP/WS -> AMQP 1.0',
      anchors: ['rabbitmq'],
      halfRate: HALF_RATE_SECONDS,
      flow: {
        ...one(50_000),
        pub: {
          protocol: 'stomp',
          transport: 'ws',
          client: 'stompjs',
          destination: '/topic/bench.cross.c',
        },
        sub: {
          protocol: 'amqp10',
          queue: 'bench-cross-c',
          bind: { exchange: 'amq.topic', key: 'bench.cross.c' },
          credit: 100,
          presettled: false,
        },
      },
    },
  ];
}

export function run(ctx: BenchContext): Promise<BenchRow[]> {
  return runScenarios('cross', scenarios(ctx), ctx);
}
