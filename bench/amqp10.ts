/**
 * AMQP 1.0 benchmark (issue 6): a rhea sender and a rhea receiver in two client processes, the
 * broker in a third, 100-byte messages in one data section; RabbitMQ (its AMQP 1.0 plugin)
 * runs the same flows when anchors are on. `npm run bench -- amqp10 amqp091` puts the AMQP
 * 0-9-1 figures of the same run next to these.
 *   a: 1 sender -> 1 queue -> 1 receiver, unsettled (accepted outcomes both ways), credit 100
 *   b: the same, pre-settled on both links (at most once)
 *   c: latency at 2,000 msg/s, unsettled
 */
import { pick, runScenarios, scaled, type BenchContext, type FlowScenario } from './lib-driver.js';
import type { BenchRow } from './lib-measure.js';

function scenario(
  ctx: BenchContext,
  id: string,
  name: string,
  o: { messages: number; presettled: boolean; credit: number; rate: number },
): FlowScenario {
  const messages = scaled(ctx, o.messages);
  const queue = `bench-amqp10-${id}`;
  return {
    name: `${id}: ${name}`,
    anchors: ['rabbitmq'],
    flow: {
      publishers: 1,
      messages,
      rate: o.rate,
      expected: messages,
      sub: { protocol: 'amqp10', queue, credit: o.credit, presettled: o.presettled },
      pub: { protocol: 'amqp10', queue, presettled: o.presettled },
    },
  };
}

export function scenarios(ctx: BenchContext): FlowScenario[] {
  const unsettled = { presettled: false, credit: 100, rate: 0 };
  return [
    scenario(ctx, 'a', '1 queue, unsettled, credit 100', { ...unsettled, messages: 100_000 }),
    scenario(ctx, 'b', '1 queue, pre-settled', {
      messages: 200_000,
      presettled: true,
      credit: 1000,
      rate: 0,
    }),
    scenario(ctx, 'c', 'latency at 2,000 msg/s', { ...unsettled, messages: 10_000, rate: 2000 }),
  ];
}

/** BENCH_AMQP10_SCENARIOS=ab runs only those. */
export function run(ctx: BenchContext): Promise<BenchRow[]> {
  return runScenarios('amqp10', pick(scenarios(ctx), 'BENCH_AMQP10_SCENARIOS'), ctx);
}
