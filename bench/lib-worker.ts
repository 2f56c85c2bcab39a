/**
 * The client process of a flow (bench/lib-driver.ts spawns it):
 *   --sub <endpoints> <flow>: opens the subscribing side, prints `ready`, counts deliveries and
 *     prints one DeliveryResult line when all arrived, when none came for IDLE_MS (a broker
 *     that dropped messages shows as a lower count instead of a hang), or CAP_MS after the
 *     first (`capped`: msgs/s holds, the rest was not waited for);
 *   --pub <endpoints> <flow>: opens `publishers` connections, prints `connected`, waits for a
 *     line on stdin, then each sends `messages` at `rate`; closes them and prints `done`.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Endpoints } from './lib-brokers.js';
import { amqp091Publisher, amqp091Subscribe } from './lib-client-amqp091.js';
import { amqp10Publisher, amqp10Subscribe } from './lib-client-amqp10.js';
import { mqttPublisher, mqttSubscribe } from './lib-client-mqtt.js';
import { stompPublisher, stompSubscribe } from './lib-client-stomp.js';
import {
  now,
  stampedBody,
  type Arrive,
  type CloseAll,
  type Flow,
  type Publisher,
} from './lib-flow.js';
import { percentiles, type DeliveryResult } from './lib-measure.js';

const IDLE_MS = 5000;
/** A run is cut this long after its first delivery (a slow anchor would take minutes). */
const CAP_MS = 60_000;
/** Until the first delivery: the publishers' process has to start and connect. */
const START_MS = 60_000;

function subscribe(ep: Endpoints, flow: Flow, arrive: Arrive): Promise<CloseAll> {
  const side = flow.sub;
  switch (side.protocol) {
    case 'mqtt':
      return mqttSubscribe(ep, side, arrive);
    case 'amqp091':
      return amqp091Subscribe(ep, side, arrive);
    case 'amqp10':
      return amqp10Subscribe(ep, side, arrive);
    case 'stomp':
      return stompSubscribe(ep, side, arrive);
  }
}

function publisher(ep: Endpoints, flow: Flow, index: number): Promise<Publisher> {
  const side = flow.pub;
  switch (side.protocol) {
    case 'mqtt':
      return mqttPublisher(ep, side, index);
    case 'amqp091':
      return amqp091Publisher(ep, side, index);
    case 'amqp10':
      return amqp10Publisher(ep, side);
    case 'stomp':
      return stompPublisher(ep, side);
  }
}

async function runSub(ep: Endpoints, flow: Flow): Promise<DeliveryResult> {
  const latencies = new Float64Array(flow.expected);
  let delivered = 0;
  let first = 0;
  let last = 0;
  // written by the watch timer (an object, so the compiler sees it can change)
  const cut = { capped: false };
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const close = await subscribe(ep, flow, (sent) => {
    const t = now();
    if (delivered === 0) first = t;
    last = t;
    if (delivered < flow.expected) latencies[delivered] = t - sent;
    if (++delivered === flow.expected) finish();
  });
  const readyAt = now();
  process.stdout.write('ready\n');
  const watch = setInterval(() => {
    if (delivered === 0 ? now() - readyAt > START_MS : now() - last > IDLE_MS) finish();
    else if (delivered > 0 && now() - first > CAP_MS) {
      cut.capped = true;
      finish();
    }
  }, 250);
  await finished;
  clearInterval(watch);
  await close();
  return {
    delivered,
    expected: flow.expected,
    seconds: (last - first) / 1000,
    ...(cut.capped ? { capped: true } : {}),
    ...percentiles(latencies.subarray(0, Math.min(delivered, flow.expected))),
  };
}

async function runPub(ep: Endpoints, flow: Flow): Promise<void> {
  const pubs = await Promise.all(
    Array.from({ length: flow.publishers }, (_, i) => publisher(ep, flow, i)),
  );
  // Logins (the gateway's scrypt) stay out of the broker CPU figure: publish on `go`.
  process.stdout.write('connected\n');
  const go = createInterface({ input: process.stdin });
  await once(go, 'line');
  go.close();
  await Promise.all(
    pubs.map(async (p) => {
      const start = now();
      for (let n = 0; n < flow.messages; n++) {
        if (flow.rate) {
          const wait = start + (n * 1000) / flow.rate - now();
          if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        const pending = p.send(stampedBody());
        if (pending) await pending;
      }
      await p.close();
    }),
  );
  process.stdout.write('done\n');
}

const [role, endpoints, flow] = process.argv.slice(2);
const ep = JSON.parse(endpoints ?? '{}') as Endpoints;
const parsed = JSON.parse(flow ?? '{}') as Flow;
if (role === '--sub') {
  process.stdout.write(`${JSON.stringify(await runSub(ep, parsed))}\n`);
  process.exit(0);
} else if (role === '--pub') {
  await runPub(ep, parsed);
  process.exit(0);
}
