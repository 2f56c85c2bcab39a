/**
 * The broker process for Node brokers: `--gateway <config JSON>` or `--aedes`. Prints its
 * listen ports as one JSON line, then answers every stdin line after a full GC with its JS heap
 * plus external bytes, so the RSS the parent reads next from /proc reflects live memory. Ends
 * when stdin closes.
 */
import net from 'node:net';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Aedes } from 'aedes';
import { createGateway } from '../src/gateway.js';
import type { GatewayConfigInput } from '../src/config/schema.js';
import type { Endpoints } from './lib-brokers.js';

/** A full GC without needing `node --expose-gc`. */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function startAedes(): Promise<{ endpoints: Endpoints; stop(): Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const server = net.createServer({ noDelay: true }, (socket) => aedes.handle(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoints: { mqtt: port },
    stop: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          aedes.close(() => {
            resolve();
          });
        }),
      ),
  };
}

async function startGateway(
  config: GatewayConfigInput,
): Promise<{ endpoints: Endpoints; stop(): Promise<void> }> {
  const gateway = createGateway(config);
  const { addresses } = await gateway.start();
  const find = (protocol: string, transport = 'tcp'): number | undefined =>
    addresses.find((a) => a.protocol === protocol && a.transport === transport)?.port;
  const ws = find('stomp', 'ws');
  const endpoints: Endpoints = {
    mqtt: find('mqtt'),
    amqp: find('amqp091') ?? find('amqp10'),
    stomp: find('stomp'),
    stompWs: ws === undefined ? undefined : `ws://127.0.0.1:${ws}/ws`,
  };
  return { endpoints, stop: () => gateway.stop() };
}

const [role, arg] = process.argv.slice(2);
const broker =
  role === '--aedes'
    ? await startAedes()
    : await startGateway(JSON.parse(arg ?? '{}') as GatewayConfigInput);
process.stdout.write(`${JSON.stringify(broker.endpoints)}\n`);
const rl = createInterface({ input: process.stdin });
rl.on('line', () => {
  gc();
  const m = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ heap: m.heapUsed + m.external })}\n`);
});
rl.on('close', () => {
  void broker.stop().then(() => process.exit(0));
});
