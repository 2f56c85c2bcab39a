/**
 * STOMP over WebSocket benchmark (issue 7): the gateway in this process, clients in child
 * processes (this same file with `--subscribers` / `--publisher` / `--idle`), 100-byte bodies.
 *   a: 1,000 idle STOMP WebSocket connections: broker RSS per connection
 *   b: 1 publisher (STOMP over TCP) -> 1,000 WebSocket subscribers on one /topic
 *   c: 1 publisher -> 10 STOMP-over-TCP subscribers on one /topic (DESIGN.md table row)
 *   d: 1 MQTT QoS 0 publisher -> 1 STOMP-over-WebSocket subscriber (DESIGN.md table row)
 *   e: latency at a fixed 2,000 msg/s, 1 WebSocket subscriber
 * Prints delivered msgs/s, latency percentiles, broker CPU per delivered message and RSS. In
 * b-d the publisher sends as fast as its socket takes frames (open loop), so their latency
 * columns show queueing under overload; e shows latency below saturation (its CPU column
 * includes the idle process). BENCH_STOMP_MESSAGES scales the message counts,
 * BENCH_STOMP_IDLE the idle connections, BENCH_STOMP_SCENARIOS=bc picks fan-outs.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import mqtt from 'mqtt';
import { createGateway } from '../src/gateway.js';
import { deliveryRow, fmt, printTable } from './lib-measure.js';

interface FanoutSpec {
  readonly name: string;
  readonly transport: 'ws' | 'tcp';
  /** STOMP SEND over TCP, or MQTT QoS 0 publishes to the same topic (`bench/fanout`). */
  readonly publisher: 'stomp' | 'mqtt';
  readonly subscribers: number;
  readonly messages: number;
  /** Messages per second; 0 = as fast as the socket takes them (open loop). */
  readonly rate: number;
}

const SCALE = Number(process.env['BENCH_STOMP_MESSAGES'] ?? 1);
const FANOUTS: readonly FanoutSpec[] = [
  {
    name: 'b: 1 pub -> 1000 ws subs, /topic',
    transport: 'ws',
    publisher: 'stomp',
    subscribers: 1000,
    messages: 500 * SCALE,
    rate: 0,
  },
  {
    name: 'c: 1 pub -> 10 tcp subs, /topic',
    transport: 'tcp',
    publisher: 'stomp',
    subscribers: 10,
    messages: 30_000 * SCALE,
    rate: 0,
  },
  {
    name: 'd: 1 mqtt qos0 pub -> 1 ws sub, /topic',
    transport: 'ws',
    publisher: 'mqtt',
    subscribers: 1,
    messages: 200_000 * SCALE,
    rate: 0,
  },
  {
    name: 'e: latency at 2,000 msg/s, 1 ws sub',
    transport: 'ws',
    publisher: 'stomp',
    subscribers: 1,
    messages: 10_000 * SCALE,
    rate: 2000,
  },
];
const IDLE = Number(process.env['BENCH_STOMP_IDLE'] ?? 1000);
const BODY_SIZE = 100;
const TOPIC = '/topic/bench.fanout';
const CONNECT =
  'CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0';
const now = (): number => performance.timeOrigin + performance.now();

/** A full GC before reading RSS, without needing `node --expose-gc`. */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

interface SubscriberResult {
  readonly delivered: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

/** A STOMP session's receive side, as a callback per incoming chunk. */
type OnData = (data: Buffer) => void;

async function openWs(url: string, onData: OnData | undefined, extra: string): Promise<() => void> {
  const ws = new WebSocket(url, ['v12.stomp']);
  ws.on('error', (err) => {
    process.stderr.write(`ws error: ${err.message}\n`);
  });
  await once(ws, 'open');
  const connected = once(ws, 'message');
  ws.send(CONNECT + extra);
  await connected;
  if (onData) ws.on('message', onData);
  return () => {
    ws.terminate();
  };
}

async function openTcp(
  port: number,
  onData: OnData | undefined,
  extra: string,
): Promise<() => void> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('error', (err) => {
    process.stderr.write(`tcp error: ${err.message}\n`);
  });
  await once(socket, 'connect');
  socket.write(CONNECT + extra);
  const [first] = (await once(socket, 'data')) as [Buffer];
  // The CONNECTED frame ends at the first NUL; anything after it is already MESSAGE data.
  const rest = first.subarray(first.indexOf(0) + 1);
  if (onData) {
    if (rest.length > 0) onData(rest);
    socket.on('data', onData);
  }
  return () => {
    socket.destroy();
  };
}

