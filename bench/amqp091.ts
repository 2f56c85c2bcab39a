/**
 * AMQP 0-9-1 benchmark (issue 5): the gateway in this process, amqplib clients in a child
 * process (this same file with `--client`), 100-byte messages.
 *   (a) 1 publisher -> 1 queue -> 1 consumer, no confirms, autoack
 *   (b) the same with publisher confirms and manual acks, prefetch 100
 *   (c) 10 publishers -> topic exchange -> 10 queues -> 10 consumers
 * Prints delivered msgs/s, latency percentiles, broker CPU per message and RSS.
 * With BENCH_RABBITMQ_URL set, runs the same clients against that broker and prints the ratio.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, type Channel, type ConfirmChannel } from 'amqplib';
import { createGateway } from '../src/gateway.js';
import { fmt, printTable } from './lib-measure.js';

interface Scenario {
  readonly name: string;
  readonly publishers: number;
  readonly messages: number;
  readonly confirms: boolean;
  readonly prefetch: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'a: 1 queue, autoack', publishers: 1, messages: 200_000, confirms: false, prefetch: 0 },
  { name: 'b: confirms + ack, prefetch 100', publishers: 1, messages: 100_000, confirms: true, prefetch: 100 },
  { name: 'c: 10 pub -> topic -> 10 queues', publishers: 10, messages: 20_000, confirms: false, prefetch: 0 },
];

interface ClientResult {
  readonly delivered: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

const BODY_SIZE = 100;
/** Unconfirmed publishes a confirming publisher keeps in flight. */
const CONFIRM_WINDOW = 1000;

// ------------------------------------------------------------------ client side (child)

async function publisher(ch: Channel | ConfirmChannel, exchange: string, key: string, n: number, confirms: boolean): Promise<void> {
  const body = Buffer.alloc(BODY_SIZE, 120);
  let inFlight = 0;
  let wake: (() => void) | undefined;
  for (let i = 0; i < n; i++) {
    body.writeDoubleBE(performance.timeOrigin + performance.now(), 0);
    const copy = Buffer.from(body);
    let ok: boolean;
    if (confirms) {
      inFlight++;
      ok = (ch as ConfirmChannel).publish(exchange, key, copy, {}, () => {
        inFlight--;
        if (inFlight < CONFIRM_WINDOW / 2) wake?.();
      });
    } else {
      ok = ch.publish(exchange, key, copy);
    }
    if (!ok) await new Promise((resolve) => ch.once('drain', resolve));
    if (confirms && inFlight >= CONFIRM_WINDOW) {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  }
  if (confirms) await (ch as ConfirmChannel).waitForConfirms();
}

async function client(url: string, s: Scenario): Promise<ClientResult> {
  const conns = await Promise.all(Array.from({ length: s.publishers + 1 }, () => connect(url)));
  const [consumerConn, ...pubConns] = conns as [(typeof conns)[number], ...typeof conns];
  const cch = await consumerConn.createChannel();
  const exchange = s.publishers > 1 ? 'amq.topic' : '';
  const queues: string[] = [];
  for (let i = 0; i < s.publishers; i++) {
    const q = await cch.assertQueue('', { exclusive: true });
    if (exchange) await cch.bindQueue(q.queue, exchange, `bench.${i}.#`);
    queues.push(q.queue);
  }
  const total = s.messages * s.publishers;
  const latencies = new Float64Array(total);
  let delivered = 0;
  const done = new Promise<void>((resolve) => {
    void (async () => {
      if (s.prefetch) await cch.prefetch(s.prefetch);
      for (const q of queues) {
        await cch.consume(
          q,
          (m) => {
            if (!m) return;
            latencies[delivered++] = performance.timeOrigin + performance.now() - m.content.readDoubleBE(0);
            if (s.prefetch) cch.ack(m);
            if (delivered === total) resolve();
          },
          { noAck: !s.prefetch },
        );
      }
    })();
  });
  const start = performance.now();
  await Promise.all(
    pubConns.map(async (c, i) => {
      const ch = s.confirms ? await c.createConfirmChannel() : await c.createChannel();
      const key = exchange ? `bench.${i}.x` : (queues[i] as string);
      await publisher(ch, exchange, key, s.messages, s.confirms);
    }),
  );
  await done;
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(conns.map((c) => c.close()));
  latencies.sort();
  const pct = (p: number): number => latencies[Math.min(total - 1, Math.floor(total * p))] ?? 0;
  return { delivered, seconds, p50: pct(0.5), p99: pct(0.99), p999: pct(0.999) };
}

// ------------------------------------------------------------------ driver (parent)

function runClient(url: string, s: Scenario): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--client', url, JSON.stringify(s)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as ClientResult);
      else reject(new Error(`bench client exited with ${code}`));
    });
  });
}

export async function run(): Promise<void> {
  const gateway = createGateway({
    log: { level: 'silent' },
    amqp: { host: '127.0.0.1', port: 0 },
    protocols: { mqtt: { enabled: false }, stomp: { enabled: false }, amqp10: { enabled: false } },
  });
  const { addresses } = await gateway.start();
  const port = addresses.find((a) => a.protocol === 'amqp091')?.port;
  const rabbit = process.env['BENCH_RABBITMQ_URL'];
  const rows: Record<string, string>[] = [];
  try {
    for (const s of SCENARIOS) {
      const cpu0 = process.cpuUsage();
      const r = await runClient(`amqp://guest:guest@127.0.0.1:${port}`, s);
      const cpu = process.cpuUsage(cpu0);
      const rate = r.delivered / r.seconds;
      const row: Record<string, string> = {
        scenario: s.name,
        'msgs/s': fmt(rate),
        'p50 ms': r.p50.toFixed(2),
        'p99 ms': r.p99.toFixed(2),
        'p999 ms': r.p999.toFixed(2),
        'cpu us/msg': ((cpu.user + cpu.system) / r.delivered).toFixed(1),
        'rss MiB': fmt(process.memoryUsage().rss / 2 ** 20),
      };
      if (rabbit) {
        const rr = await runClient(rabbit, s);
        row['rabbitmq msgs/s'] = fmt(rr.delivered / rr.seconds);
        row['ratio'] = (rate / (rr.delivered / rr.seconds)).toFixed(2);
      }
      rows.push(row);
    }
  } finally {
    await gateway.stop();
  }
  printTable(rows);
}

if (process.argv[2] === '--client') {
  const [url, spec] = process.argv.slice(3);
  const result = await client(url ?? '', JSON.parse(spec ?? '{}') as Scenario);
  process.stdout.write(JSON.stringify(result));
}
