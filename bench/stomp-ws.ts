/**
 * STOMP over WebSocket benchmark (issue 7): the gateway in this process, clients in child
 * processes (this same file with `--subscribers` / `--publisher` / `--idle`), 100-byte bodies.
 *   a: 1,000 idle STOMP WebSocket connections: broker RSS per connection
 *   b: 1 publisher (STOMP over TCP) -> 1,000 WebSocket subscribers on one /topic
 * Prints delivered msgs/s, latency percentiles, broker CPU per delivered message and RSS.
 * Sizes can be changed with BENCH_STOMP_SUBSCRIBERS, BENCH_STOMP_MESSAGES, BENCH_STOMP_IDLE.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { createGateway } from '../src/gateway.js';
import { fmt, printTable } from './lib-measure.js';

const SUBSCRIBERS = Number(process.env['BENCH_STOMP_SUBSCRIBERS'] ?? 1000);
const MESSAGES = Number(process.env['BENCH_STOMP_MESSAGES'] ?? 500);
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

/** Opens `n` WebSocket STOMP sessions; `extra` frames (a SUBSCRIBE) follow each CONNECT. */
async function openSessions(
  url: string,
  n: number,
  onMessage?: (data: Buffer) => void,
  extra = '',
): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  // Batches keep the accept queue and the login (scrypt) load bounded.
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, async () => {
      const ws = new WebSocket(url, ['v12.stomp']);
      ws.on('error', (err) => {
        process.stderr.write(`ws error: ${err.message}\n`);
      });
      await once(ws, 'open');
      const connected = once(ws, 'message');
      ws.send(CONNECT + extra);
      await connected;
      if (onMessage) ws.on('message', onMessage);
      sockets.push(ws);
    });
    await Promise.all(batch);
  }
  return sockets;
}

// ------------------------------------------------------------------ child processes

async function subscribers(url: string): Promise<SubscriberResult> {
  const total = SUBSCRIBERS * MESSAGES;
  const sample = new Float64Array(total);
  let delivered = 0;
  let first = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  // One WebSocket message may hold several MESSAGE frames; bodies have no NUL, so each NUL
  // ends a frame whose last BODY_SIZE bytes start with the publisher's send time.
  const onMessage = (data: Buffer): void => {
    const t = now();
    if (delivered === 0) first = t;
    for (let end = data.indexOf(0); end !== -1; end = data.indexOf(0, end + 1)) {
      sample[delivered++] =
        t - Number(data.toString('latin1', end - BODY_SIZE, end - BODY_SIZE + 20));
    }
    if (delivered >= total) resolveDone();
  };
  const sockets = await openSessions(
    url,
    SUBSCRIBERS,
    onMessage,
    `SUBSCRIBE\nid:s\ndestination:${TOPIC}\n\n\0`,
  );
  process.stdout.write('ready\n');
  await done;
  const seconds = (now() - first) / 1000;
  for (const ws of sockets) ws.terminate();
  sample.sort();
  const pct = (p: number): number => sample[Math.min(total - 1, Math.floor(total * p))] ?? 0;
  return { delivered, seconds, p50: pct(0.5), p99: pct(0.99), p999: pct(0.999) };
}

async function publisher(port: number): Promise<void> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('error', (err) => {
    process.stderr.write(`publisher error: ${err.message}\n`);
  });
  await once(socket, 'connect');
  socket.write(CONNECT);
  await once(socket, 'data');
  for (let i = 0; i < MESSAGES; i++) {
    const body = Buffer.alloc(BODY_SIZE, 120);
    body.write(now().toFixed(3).padStart(20, '0'), 0, 'latin1');
    const frame = Buffer.concat([
      Buffer.from(`SEND\ndestination:${TOPIC}\ncontent-length:${BODY_SIZE}\n\n`),
      body,
      Buffer.from([0]),
    ]);
    if (!socket.write(frame)) await once(socket, 'drain');
  }
  socket.write('DISCONNECT\nreceipt:bye\n\n\0');
  await once(socket, 'close');
}

/** The sessions stay open until the parent has measured and kills this process. */
async function idle(url: string): Promise<void> {
  await openSessions(url, IDLE);
  process.stdout.write('ready\n');
}

// ------------------------------------------------------------------ driver (parent)

function child(
  role: string,
  arg: string,
  onReady?: () => void,
): { done: Promise<string>; kill: () => void } {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), role, arg],
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
      mqtt: { enabled: false },
      amqp091: { enabled: false },
      amqp10: { enabled: false },
      stomp: { tcp: { host: '127.0.0.1', port: 0 }, ws: { host: '127.0.0.1', port: 0 } },
    },
  });
  const { addresses } = await gateway.start();
  const tcpPort = addresses.find((a) => a.protocol === 'stomp' && a.transport === 'tcp')?.port ?? 0;
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
    const holders = child('--idle', url, () => measured?.());
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
    let cpu0 = process.cpuUsage();
    let pub: Promise<string> | undefined;
    const subs = child('--subscribers', url, () => {
      cpu0 = process.cpuUsage();
      pub = child('--publisher', String(tcpPort)).done;
    });
    const r = JSON.parse(await subs.done) as SubscriberResult;
    await pub;
    const cpu = process.cpuUsage(cpu0);
    rows.push({
      scenario: `b: 1 pub -> ${SUBSCRIBERS} ws subs, /topic`,
      'msgs/s': fmt(r.delivered / r.seconds),
      'p50 ms': r.p50.toFixed(2),
      'p99 ms': r.p99.toFixed(2),
      'p999 ms': r.p999.toFixed(2),
      'broker cpu us/msg': ((cpu.user + cpu.system) / r.delivered).toFixed(2),
      'rss MiB': fmt(process.memoryUsage().rss / 2 ** 20),
    });
  } finally {
    await gateway.stop();
  }
  printTable(rows);
}

const [role, arg] = process.argv.slice(2);
if (role === '--subscribers') process.stdout.write(JSON.stringify(await subscribers(arg ?? '')));
else if (role === '--publisher') await publisher(Number(arg));
else if (role === '--idle') await idle(arg ?? '');
