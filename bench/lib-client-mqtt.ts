/** MQTT 3.1.1 bench clients (mqtt.js). */
import { once } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { Endpoints } from './lib-brokers.js';
import { fill, sentAt } from './lib-flow.js';
import type { Arrive, CloseAll, Publisher, PubSide, SubSide } from './lib-flow.js';

/** QoS 1 publishes one publisher keeps unacknowledged. */
const QOS1_WINDOW = 100;
let clientSeq = 0;

function connect(ep: Endpoints): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${String(ep.mqtt)}`, {
    clientId: `bench-${String(process.pid)}-${String(clientSeq++)}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    clean: true,
  });
}

export async function mqttSubscribe(
  ep: Endpoints,
  side: Extract<SubSide, { protocol: 'mqtt' }>,
  arrive: Arrive,
): Promise<CloseAll> {
  const clients = await Promise.all(Array.from({ length: side.connections }, () => connect(ep)));
  for (const c of clients) {
    c.on('message', (_topic, payload) => {
      arrive(sentAt(payload));
    });
    await c.subscribeAsync(side.topic, { qos: side.qos });
  }
  return async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
  };
}

export async function mqttPublisher(
  ep: Endpoints,
  side: Extract<PubSide, { protocol: 'mqtt' }>,
  index: number,
): Promise<Publisher> {
  const c = await connect(ep);
  const topic = fill(side.topic, index);
  if (side.qos === 0) {
    return {
      // mqtt.js queues in its stream; waiting for its drain keeps the timestamps honest
      send: (body) =>
        c.publish(topic, body).stream.writableNeedDrain
          ? once(c.stream, 'drain').then(() => undefined)
          : undefined,
      close: () => c.endAsync(),
    };
  }
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let idle: (() => void) | undefined;
  const acked = (): void => {
    inFlight--;
    if (inFlight < QOS1_WINDOW) wake?.();
    if (inFlight === 0) idle?.();
  };
  return {
    send(body) {
      inFlight++;
      c.publish(topic, body, { qos: 1 }, acked);
      if (inFlight < QOS1_WINDOW) return undefined;
      return new Promise<void>((resolve) => (wake = resolve));
    },
    async close() {
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      await c.endAsync();
    },
  };
}
