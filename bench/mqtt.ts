/**
 * MQTT benchmark (issue 4): the gateway and, in the same run, a plain aedes broker (and with
 * anchors on, Mosquitto and RabbitMQ's MQTT plugin), each in its own process; subscribers and
 * publishers (mqtt.js) in two more processes; 100-byte payloads.
 *   QoS 0 and QoS 1 x (1 publisher -> 100 subscribers, 100 publishers -> 1 subscriber)
 * Prints delivered msgs/s, one-way latency p50/p99/p999, broker CPU per delivered message and
 * broker RSS for each, the gateway/broker throughput ratio, and broker RSS per idle connection.
 * Roles (this same file): `--subscribers <port> <scenario>`, `--publishers <port> <scenario>`,
 * `--idle <port> <n>`; without a role it runs alone (`npx tsx bench/mqtt.ts [--quick]`).
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import type { Broker } from './lib-brokers.js';
import { anchorsFor, withBrokers, scaled, type BenchContext } from './lib-driver.js';
import { deliveryRow, fmt, printRows, percentiles, type BenchRow } from './lib-measure.js';
import { lines, spawnRole as spawnFile, stopProcess, type ProcStats } from './lib-proc.js';

interface Scenario {
  readonly name: string;
  readonly qos: 0 | 1;
  readonly publishers: number;
  readonly subscribers: number;
  /** Messages per publisher. */
  readonly messages: number;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'QoS 0, 1 pub -> 100 subs',
    qos: 0,
    publishers: 1,
    subscribers: 100,
    messages: 2000,
  },
  {
    name: 'QoS 0, 100 pubs -> 1 sub',
    qos: 0,
    publishers: 100,
    subscribers: 1,
    messages: 1000,
  },
  {
    name: 'QoS 1, 1 pub -> 100 subs',
    qos: 1,
    publishers: 1,
    subscribers: 100,
    messages: 1000,
  },
  {
    name: 'QoS 1, 100 pubs -> 1 sub',
    qos: 1,
    publishers: 100,
    subscribers: 1,
    messages: 500,
  },
];

const PAYLOAD_SIZE = 100;
/** A run ends when no message arrived for this long (lost messages show as a lower count). */
const IDLE_MS = 5000;
const START_MS = 60_000;
const IDLE_CONNECTIONS = 2000;
/** QoS 1 publishes a publisher keeps unacknowledged. */
const QOS1_WINDOW = 100;
const now = (): number => performance.timeOrigin + performance.now();

type BrokerStats = ProcStats;

interface SubResult {
  readonly delivered: number;
  readonly expected: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

const spawnRole = (args: readonly string[]) => spawnFile(fileURLToPath(import.meta.url), args);

function connect(port: number, clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId,
    protocolVersion: 4,
    reconnectPeriod: 0,
    clean: true,
  });
}

// ------------------------------------------------------------------ child roles

async function runSubscribers(port: number, s: Scenario): Promise<void> {
  const expected = s.publishers * s.messages * s.subscribers;
  const latencies: number[] = [];
  let delivered = 0;
  let first = 0;
  let last = 0;
  const clients = await Promise.all(
    Array.from({ length: s.subscribers }, (_, i) => connect(port, `bench-sub-${i}`)),
  );
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  // generous until the first message (the publishers' process starts), then IDLE_MS
  let idle = setTimeout(finish, START_MS);
  for (const c of clients) {
    c.on('message', (_topic, payload) => {
      const t = now();
      if (delivered === 0) {
        first = t;
        clearTimeout(idle);
        idle = setTimeout(finish, IDLE_MS);
      }
      last = t;
      delivered++;
      latencies.push(t - payload.readDoubleLE(0));
      if (delivered === expected) finish();
      idle.refresh();
    });
    await c.subscribeAsync('bench/+/data', { qos: s.qos });
  }
  idle.refresh();
  process.stdout.write('ready\n');
  await finished;
  clearTimeout(idle);
  const result: SubResult = {
    delivered,
    expected,
    seconds: (last - first) / 1000,
    ...percentiles(Float64Array.from(latencies)),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await Promise.all(clients.map((c) => c.endAsync(true)));
}

async function runPublishers(port: number, s: Scenario): Promise<void> {
  const clients = await Promise.all(
    Array.from({ length: s.publishers }, (_, i) => connect(port, `bench-pub-${i}`)),
  );
  // Logins (the gateway's scrypt) stay out of the broker CPU figure: publish on `go`.
  process.stdout.write('connected\n');
  const go = createInterface({ input: process.stdin });
  await once(go, 'line');
  go.close();
  const payload = (): Buffer => {
    const b = Buffer.alloc(PAYLOAD_SIZE, 0x61);
    b.writeDoubleLE(now(), 0);
    return b;
  };
  await Promise.all(
    clients.map(async (c, i) => {
      const topic = `bench/${i}/data`;
      if (s.qos === 0) {
        for (let n = 0; n < s.messages; n++) {
          // mqtt.js queues in its stream; wait for its drain so timestamps stay honest
          if (!c.publish(topic, payload()).stream.writableNeedDrain) continue;
          await new Promise((resolve) => c.stream.once('drain', resolve));
        }
        return;
      }
      for (let n = 0; n < s.messages; n += QOS1_WINDOW) {
        const batch = Math.min(QOS1_WINDOW, s.messages - n);
        await Promise.all(
          Array.from({ length: batch }, () => c.publishAsync(topic, payload(), { qos: 1 })),
        );
      }
    }),
  );
  process.stdout.write('done\n');
  await Promise.all(clients.map((c) => c.endAsync()));
}

/** Opens `n` idle connections (keep-alive off), then waits for stdin to close. */
async function runIdle(port: number, n: number): Promise<void> {
  const clients: MqttClient[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, (_, j) =>
      mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
        clientId: `idle-${i + j}`,
        protocolVersion: 4,
        reconnectPeriod: 0,
        keepalive: 0,
      }),
    );
    clients.push(...(await Promise.all(batch)));
  }
  process.stdout.write('ready\n');
  createInterface({ input: process.stdin }).on('close', () => {
    void Promise.all(clients.map((c) => c.endAsync(true))).then(() => process.exit(0));
  });
}