/** Opens `n` STOMP sessions; `extra` frames (a SUBSCRIBE) follow each CONNECT. */
async function openSessions(
  target: string,
  transport: 'ws' | 'tcp',
  n: number,
  onData?: () => OnData,
  extra = '',
): Promise<(() => void)[]> {
  const closers: (() => void)[] = [];
  // Batches keep the accept queue and the login (scrypt) load bounded.
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, async () => {
      const handler = onData?.();
      closers.push(
        transport === 'ws'
          ? await openWs(target, handler, extra)
          : await openTcp(Number(target), handler, extra),
      );
    });
    await Promise.all(batch);
  }
  return closers;
}

// ------------------------------------------------------------------ child processes

async function subscribers(target: string, spec: FanoutSpec): Promise<SubscriberResult> {
  const total = spec.subscribers * spec.messages;
  const sample = new Float64Array(total);
  let delivered = 0;
  let first = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  // Bodies have no NUL, so each NUL ends a MESSAGE frame whose last BODY_SIZE bytes start with
  // the publisher's send time. A chunk may hold several frames or part of one.
  const counter = (): OnData => {
    let carry: Buffer = Buffer.alloc(0);
    return (chunk) => {
      const t = now();
      if (delivered === 0) first = t;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let last = -1;
      for (let end = data.indexOf(0); end !== -1; end = data.indexOf(0, end + 1)) {
        sample[delivered++] =
          t - Number(data.toString('latin1', end - BODY_SIZE, end - BODY_SIZE + 20));
        last = end;
      }
      carry = data.subarray(last + 1);
      if (delivered >= total) resolveDone();
    };
  };
  const closers = await openSessions(
    target,
    spec.transport,
    spec.subscribers,
    counter,
    `SUBSCRIBE\nid:s\ndestination:${TOPIC}\n\n\0`,
  );
  process.stdout.write('ready\n');
  await done;
  const seconds = (now() - first) / 1000;
  for (const close of closers) close();
  sample.sort();
  const pct = (p: number): number => sample[Math.min(total - 1, Math.floor(total * p))] ?? 0;
  return { delivered, seconds, p50: pct(0.5), p99: pct(0.99), p999: pct(0.999) };
}

function stampedBody(): Buffer {
  const body = Buffer.alloc(BODY_SIZE, 120);
  body.write(now().toFixed(3).padStart(20, '0'), 0, 'latin1');
  return body;
}

async function mqttPublisher(port: number, spec: FanoutSpec): Promise<void> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  for (let i = 0; i < spec.messages; i++) {
    // Waiting on every 500th write keeps mqtt.js's outgoing buffer bounded.
    if (i % 500 === 499) await client.publishAsync('bench/fanout', stampedBody(), { qos: 0 });
    else client.publish('bench/fanout', stampedBody(), { qos: 0 });
  }
  await client.endAsync();
}

async function publisher(port: number, spec: FanoutSpec): Promise<void> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('error', (err) => {
    process.stderr.write(`publisher error: ${err.message}\n`);
  });
  await once(socket, 'connect');
  socket.write(CONNECT);
  await once(socket, 'data');
  const start = now();
  for (let i = 0; i < spec.messages; i++) {
    if (spec.rate) {
      const wait = start + (i * 1000) / spec.rate - now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const frame = Buffer.concat([
      Buffer.from(`SEND\ndestination:${TOPIC}\ncontent-length:${BODY_SIZE}\n\n`),
      stampedBody(),
      Buffer.from([0]),
    ]);
    if (!socket.write(frame)) await once(socket, 'drain');
  }
  socket.write('DISCONNECT\nreceipt:bye\n\n\0');
  await once(socket, 'close');
}

