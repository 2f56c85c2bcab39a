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
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { scaled, type BenchContext } from './lib-driver.js';
import { percentiles, type BenchRow } from './lib-measure.js';
import { storeRoles, storeRows, type ClientResult } from './lib-stores.js';

const MESSAGES = 20_000;
const PAYLOAD = 1024;
/** Messages the publisher keeps between itself and the subscriber (sent, not yet received),
 * so the latency is that of a busy pipeline, not of a backlog growing at full rate. */
const WINDOW = 100;
const TOPIC = 'bench/session';
const BACKLOG = 5000;

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

export function run(ctx: BenchContext): Promise<BenchRow[]> {
  return storeRows({
    group: 'mqtt-session',
    scenario: 'MQTT QoS 1, clean session 0, 1 KiB',
    file: fileURLToPath(import.meta.url),
    protocol: 'mqtt',
    messages: scaled(ctx, MESSAGES),
    backlog: BACKLOG,
    latency: 'publish -> delivery (store bytes/msg: queued offline)',
  });
}

await storeRoles(client, backlog);
