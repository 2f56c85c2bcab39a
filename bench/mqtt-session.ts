/**
 * Persistent MQTT session benchmark (issue 9): a QoS 1 publisher and a clean-session-0 QoS 1
 * subscriber, 1 KiB payloads, through the gateway with the `memory` store and with `sqlite`
 * (synchronous full and normal), in the same run. Every delivery to the persistent session is
 * written through to the store (queued, packet id, removed on PUBACK) and the publisher's
 * PUBACK waits for the queued copy to commit. The gateway runs in its own process, the clients
 * in another (this file with `--client <port>`, and `--backlog <port> <n>` for the SQLite
 * file's bytes per message queued for an offline session). Prints msgs/s, one-way delivery
 * latency, broker CPU and RSS, and the ratio to memory (target: sqlite >= 1/3).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { scaled, type BenchContext } from './lib-driver.js';
import { benchGatewayConfig, startBroker } from './lib-brokers.js';
import { fmt, percentiles, printRows, type BenchRow } from './lib-measure.js';
import { lines, spawnRole, stopProcess } from './lib-proc.js';

const MESSAGES = 20_000;
const PAYLOAD = 1024;
/** Messages the publisher keeps between itself and the subscriber (sent, not yet received),
 * so the latency is that of a busy pipeline, not of a backlog growing at full rate. */
const WINDOW = 100;
const TOPIC = 'bench/session';
const BACKLOG = 5000;

interface ClientResult {
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
}

const connect = (port: number, opts: mqtt.IClientOptions): Promise<mqtt.MqttClient> =>
  mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    ...opts,
  });

/** The persistent session: subscribed once, then (re)connected with clean session 0. */
async function session(port: number): Promise<mqtt.MqttClient> {
  const sub = await connect(port, { clientId: 'bench-session', clean: false });
  await sub.subscribeAsync(TOPIC, { qos: 1 });
  return sub;
}

/** Publishes `n` QoS 1 messages, each with its send time, while fewer than WINDOW are
 * `outstanding`; resolves when all are acknowledged. Call the returned `pump` when one
 * leaves. */
function publish(
  pub: mqtt.MqttClient,
  n: number,
  outstanding: (sent: number, acked: number) => number,
): { done: Promise<void>; pump: () => void } {
  let sent = 0;
  let acked = 0;
  let pump = (): void => undefined;
  const done = new Promise<void>((resolve, reject) => {
    pump = (): void => {
      while (sent < n && outstanding(sent, acked) < WINDOW) {
        const payload = Buffer.alloc(PAYLOAD, 97);
        payload.writeDoubleLE(performance.timeOrigin + performance.now(), 0);
        sent++;
        pub.publish(TOPIC, payload, { qos: 1 }, (err) => {
          if (err) reject(err);
          else if (++acked === n) resolve();
          else pump();
        });
      }
    };
  });
  pump();
  return { done, pump };
}

async function client(port: number, n: number): Promise<ClientResult> {
  const sub = await session(port);
  const latencies = new Float64Array(n);
  let received = 0;
  const pub = await connect(port, { clientId: 'bench-publisher' });
  const start = performance.now();
  let more = (): void => undefined;
  const all = new Promise<void>((resolve) => {
    sub.on('message', (_topic, payload) => {
      latencies[received] = performance.timeOrigin + performance.now() - payload.readDoubleLE(0);
      if (++received === n) resolve();
      else more();
    });
  });
  const publisher = publish(pub, n, (sent) => sent - received);
  more = publisher.pump;
  await Promise.all([publisher.done, all]);
  const seconds = (performance.now() - start) / 1000;
  await pub.endAsync();
  await sub.endAsync();
  const { p50, p99 } = percentiles(latencies);
  return { seconds, p50, p99 };
}

/** Queues `n` messages for the session while it is offline. */
async function backlog(port: number, n: number): Promise<void> {
  await (await session(port)).endAsync();
  const pub = await connect(port, { clientId: 'bench-backlog' });
  await publish(pub, n, (sent, acked) => sent - acked).done;
  await pub.endAsync();
}

/** Runs this file as a client role and returns the line it prints. */
async function clientRole(args: readonly string[]): Promise<string> {
  const proc = spawnRole(fileURLToPath(import.meta.url), args);
  try {
    return await lines(proc)();
  } finally {
    await stopProcess(proc);
  }
}

const dbBytes = (dir: string): number =>
  statSync(join(dir, 'gateway.db')).size + statSync(join(dir, 'gateway.db-wal')).size;

async function measureStore(n: number, store: 'memory' | 'sqlite', synchronous: 'full' | 'normal') {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-session-'));
  const broker = await startBroker(
    'gateway',
    benchGatewayConfig({ dataDir, store: { type: store, synchronous } }),
  );
  try {
    const port = String(broker.endpoints.mqtt);
    const before = await broker.stats();
    const r = JSON.parse(await clientRole(['--client', port, String(n)])) as ClientResult;
    const after = await broker.stats();
    let bytesPerMessage = 0;
    if (store === 'sqlite') {
      const size = dbBytes(dataDir);
      await clientRole(['--backlog', port, String(BACKLOG)]);
      bytesPerMessage = (dbBytes(dataDir) - size) / BACKLOG;
    }
    return {
      ...r,
      rate: n / r.seconds,
      bytesPerMessage,
      cpuMicros: after.cpuMicros - before.cpuMicros,
      rss: after.rss,
    };
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const n = scaled(ctx, MESSAGES);
  const memory = await measureStore(n, 'memory', 'full');
  const full = await measureStore(n, 'sqlite', 'full');
  const normal = await measureStore(n, 'sqlite', 'normal');
  const row = (scenario: string, r: typeof memory): BenchRow => ({
    group: 'mqtt-session',
    scenario: `MQTT QoS 1, clean session 0, 1 KiB, ${scenario}`,
    broker: 'gateway',
    rate: 0,
    msgsPerSec: r.rate,
    p50: r.p50,
    p99: r.p99,
    rssMiB: r.rss / 2 ** 20,
    cpuUsPerMsg: r.cpuMicros / n,
    note: [
      'p50/p99 = publish -> delivery',
      `${(r.rate / memory.rate).toFixed(2)}x memory`,
      ...(r.bytesPerMessage ? [`${fmt(r.bytesPerMessage)} store bytes/msg queued offline`] : []),
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
  const result = await client(Number(process.argv[3]), Number(process.argv[4]));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} else if (process.argv[2] === '--backlog') {
  await backlog(Number(process.argv[3]), Number(process.argv[4]));
  process.stdout.write('{}\n');
  process.exit(0);
}
