/**
 * AMQP 1.0 benchmark (issue 6): the gateway in this process; a rhea receiver and a rhea sender
 * in two child processes (this same file with `--consumer` / `--publisher`), 100-byte messages
 * in one data section.
 *   a: 1 sender -> 1 queue -> 1 receiver, unsettled (accepted outcomes both ways), credit 100
 *   b: the same, pre-settled on both links (at most once)
 *   c: latency at 2,000 msg/s, unsettled
 * Prints delivered msgs/s, latency percentiles, broker CPU per message and RSS, then the AMQP
 * 0-9-1 scenarios a, b and d of bench/amqp091.ts from the same run for comparison
 * (BENCH_AMQP10_NO_091=1 skips them).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import rhea, { type EventContext } from 'rhea';
import { createGateway } from '../src/gateway.js';
import { deliveryRow, printTable } from './lib-measure.js';

interface Scenario {
  readonly id: string;
  readonly name: string;
  readonly messages: number;
  readonly presettled: boolean;
  /** Receiver credit window (rhea tops it up as messages arrive). */
  readonly credit: number;
  /** Messages per second; 0 = as fast as credit allows. */
  readonly rate: number;
}

const SCENARIOS: readonly Scenario[] = [
  {
    id: 'a',
    name: 'a: 1 queue, unsettled, credit 100',
    messages: 100_000,
    presettled: false,
    credit: 100,
    rate: 0,
  },
  {
    id: 'b',
    name: 'b: 1 queue, pre-settled',
    messages: 200_000,
    presettled: true,
    credit: 1000,
    rate: 0,
  },
  {
    id: 'c',
    name: 'c: latency at 2,000 msg/s',
    messages: 10_000,
    presettled: false,
    credit: 100,
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
const now = (): number => performance.timeOrigin + performance.now();
const queueName = (s: Scenario): string => `bench-amqp10-${s.id}`;

function open(port: number): rhea.Connection {
  const connection = rhea.create_container().connect({
    host: '127.0.0.1',
    port,
    username: 'guest',
    password: 'guest',
    reconnect: false,
    // Nagle would add ~40 ms stalls to small frames.
    tcp_no_delay: true,
  } as rhea.ConnectionOptions);
  connection.on('error', (e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
  });
  return connection;
}

// ------------------------------------------------------------------ consumer process

function consumer(port: number, s: Scenario): Promise<ConsumerResult> {
  const connection = open(port);
  const latencies = new Float64Array(s.messages);
  let delivered = 0;
  let first = 0;
  return new Promise((resolve) => {
    const receiver = connection.open_receiver({
      source: `/queues/${queueName(s)}`,
      credit_window: s.credit,
      // For pre-settled transfers this only settles locally (no disposition), which frees
      // rhea's session window.
      autoaccept: true,
      ...(s.presettled ? { snd_settle_mode: 1 } : {}),
    });
    receiver.once('receiver_open', () => process.stdout.write('ready\n'));
    receiver.on('message', (ctx: EventContext) => {
      const t = now();
      if (delivered === 0) first = t;
      const body = (ctx.message?.body as { content: Buffer }).content;
      latencies[delivered++] = t - body.readDoubleBE(0);
      if (delivered < s.messages) return;
      const seconds = (now() - first) / 1000;
      connection.close();
      latencies.sort();
      const pct = (p: number): number =>
        latencies[Math.min(s.messages - 1, Math.floor(s.messages * p))] ?? 0;
      resolve({ delivered, seconds, p50: pct(0.5), p99: pct(0.99), p999: pct(0.999) });
    });
  });
}

// ------------------------------------------------------------------ publisher process

function publisher(port: number, s: Scenario): Promise<void> {
  const connection = open(port);
  const sender = connection.open_sender({
    target: `/queues/${queueName(s)}`,
    ...(s.presettled ? { snd_settle_mode: 1 } : {}),
  });
  let sent = 0;
  let settled = 0;
  const start = now();
  return new Promise((resolve) => {
    const finish = (): void => {
      connection.close();
      resolve();
    };
    const pump = (): void => {
      while (sent < s.messages && sender.sendable()) {
        if (s.rate) {
          const wait = start + (sent * 1000) / s.rate - now();
          if (wait > 1) {
            setTimeout(pump, wait);
            return;
          }
        }
        const body = Buffer.alloc(BODY_SIZE, 120);
        body.writeDoubleBE(now(), 0);
        sender.send({ body: rhea.message.data_section(body) as unknown });
        sent++;
      }
      // Pre-settled: nothing says when rhea has put the last transfers on the wire (it queues
      // beyond the credit), so the parent ends this process once the consumer has them all.
    };
    sender.on('sendable', pump);
    sender.on('accepted', () => {
      if (++settled === s.messages) finish();
    });
  });
}

// ------------------------------------------------------------------ driver (parent)

function child(
  role: '--consumer' | '--publisher',
  port: number,
  s: Scenario,
  onReady?: () => void,
): { done: Promise<string>; kill(): void } {
  let proc: ReturnType<typeof spawn> | undefined;
  const done = new Promise<string>((resolve, reject) => {
    proc = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), role, String(port), JSON.stringify(s)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (onReady && out.startsWith('ready\n')) {
        out = out.slice('ready\n'.length);
        onReady();
        onReady = undefined;
      }
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      if (code === 0 || signal === 'SIGTERM') resolve(out);
      else reject(new Error(`bench ${role} exited with ${code}`));
    });
  });
  return { done, kill: () => proc?.kill() };
}

async function runScenario(port: number, s: Scenario): Promise<ConsumerResult> {
  let pub: ReturnType<typeof child> | undefined;
  const consumed = child('--consumer', port, s, () => {
    pub = child('--publisher', port, s);
  });
  const result = JSON.parse(await consumed.done) as ConsumerResult;
  if (s.presettled) pub?.kill();
  await pub?.done;
  return result;
}

export async function run(): Promise<void> {
  const gateway = createGateway({
    log: { level: 'silent' },
    amqp: { host: '127.0.0.1', port: 0 },
    management: { enabled: false },
    store: { type: 'memory' },
    protocols: { mqtt: { enabled: false }, stomp: { enabled: false }, amqp091: { enabled: false } },
  });
  const { addresses } = await gateway.start();
  const port = addresses.find((a) => a.protocol === 'amqp10')?.port ?? 0;
  const only = process.env['BENCH_AMQP10_SCENARIOS'];
  const rows: Record<string, string>[] = [];
  try {
    for (const s of SCENARIOS) {
      if (only && !only.includes(s.id)) continue;
      gateway.broker.vhost('/').declareQueue({ name: queueName(s) });
      const cpu0 = process.cpuUsage();
      const r = await runScenario(port, s);
      const cpu = process.cpuUsage(cpu0);
      rows.push(deliveryRow(s.name, r, cpu));
    }
  } finally {
    await gateway.stop();
  }
  printTable(rows);
  if (process.env['BENCH_AMQP10_NO_091']) return;
  process.stdout.write('\nAMQP 0-9-1, same machine and run (bench/amqp091.ts):\n');
  process.env['BENCH_AMQP091_SCENARIOS'] ??= 'abd';
  const amqp091 = await import('./amqp091.js');
  await amqp091.run();
}

const [role, portArg, spec] = process.argv.slice(2);
if (role === '--consumer') {
  process.stdout.write(
    JSON.stringify(await consumer(Number(portArg), JSON.parse(spec ?? '{}') as Scenario)),
  );
} else if (role === '--publisher') {
  await publisher(Number(portArg), JSON.parse(spec ?? '{}') as Scenario);
}
