/**
 * In-process core benchmark (issue 3): topic routing as bindings grow (cache hit and miss),
 * fanout width, and enqueue -> deliver -> ack through one queue with prefetch 100. In-process
 * by nature (no sockets), so it has no latency, RSS or CPU columns.
 */
import { Broker } from '../src/core/broker.js';
import { coreLimitsSchema } from '../src/config/core-limits.js';
import type { Delivery, Message } from '../src/spi.js';
import type { BenchContext } from './lib-driver.js';
import { fmt, measure, printRows, type BenchRow } from './lib-measure.js';

const body = Buffer.alloc(100, 120);
/** How long each figure is measured; `--quick` shortens it. */
let windowMs = 500;
const msg = (exchange: string, routingKey: string): Message => ({
  exchange,
  routingKey,
  headers: {},
  properties: {},
  body,
  origin: { protocol: 'amqp091', connectionId: 'bench' },
});

function broker(cacheSize = 1024): Broker {
  return new Broker({
    limits: coreLimitsSchema.parse({ topicCacheSize: cacheSize }),
    vhosts: ['/'],
  });
}

/** n queues with bindings `dev.<i>.*.temp` plus a `#.alarm` one; publish to a few hot keys
 * (cache hits) or to always-new keys (cache misses). */
function topicRouting(bindings: number, cacheSize: number, hot: boolean): number {
  const v = broker(cacheSize).vhost('/');
  v.declareQueue({ name: 'sink' });
  for (let i = 0; i < bindings; i++) v.bindQueue('sink', 'amq.topic', `dev.${i}.*.temp`);
  v.bindQueue('sink', 'amq.topic', '#.alarm');
  v.purgeQueue('sink');
  const keys = Array.from({ length: 16 }, (_, i) => `dev.${(i * 7919) % bindings}.room.temp`);
  let k = 0;
  const rate = measure(() => {
    for (let i = 0; i < 1000; i++) {
      const key = hot ? (keys[i & 15] as string) : `dev.${k++ % bindings}.r${k}.temp`;
      v.publish(msg('amq.topic', key));
    }
    v.purgeQueue('sink');
    return 1000;
  }, windowMs);
  return rate.perSecond;
}

function fanout(queues: number): number {
  const v = broker().vhost('/');
  v.declareExchange({ name: 'fan', type: 'fanout' });
  for (let i = 0; i < queues; i++) {
    v.declareQueue({ name: `q${i}` });
    v.bindQueue(`q${i}`, 'fan', '');
  }
  const rate = measure(() => {
    for (let i = 0; i < 100; i++) v.publish(msg('fan', ''));
    for (let i = 0; i < queues; i++) v.purgeQueue(`q${i}`);
    return 100;
  }, windowMs);
  return rate.perSecond;
}

function queueThroughput(): number {
  const v = broker().vhost('/');
  v.declareQueue({ name: 'work' });
  const held: Delivery[] = [];
  v.consume(
    'work',
    {
      deliver(d) {
        held.push(d);
        return true;
      },
      cancelled() {
        /* never in this benchmark */
      },
    },
    { prefetch: 100 },
  );
  const rate = measure(() => {
    for (let i = 0; i < 1000; i++) {
      v.publish(msg('', 'work'));
      // The client acks in batches, as a consumer with prefetch 100 would.
      if (held.length >= 50) for (const d of held.splice(0)) d.ack();
    }
    return 1000;
  }, windowMs);
  return rate.perSecond;
}

/** In-process figures: only msgs/s (routing decisions, enqueues or deliveries per second). */
export function run(ctx: BenchContext): Promise<BenchRow[]> {
  windowMs = ctx.quick ? 100 : 500;
  const rows: BenchRow[] = [];
  const row = (scenario: string, msgsPerSec: number, note?: string): void => {
    rows.push({
      group: 'core',
      scenario,
      broker: 'gateway',
      rate: 0,
      msgsPerSec,
      ...(note ? { note } : {}),
    });
  };
  // BENCH_CORE=routing,fanout,queue picks parts (default: all)
  const parts = process.env['BENCH_CORE']?.split(',') ?? ['routing', 'fanout', 'queue'];
  if (parts.includes('routing')) {
    for (const n of [1, 1_000, 100_000]) {
      row(`topic routing, ${fmt(n)} bindings, cache hit`, topicRouting(n, 1024, true));
      row(`topic routing, ${fmt(n)} bindings, cache miss`, topicRouting(n, 1024, false));
      row(`topic routing, ${fmt(n)} bindings, no cache`, topicRouting(n, 0, true));
    }
  }
  if (parts.includes('fanout')) {
    for (const n of [1, 100, 10_000]) {
      const rate = fanout(n);
      row(`fanout to ${fmt(n)} queues (publishes/s)`, rate, `${fmt(rate * n)} enqueues/s`);
    }
  }
  if (parts.includes('queue')) row('enqueue -> deliver -> ack, prefetch 100', queueThroughput());
  printRows(rows);
  return Promise.resolve(rows);
}
