/**
 * AMQP 0-9-1 benchmark (issue 5): amqplib consumers and publishers in two client processes,
 * the broker in a third, 100-byte messages; RabbitMQ runs the same flows when anchors are on.
 *   a: 1 publisher -> 1 queue -> 1 consumer, no confirms, autoack
 *   b: the same with publisher confirms and manual acks, prefetch 100
 *   c: 10 publishers -> topic exchange -> 10 queues -> 10 consumers (one channel)
 *   d: latency at 2,000 msg/s (1 queue, autoack)
 */
import { pick, runScenarios, scaled, type BenchContext, type FlowScenario } from './lib-driver.js';
import type { SubSide } from './lib-flow.js';
import type { BenchRow } from './lib-measure.js';

function scenario(
  ctx: BenchContext,
  id: string,
  name: string,
  o: { publishers: number; messages: number; confirms: boolean; prefetch: number; rate: number },
): FlowScenario {
  const messages = scaled(ctx, o.messages);
  const topic = o.publishers > 1;
  const queues: Extract<SubSide, { protocol: 'amqp091' }>['queues'] = Array.from(
    { length: o.publishers },
    (_, i) => ({
      name: `bench-${id}-${String(i)}`,
      ...(topic ? { bind: { exchange: 'amq.topic', key: `bench.${String(i)}.#` } } : {}),
    }),
  );
  return {
    name: `${id}: ${name}`,
    anchors: ['rabbitmq'],
    flow: {
      publishers: o.publishers,
      messages,
      rate: o.rate,
      expected: messages * o.publishers,
      sub: { protocol: 'amqp091', queues, prefetch: o.prefetch },
      pub: {
        protocol: 'amqp091',
        exchange: topic ? 'amq.topic' : '',
        routingKey: topic ? 'bench.{i}.x' : `bench-${id}-{i}`,
        confirms: o.confirms,
      },
    },
  };
}

export function scenarios(ctx: BenchContext): FlowScenario[] {
  const plain = { publishers: 1, confirms: false, prefetch: 0, rate: 0 };
  return [
    scenario(ctx, 'a', '1 queue, autoack', { ...plain, messages: 200_000 }),
    scenario(ctx, 'b', 'confirms + ack, prefetch 100', {
      ...plain,
      messages: 100_000,
      confirms: true,
      prefetch: 100,
    }),
    scenario(ctx, 'c', '10 pub -> topic -> 10 queues', {
      ...plain,
      publishers: 10,
      messages: 20_000,
    }),
    scenario(ctx, 'd', 'latency at 2,000 msg/s', { ...plain, messages: 10_000, rate: 2000 }),
  ];
}

/** BENCH_AMQP091_SCENARIOS=ab runs only those. */
export function run(ctx: BenchContext): Promise<BenchRow[]> {
  return runScenarios('amqp091', pick(scenarios(ctx), 'BENCH_AMQP091_SCENARIOS'), ctx);
}
