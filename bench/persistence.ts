/**
 * Persistence benchmark (issue 9): AMQP 0-9-1 publisher with confirms into a durable queue and
 * a consumer with manual acks, 1 KiB persistent messages, against the gateway with the `memory`
 * store and with `sqlite` (synchronous full and normal), in the same run. The gateway runs in
 * its own process, the clients in another (this file with `--client <port>`, and
 * `--backlog <port> <n>` for the SQLite file's bytes per stored message). Prints msgs/s,
 * confirm latency percentiles, broker CPU and RSS, and the ratio to memory.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { benchGatewayConfig, startBroker } from './lib-brokers.js';
import { fmt, printRows, type BenchRow } from './lib-measure.js';
import { lines, spawnRole } from './lib-proc.js';

const MESSAGES = 20_000;
const BODY = Buffer.alloc(1024, 97);
const WINDOW = 500;
const QUEUE = 'bench-persistent';
const BACKLOG = 5000;

interface ClientResult {
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
}

const percentile = (sorted: Float64Array, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function client(port: number): Promise<ClientResult> {
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const pubConn = await connect(url, { noDelay: true });
  const subConn = await connect(url, { noDelay: true });
  const pub = await pubConn.createConfirmChannel();
  const sub = await subConn.createChannel();
  await pub.assertQueue(QUEUE, { durable: true });
  await sub.prefetch(100);
  const latencies = new Float64Array(MESSAGES);
  const start = performance.now();
  let consumed = 0;
  const done = new Promise<void>((resolve) => {
    void sub.consume(QUEUE, (m) => {
      if (!m) return;
      sub.ack(m);
      if (++consumed === MESSAGES) resolve();
    });
  });
  let sent = 0;
  let confirmed = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < MESSAGES && sent - confirmed < WINDOW) {
        const i = sent++;
        const t0 = performance.now();
        pub.publish('', QUEUE, BODY, { persistent: true }, () => {
          latencies[i] = performance.now() - t0;
          if (++confirmed === MESSAGES) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  await done;
  const seconds = (performance.now() - start) / 1000;
  await pubConn.close();
  await subConn.close();
  latencies.sort();
  return { seconds, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) };
}

/** Publishes `n` persistent messages with confirms to a durable queue nobody consumes. */
async function backlog(port: number, n: number): Promise<void> {
  const conn = await connect(`amqp://guest:guest@127.0.0.1:${port}`, { noDelay: true });
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue('backlog', { durable: true });
  for (let i = 0; i < n; i++) ch.publish('', 'backlog', BODY, { persistent: true });
  await ch.waitForConfirms();
  await conn.close();
}

/** Runs this file as a client role and returns the line it prints last. */
async function clientRole(args: readonly string[]): Promise<string> {
  const proc = spawnRole(fileURLToPath(import.meta.url), args);
  const next = lines(proc);
  let last = '';
  for (;;) {
    try {
      last = await next();
    } catch {
      return last;
    }
  }
}

const dbBytes = (dir: string): number =>
  statSync(join(dir, 'gateway.db')).size + statSync(join(dir, 'gateway.db-wal')).size;

async function measureStore(store: 'memory' | 'sqlite', synchronous: 'full' | 'normal') {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const broker = await startBroker(
    'gateway',
    benchGatewayConfig({ dataDir, store: { type: store, synchronous } }),
  );
  try {
    const port = String(broker.endpoints.amqp);
    const before = await broker.stats();
    const r = JSON.parse(await clientRole(['--client', port])) as ClientResult;
    const after = await broker.stats();
    // Bytes per message: publish a backlog with no consumer and look at the database size.
    let bytesPerMessage = 0;
    if (store === 'sqlite') {
      const size = dbBytes(dataDir);
      await clientRole(['--backlog', port, String(BACKLOG)]);
      bytesPerMessage = (dbBytes(dataDir) - size) / BACKLOG;
    }
    return {
      ...r,
      rate: MESSAGES / r.seconds,
      bytesPerMessage,
      cpuMicros: after.cpuMicros - before.cpuMicros,
      rss: after.rss,
    };
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchRow[]> {
  const memory = await measureStore('memory', 'full');
  const full = await measureStore('sqlite', 'full');
  const normal = await measureStore('sqlite', 'normal');
  const row = (scenario: string, r: typeof memory): BenchRow => ({
    group: 'persistence',
    scenario: `1 KiB persistent, confirms + manual ack, ${scenario}`,
    broker: 'gateway',
    rate: 0,
    msgsPerSec: r.rate,
    // latency here is publish -> confirm, not one-way delivery
    p50: r.p50,
    p99: r.p99,
    rssMiB: r.rss / 2 ** 20,
    cpuUsPerMsg: r.cpuMicros / MESSAGES,
    note: [
      'p50/p99 = confirm latency',
      `${(r.rate / memory.rate).toFixed(2)}x memory`,
      ...(r.bytesPerMessage ? [`${fmt(r.bytesPerMessage)} store bytes/msg`] : []),
    ].join('; '),
  });
  const rows = [
    row('memory store', memory),
    row('sqlite, synchronous=full', full),
    row('sqlite, synchronous=normal', normal),
  ];
  printRows(rows);
  return rows;
}

if (process.argv[2] === '--client') {
  process.stdout.write(`${JSON.stringify(await client(Number(process.argv[3])))}\n`);
  process.exit(0);
} else if (process.argv[2] === '--backlog') {
  await backlog(Number(process.argv[3]), Number(process.argv[4]));
  process.exit(0);
}