// ------------------------------------------------------------------ the run

interface IdleCost {
  readonly rss: number;
  /** JS heap + external, after a full GC; Node brokers only. */
  readonly heap: number | undefined;
}

/** Broker RSS and heap growth per idle connection. The RSS delta swings with the allocator
 * (each gateway login's scrypt allocates 16 MiB; with MALLOC_MMAP_THRESHOLD_=131072 one run's
 * gateway delta fell from 60 to 2 KiB per connection); the heap delta is the stable figure. */
async function idleCost(
  port: number,
  stats: () => Promise<BrokerStats & { readonly heap?: number }>,
): Promise<IdleCost> {
  const before = await stats();
  const idle = spawnRole(['--idle', String(port), String(IDLE_CONNECTIONS)]);
  await lines(idle)();
  const after = await stats();
  idle.stdin?.end();
  await stopProcess(idle);
  const heap =
    after.heap !== undefined && before.heap !== undefined
      ? (after.heap - before.heap) / IDLE_CONNECTIONS
      : undefined;
  return { rss: (after.rss - before.rss) / IDLE_CONNECTIONS, heap };
}

async function runScenario(
  brokerPort: number,
  stats: () => Promise<BrokerStats>,
  s: Scenario,
): Promise<SubResult & BrokerStats> {
  const spec = JSON.stringify(s);
  const subs = spawnRole(['--subscribers', String(brokerPort), spec]);
  const subLine = lines(subs);
  await subLine(); // ready
  const pubs = spawnRole(['--publishers', String(brokerPort), spec]);
  await lines(pubs)(); // connected
  const before = await stats();
  pubs.stdin?.write('go\n');
  const result = JSON.parse(await subLine()) as SubResult;
  const after = await stats();
  pubs.kill();
  subs.kill();
  return {
    ...result,
    rss: after.rss,
    cpuMicros: after.cpuMicros - before.cpuMicros,
  };
}

const kib = (bytes: number): string => (bytes / 1024).toFixed(1);

/** All scenarios and the idle cost on one broker. */
async function runBroker(
  broker: Broker,
  selected: readonly Scenario[],
): Promise<{ results: Map<string, SubResult & BrokerStats>; idle: IdleCost }> {
  const stats = () => broker.stats();
  const port = broker.endpoints.mqtt ?? 0;
  const results = new Map<string, SubResult & BrokerStats>();
  // idle cost first: after the scenarios, RSS also falls as their buffers are given back
  const idle = await idleCost(port, stats);
  for (const s of selected) results.set(s.name, await runScenario(port, stats, s));
  return { results, idle };
}

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  // BENCH_MQTT=1,3 runs only those scenarios (1-based); BENCH_BROKERS=gateway only that broker.
  const only = process.env['BENCH_MQTT']?.split(',').map(Number);
  const selected = SCENARIOS.filter((_, i) => !only || only.includes(i + 1)).map((s) => ({
    ...s,
    messages: scaled(ctx, s.messages, 20),
  }));
  const listed = process.env['BENCH_BROKERS']?.split(',');
  const kinds = anchorsFor(ctx, ['aedes', 'mosquitto', 'rabbitmq']).filter(
    (k) => !listed || listed.includes(k),
  );
  const rows: BenchRow[] = [];
  await withBrokers(kinds, undefined, async (brokers) => {
    for (const [kind, broker] of brokers) {
      const base = { group: 'mqtt', broker: kind, rate: 0 };
      if (!('endpoints' in broker)) {
        rows.push({
          ...base,
          scenario: 'all',
          note: `not installed: ${broker.hint}`,
        });
        continue;
      }
      const { results, idle } = await runBroker(broker, selected);
      for (const s of selected) {
        const r = results.get(s.name);
        if (r) rows.push(deliveryRow({ ...base, scenario: s.name }, r, r.cpuMicros, r.rss));
      }
      rows.push({
        ...base,
        scenario: `${fmt(IDLE_CONNECTIONS)} idle connections`,
        note: `${kib(idle.rss)} KiB RSS${idle.heap === undefined ? '' : ` (${kib(idle.heap)} KiB heap)`} per idle connection`,
      });
    }
  });
  printRows(rows);
  return rows;
}

const [role, arg1, arg2] = process.argv.slice(2);
if (role === '--subscribers')
  await runSubscribers(Number(arg1), JSON.parse(arg2 ?? '{}') as Scenario);
else if (role === '--idle') await runIdle(Number(arg1), Number(arg2));
else if (role === '--publishers')
  await runPublishers(Number(arg1), JSON.parse(arg2 ?? '{}') as Scenario);
else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await run({
    quick: process.argv.includes('--quick'),
    anchors: process.argv.includes('--anchors'),
  });
  process.exit(0);
}
