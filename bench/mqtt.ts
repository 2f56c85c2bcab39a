/**
 * MQTT benchmark (issue 4): the gateway and, in the same run, a plain aedes broker, each in its
 * own process; subscribers and publishers (mqtt.js) in two more processes; 100-byte payloads.
 *   QoS 0 and QoS 1 x (1 publisher -> 100 subscribers, 100 publishers -> 1 subscriber)
 * Prints delivered msgs/s, one-way latency p50/p99, broker CPU per delivered message and broker
 * RSS for both, the gateway/aedes throughput ratio, and broker RSS per idle connection.
 * Roles (this same file): `--broker gateway|aedes`, `--subscribers <port> <scenario>`,
 * `--publishers <port> <scenario>`, `--idle <port> <n>`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { createGateway } from '../src/gateway.js';
import { ADAPTERS } from '../src/adapters.js';
import { fmt, printTable } from './lib-measure.js';

interface Scenario {
  readonly name: string;
  readonly qos: 0 | 1;
  readonly publishers: number;
  readonly subscribers: number;
  /** Messages per publisher. */
  readonly messages: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'QoS 0, 1 pub -> 100 subs', qos: 0, publishers: 1, subscribers: 100, messages: 2000 },
  { name: 'QoS 0, 100 pubs -> 1 sub', qos: 0, publishers: 100, subscribers: 1, messages: 1000 },
  { name: 'QoS 1, 1 pub -> 100 subs', qos: 1, publishers: 1, subscribers: 100, messages: 1000 },
  { name: 'QoS 1, 100 pubs -> 1 sub', qos: 1, publishers: 100, subscribers: 1, messages: 500 },
];

const PAYLOAD_SIZE = 100;
/** A run ends when no message arrived for this long (lost messages show as a lower count). */
const IDLE_MS = 5000;
const START_MS = 60_000;
const IDLE_CONNECTIONS = 2000;
/** QoS 1 publishes a publisher keeps unacknowledged. */
const QOS1_WINDOW = 100;
const now = (): number => performance.timeOrigin + performance.now();

interface BrokerStats {
  readonly rss: number;
  readonly cpuMicros: number;
}

interface SubResult {
  readonly delivered: number;
  readonly expected: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
}

function spawnRole(args: readonly string[], nodeFlags: readonly string[] = []): ChildProcess {
  const file = fileURLToPath(import.meta.url);
  return spawn(process.execPath, [...nodeFlags, '--import', 'tsx', file, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

/** Lines a child prints, one at a time. */
function lines(proc: ChildProcess): () => Promise<string> {
  const rl = createInterface({ input: proc.stdout ?? process.stdin });
  const buffered: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  rl.on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else buffered.push(l);
  });
  return () => {
    const l = buffered.shift();
    return l !== undefined ? Promise.resolve(l) : new Promise((resolve) => waiting.push(resolve));
  };
}

function connect(port: number, clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId,
    protocolVersion: 4,
    reconnectPeriod: 0,
    clean: true,
  });
}

// ------------------------------------------------------------------ child roles

async function runBroker(kind: string): Promise<void> {
  let port: number;
  if (kind === 'aedes') {
    const aedes = await Aedes.createBroker();
    const server = net.createServer({ noDelay: true }, (socket) => aedes.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  } else {
    const protocols: Record<string, unknown> = {};
    for (const e of ADAPTERS) protocols[e.name] = { enabled: false };
    // BENCH_INFLIGHT overrides the per-client in-flight window (default 20, like Mosquitto).
    const inflight = process.env.BENCH_INFLIGHT;
    protocols.mqtt = {
      tcp: { host: '127.0.0.1', port: 0 },
      ws: { enabled: false },
      ...(inflight ? { inflightWindow: Number(inflight) } : {}),
    };
    const gateway = createGateway({
      log: { level: process.env.BENCH_LOG === 'error' ? 'error' : 'silent' },
      management: { enabled: false },
      store: { type: 'memory' },
      protocols,
    });
    const { addresses } = await gateway.start();
    port = addresses.find((a) => a.protocol === 'mqtt')?.port ?? 0;
  }
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', () => {
    // settle the heap first so RSS reflects live memory (the broker runs with --expose-gc)
    (globalThis as { gc?: () => void }).gc?.();
    const cpu = process.cpuUsage();
    const stats: BrokerStats = { rss: process.memoryUsage().rss, cpuMicros: cpu.user + cpu.system };
    process.stdout.write(`${JSON.stringify(stats)}\n`);
  });
  rl.on('close', () => process.exit(0));
}

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
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  const result: SubResult = {
    delivered,
    expected,
    seconds: (last - first) / 1000,
    p50: pct(0.5),
    p99: pct(0.99),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await Promise.all(clients.map((c) => c.endAsync(true)));
}

