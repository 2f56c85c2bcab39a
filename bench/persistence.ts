/**
 * Persistence benchmark (issue 9): AMQP 0-9-1 publisher with confirms into a durable queue and
 * a consumer with manual acks, 1 KiB persistent messages, against the gateway with the `memory`
 * store and with `sqlite` (synchronous full and normal), in the same run. The gateway runs in
 * its own process, the clients in another (this file with `--client <port> <n>`, and
 * `--backlog <port> <n>` for the SQLite file's bytes per stored message). Prints msgs/s,
 * confirm latency percentiles, broker CPU and RSS, and the ratio to memory.
 */
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { scaled, type BenchContext } from './lib-driver.js';
import { percentiles, type BenchRow } from './lib-measure.js';
import { storeRoles, storeRows, type ClientResult } from './lib-stores.js';

const MESSAGES = 20_000;
const BODY = Buffer.alloc(1024, 97);
const WINDOW = 500;
const QUEUE = 'bench-persistent';
const BACKLOG = 5000;

async function client(port: number, n: number): Promise<ClientResult> {
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const pubConn = await connect(url, { noDelay: true });
  const subConn = await connect(url, { noDelay: true });
  const pub = await pubConn.createConfirmChannel();
  const sub = await subConn.createChannel();
  await pub.assertQueue(QUEUE, { durable: true });
  await sub.prefetch(100);
  const latencies = new Float64Array(n);
  const start = performance.now();
  let consumed = 0;
  const done = new Promise<void>((resolve) => {
    void sub.consume(QUEUE, (m) => {
      if (!m) return;
      sub.ack(m);
      if (++consumed === n) resolve();
    });
  });
  let sent = 0;
  let confirmed = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < n && sent - confirmed < WINDOW) {
        const i = sent++;
        const t0 = performance.now();
        pub.publish('', QUEUE, BODY, { persistent: true }, () => {
          latencies[i] = performance.now() - t0;
          if (++confirmed === n) resolve();
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
  const { p50, p99 } = percentiles(latencies);
  return { seconds, p50, p99 };
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

export function run(ctx: BenchContext): Promise<BenchRow[]> {
  return storeRows({
    group: 'persistence',
    scenario: '1 KiB persistent, confirms + manual ack',
    file: fileURLToPath(import.meta.url),
    protocol: 'amqp',
    messages: scaled(ctx, MESSAGES),
    backlog: BACKLOG,
    latency: 'publish -> confirm',
  });
}

await storeRoles(client, backlog);
