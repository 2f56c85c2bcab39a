/**
 * Persistence benchmark (issue 9): AMQP 0-9-1 publisher with confirms into a durable queue and
 * a consumer with manual acks, 1 KiB persistent messages, against the gateway with the `memory`
 * store and with `sqlite` (synchronous full and normal), in the same run. The clients run in a
 * child process (this file with `--client <port>`). Prints msgs/s, confirm latency percentiles,
 * the ratio to memory, and the SQLite file's bytes per stored message.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { createGateway } from '../src/gateway.js';
import { fmt, printTable } from './lib-measure.js';

const MESSAGES = 20_000;
const BODY = Buffer.alloc(1024, 97);
const WINDOW = 500;
const QUEUE = 'bench-persistent';

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

function runClient(port: number): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--client', String(port)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as ClientResult);
      else reject(new Error(`client exited with ${String(code)}`));
    });
  });
}

async function measure(store: 'memory' | 'sqlite', synchronous: 'full' | 'normal') {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const gw = createGateway({
    log: { level: 'silent' },
    dataDir,
    store: { type: store, synchronous },
    amqp: { host: '127.0.0.1', port: 0 },
    management: { enabled: false },
    protocols: { mqtt: { enabled: false }, stomp: { enabled: false }, amqp10: { enabled: false } },
  });
  const { addresses } = await gw.start();
  const port = addresses.find((a) => a.protocol === 'amqp091')?.port ?? 0;
  const r = await runClient(port);
  // Bytes per message: publish a backlog with no consumer and look at the database size.
  let bytesPerMessage = 0;
  if (store === 'sqlite') {
    const v = gw.broker.vhost('/');
    v.declareQueue({ name: 'backlog', durable: true });
    const commits: Promise<void>[] = [];
    const before =
      statSync(join(dataDir, 'gateway.db')).size + statSync(join(dataDir, 'gateway.db-wal')).size;
    for (let i = 0; i < 5000; i++) {
      const res = v.publish({
        exchange: '',
        routingKey: 'backlog',
        headers: {},
        properties: { persistent: true },
        body: BODY,
        origin: { protocol: 'amqp091', connectionId: 'bench' },
      });
      if (res.committed) commits.push(res.committed);
    }
    await Promise.all(commits);
    const after =
      statSync(join(dataDir, 'gateway.db')).size + statSync(join(dataDir, 'gateway.db-wal')).size;
    bytesPerMessage = (after - before) / 5000;
  }
  await gw.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return { ...r, rate: MESSAGES / r.seconds, bytesPerMessage };
}

export async function run(): Promise<void> {
  const memory = await measure('memory', 'full');
  const full = await measure('sqlite', 'full');
  const normal = await measure('sqlite', 'normal');
  const row = (name: string, r: typeof memory): Record<string, string> => ({
    'store (1 KiB, confirms + manual ack)': name,
    'msg/s': fmt(r.rate),
    'vs memory': (r.rate / memory.rate).toFixed(2),
    'confirm p50 ms': r.p50.toFixed(2),
    'confirm p99 ms': r.p99.toFixed(2),
    'store bytes/msg': r.bytesPerMessage ? fmt(r.bytesPerMessage) : '-',
  });
  printTable([
    row('memory', memory),
    row('sqlite, synchronous=full', full),
    row('sqlite, synchronous=normal', normal),
  ]);
}

if (process.argv[2] === '--client') {
  process.stdout.write(JSON.stringify(await client(Number(process.argv[3]))));
  process.exit(0);
}