/** The sessions stay open until the parent has measured and kills this process. */
async function idle(url: string): Promise<void> {
  await openSessions(url, 'ws', IDLE);
  process.stdout.write('ready\n');
}

// ------------------------------------------------------------------ driver (parent)

function child(
  role: string,
  args: readonly string[],
  onReady?: () => void,
): { done: Promise<string>; kill: () => void } {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), role, ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const done = new Promise<string>((resolve, reject) => {
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
    proc.on('close', (code, signal) => {
      if (code === 0 || signal === 'SIGTERM') resolve(out);
      else reject(new Error(`bench ${role} exited with ${code}`));
    });
  });
  return { done, kill: () => proc.kill('SIGTERM') };
}

export async function run(): Promise<void> {
  const gateway = createGateway({
    log: { level: 'silent' },
    amqp: { host: '127.0.0.1', port: 0 },
    management: { enabled: false },
    store: { type: 'memory' },
    protocols: {
      mqtt: { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } },
      amqp091: { enabled: false },
      amqp10: { enabled: false },
      stomp: { tcp: { host: '127.0.0.1', port: 0 }, ws: { host: '127.0.0.1', port: 0 } },
    },
  });
  const { addresses } = await gateway.start();
  const tcpPort = addresses.find((a) => a.protocol === 'stomp' && a.transport === 'tcp')?.port ?? 0;
  const mqttPort = addresses.find((a) => a.protocol === 'mqtt')?.port ?? 0;
  const wsPort = addresses.find((a) => a.protocol === 'stomp' && a.transport === 'ws')?.port ?? 0;
  const url = `ws://127.0.0.1:${wsPort}/ws`;
  const rows: Record<string, string>[] = [];
  const perConn = (after: number, before: number): string =>
    ((after - before) / IDLE / 1024).toFixed(1);
  try {
    gc();
    const before = process.memoryUsage();
    let measured: (() => void) | undefined;
    const ready = new Promise<void>((resolve) => (measured = resolve));
    const holders = child('--idle', [url], () => measured?.());
    await ready;
    gc();
    const after = process.memoryUsage();
    holders.kill();
    await holders.done;
    rows.push({
      scenario: `a: ${IDLE} idle ws connections`,
      'msgs/s': '-',
      'p50 ms': '-',
      'p99 ms': '-',
      'p999 ms': '-',
      'broker cpu us/msg': '-',
      // RSS also keeps what the allocator holds after the logins' scrypt work; the JS heap
      // and external buffers are what the connections themselves use.
      'rss MiB': `${fmt(after.rss / 2 ** 20)} (${perConn(after.rss, before.rss)} KiB/conn; heap+external ${perConn(after.heapUsed + after.external, before.heapUsed + before.external)} KiB/conn)`,
    });
    const only = process.env['BENCH_STOMP_SCENARIOS'];
    for (const spec of FANOUTS) {
      if (only && !only.includes(spec.name.charAt(0))) continue;
      const target = spec.transport === 'ws' ? url : String(tcpPort);
      let cpu0 = process.cpuUsage();
      let pub: Promise<string> | undefined;
      const subs = child('--subscribers', [target, JSON.stringify(spec)], () => {
        cpu0 = process.cpuUsage();
        const pubPort = spec.publisher === 'mqtt' ? mqttPort : tcpPort;
        pub = child('--publisher', [String(pubPort), JSON.stringify(spec)]).done;
      });
      const r = JSON.parse(await subs.done) as SubscriberResult;
      await pub;
      const cpu = process.cpuUsage(cpu0);
      rows.push(deliveryRow(spec.name, r, cpu));
    }
  } finally {
    await gateway.stop();
  }
  printTable(rows);
}

const [role, target, spec] = process.argv.slice(2);
const parsed = JSON.parse(spec ?? '{}') as FanoutSpec;
if (role === '--subscribers')
  process.stdout.write(JSON.stringify(await subscribers(target ?? '', parsed)));
else if (role === '--publisher') {
  await (parsed.publisher === 'mqtt' ? mqttPublisher : publisher)(Number(target), parsed);
} else if (role === '--idle') await idle(target ?? '');
