/**
 * AMQP 0-9-1 benchmark (issue 5): the gateway in this process; amqplib consumers and publishers
 * in two child processes (this same file with `--consumer` / `--publisher`), 100-byte messages.
 *   a: 1 publisher -> 1 queue -> 1 consumer, no confirms, autoack
 *   b: the same with publisher confirms and manual acks, prefetch 100
 *   c: 10 publishers -> topic exchange -> 10 queues -> 10 consumers
 *   d: latency at 2,000 msg/s (1 queue, autoack)
 * Prints delivered msgs/s, latency percentiles, broker CPU per message and RSS. With
 * BENCH_RABBITMQ_URL set (e.g. amqp://guest:guest@127.0.0.1:5673), runs the same clients
 * against that broker too and prints the throughput ratio.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, type Channel, type ConfirmChannel } from 'amqplib';
import { createGateway } from '../src/gateway.js';
import { deliveryRow, fmt, printTable } from './lib-measure.js';

interface Scenario {
  readonly name: string;
  readonly id: string;
  readonly publishers: number;
  readonly messages: number;
  readonly confirms: boolean;
  readonly prefetch: number;
  /** Messages per second per publisher; 0 = as fast as the socket takes them. */
  readonly rate: number;
}

const SCENARIOS: readonly Scenario[] = [
  {
    id: 'a',
    name: 'a: 1 queue, autoack',
    publishers: 1,
    messages: 200_000,
    confirms: false,
    prefetch: 0,
    rate: 0,
  },
  {
    id: 'b',
    name: 'b: confirms + ack, prefetch 100',
    publishers: 1,
    messages: 100_000,
    confirms: true,
    prefetch: 100,
    rate: 0,
  },
  {
    id: 'c',
    name: 'c: 10 pub -> topic -> 10 queues',
    publishers: 10,
    messages: 20_000,
    confirms: false,
    prefetch: 0,
    rate: 0,
  },
  {
    id: 'd',
    name: 'd: latency at 2,000 msg/s',
    publishers: 1,
    messages: 10_000,
    confirms: false,
    prefetch: 0,
    rate: 2000,
  },
];

interface ConsumerResult {
  readonly delivered: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

const BODY_SIZE = 100;
/** Unconfirmed publishes a confirming publisher keeps in flight. */
const CONFIRM_WINDOW = 1000;
const queueName = (s: Scenario, i: number): string => `bench-${s.id}-${i}`;
const routingKey = (i: number): string => `bench.${i}.x`;
const now = (): number => performance.timeOrigin + performance.now();

// ------------------------------------------------------------------ consumer process

async function consumer(url: string, s: Scenario): Promise<ConsumerResult> {
  const conn = await connect(url, { noDelay: true });
  const ch = await conn.createChannel();
  if (s.prefetch) await ch.prefetch(s.prefetch);
  const total = s.messages * s.publishers;
  const latencies = new Float64Array(total);
  let delivered = 0;
  let first = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  for (let i = 0; i < s.publishers; i++) {
    const q = queueName(s, i);
    await ch.assertQueue(q, { autoDelete: true });
    if (s.publishers > 1) await ch.bindQueue(q, 'amq.topic', `bench.${i}.#`);
    await ch.consume(
      q,
      (m) => {
        if (!m) return;
        const t = now();
        if (delivered === 0) first = t;
        latencies[delivered++] = t - m.content.readDoubleBE(0);
        if (s.prefetch) ch.ack(m);
        if (delivered === total) resolveDone();
      },
      { noAck: !s.prefetch },
    );
  }
  process.stdout.write('ready\n');
  await done;
  // Throughput from the first delivery: excludes process start-up of the publisher.
  const seconds = (now() - first) / 1000;
  await conn.close();
  latencies.sort();
  const pct = (p: number): number => latencies[Math.min(total - 1, Math.floor(total * p))] ?? 0;
  return { delivered, seconds, p50: pct(0.5), p99: pct(0.99), p999: pct(0.999) };
}

// ------------------------------------------------------------------ publisher process

async function publishAll(
  ch: Channel | ConfirmChannel,
  s: Scenario,
  exchange: string,
  key: string,
): Promise<void> {
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const start = now();
  for (let i = 0; i < s.messages; i++) {
    if (s.rate) {
      const due = start + (i * 1000) / s.rate;
      const wait = due - now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const body = Buffer.alloc(BODY_SIZE, 120);
    body.writeDoubleBE(now(), 0);
    let ok: boolean;
    if (s.confirms) {
      inFlight++;
      ok = (ch as ConfirmChannel).publish(exchange, key, body, {}, () => {
        inFlight--;
        if (inFlight < CONFIRM_WINDOW / 2) wake?.();
      });
    } else {
      ok = ch.publish(exchange, key, body);
    }
    if (!ok) await new Promise((resolve) => ch.once('drain', resolve));
    if (s.confirms && inFlight >= CONFIRM_WINDOW) {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  }
  if (s.confirms) await (ch as ConfirmChannel).waitForConfirms();
  // amqplib may send connection.close ahead of queued publishes: a round trip on the channel
  // first makes sure they are out.
  await ch.checkExchange('amq.topic');
}

async function publishers(url: string, s: Scenario): Promise<void> {
  const conns = await Promise.all(
    Array.from({ length: s.publishers }, () => connect(url, { noDelay: true })),
  );
  await Promise.all(
    conns.map(async (c, i) => {
      const ch = s.confirms ? await c.createConfirmChannel() : await c.createChannel();
      if (s.publishers > 1) await publishAll(ch, s, 'amq.topic', routingKey(i));
      else await publishAll(ch, s, '', queueName(s, i));
    }),
  );
  await Promise.all(conns.map((c) => c.close()));
}

// ------------------------------------------------------------------ driver (parent)

function child(
  role: '--consumer' | '--publisher',
  url: string,
  s: Scenario,
  onReady?: () => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), role, url, JSON.stringify(s)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (onReady && out.startsWith('ready\n')) {
        out = out.slice('ready\n'.length);
        onReady();
        onReady = undefined;
      }
    });
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`bench ${role} exited with ${code}`));
    });
  });
}