async function runPublishers(port: number, s: Scenario): Promise<void> {
  const clients = await Promise.all(
    Array.from({ length: s.publishers }, (_, i) => connect(port, `bench-pub-${i}`)),
  );
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

/** Broker RSS growth per idle connection. */
async function idleCost(port: number, stats: () => Promise<BrokerStats>): Promise<number> {
  const before = await stats();
  const idle = spawnRole(['--idle', String(port), String(IDLE_CONNECTIONS)]);
  await lines(idle)();
  const after = await stats();
  idle.stdin?.end();
  await new Promise((resolve) => idle.once('exit', resolve));
  return (after.rss - before.rss) / IDLE_CONNECTIONS;
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
  const before = await stats();
  const pubs = spawnRole(['--publishers', String(brokerPort), spec]);
  const result = JSON.parse(await subLine()) as SubResult;
  const after = await stats();
  pubs.kill();
  subs.kill();
  return { ...result, rss: after.rss, cpuMicros: after.cpuMicros - before.cpuMicros };
}

async function main(): Promise<void> {
  // BENCH_MQTT=1,3 runs only those scenarios (1-based); BENCH_BROKERS=gateway only that broker.
  const only = process.env.BENCH_MQTT?.split(',').map(Number);
  const selected = SCENARIOS.filter((_, i) => !only || only.includes(i + 1));
  const results = new Map<string, Map<string, SubResult & BrokerStats>>();
  const idlePerConnection = new Map<string, number>();
  for (const kind of (process.env.BENCH_BROKERS ?? 'aedes,gateway').split(',')) {
    // BENCH_PROF=<dir> writes a CPU profile of each broker process there.
    const prof = process.env.BENCH_PROF;
    const broker = spawnRole(
      ['--broker', kind],
      ['--expose-gc', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])],
    );
    const next = lines(broker);
    const { port } = JSON.parse(await next()) as { port: number };
    const stats = async (): Promise<BrokerStats> => {
      broker.stdin?.write('stats\n');
      return JSON.parse(await next()) as BrokerStats;
    };
    const perKind = new Map<string, SubResult & BrokerStats>();
    for (const s of selected) perKind.set(s.name, await runScenario(port, stats, s));
    results.set(kind, perKind);
    idlePerConnection.set(kind, await idleCost(port, stats));
    broker.stdin?.end();
  }
  const rows: Record<string, string>[] = [];
  for (const s of selected) {
    const a = results.get('aedes')?.get(s.name);
    const g = results.get('gateway')?.get(s.name);
    for (const [kind, r] of [
      ['aedes', a],
      ['gateway', g],
    ] as const) {
      if (!r) continue;
      rows.push({
        scenario: s.name,
        broker: kind,
        delivered: `${fmt(r.delivered)}/${fmt(r.expected)}`,
        'msgs/s': fmt(r.delivered / r.seconds),
        'p50 ms': r.p50.toFixed(2),
        'p99 ms': r.p99.toFixed(2),
        'us/msg': (r.cpuMicros / r.delivered).toFixed(1),
        'rss MiB': (r.rss / 2 ** 20).toFixed(0),
        ratio:
          kind === 'gateway' && a
            ? (r.delivered / r.seconds / (a.delivered / a.seconds)).toFixed(2)
            : '',
      });
    }
  }
  printTable(rows);
  for (const [kind, bytes] of idlePerConnection) {
    process.stdout.write(
      `${kind}: ${(bytes / 1024).toFixed(1)} KiB RSS per idle connection (${fmt(IDLE_CONNECTIONS)} connections)\n`,
    );
  }
}

const [role, arg1, arg2] = process.argv.slice(2);
if (role === '--broker') await runBroker(arg1 ?? 'gateway');
else if (role === '--subscribers')
  await runSubscribers(Number(arg1), JSON.parse(arg2 ?? '{}') as Scenario);
else if (role === '--idle') await runIdle(Number(arg1), Number(arg2));
else if (role === '--publishers')
  await runPublishers(Number(arg1), JSON.parse(arg2 ?? '{}') as Scenario);
else await main();