async function runScenario(url: string, s: Scenario): Promise<ConsumerResult> {
  let pub: Promise<string> | undefined;
  const consumed = child('--consumer', url, s, () => {
    pub = child('--publisher', url, s);
  });
  const result = JSON.parse(await consumed) as ConsumerResult;
  await pub;
  return result;
}

export async function run(): Promise<void> {
  const gateway = createGateway({
    log: { level: 'silent' },
    // Transient messages only: the memory store keeps the run free of disk effects.
    store: { type: 'memory' },
    management: { enabled: false },
    amqp: { host: '127.0.0.1', port: 0 },
    protocols: { mqtt: { enabled: false }, stomp: { enabled: false }, amqp10: { enabled: false } },
  });
  const { addresses } = await gateway.start();
  const port = addresses.find((a) => a.protocol === 'amqp091')?.port;
  const rabbit = process.env['BENCH_RABBITMQ_URL'];
  const only = process.env['BENCH_AMQP091_SCENARIOS'];
  const rows: Record<string, string>[] = [];
  try {
    for (const s of SCENARIOS) {
      if (only && !only.includes(s.id)) continue;
      const cpu0 = process.cpuUsage();
      const r = await runScenario(`amqp://guest:guest@127.0.0.1:${port}`, s);
      const cpu = process.cpuUsage(cpu0);
      const rate = r.delivered / r.seconds;
      const row = deliveryRow(s.name, r, cpu);
      if (rabbit) {
        const rr = await runScenario(rabbit, s);
        const rabbitRate = rr.delivered / rr.seconds;
        row['rabbitmq msgs/s'] = fmt(rabbitRate);
        row['rabbitmq p99 ms'] = rr.p99.toFixed(2);
        row['ratio'] = (rate / rabbitRate).toFixed(2);
      }
      rows.push(row);
    }
  } finally {
    await gateway.stop();
  }
  printTable(rows);
}

const [role, url, spec] = process.argv.slice(2);
if (role === '--consumer') {
  process.stdout.write(
    JSON.stringify(await consumer(url ?? '', JSON.parse(spec ?? '{}') as Scenario)),
  );
} else if (role === '--publisher') {
  await publishers(url ?? '', JSON.parse(spec ?? '{}') as Scenario);
}
