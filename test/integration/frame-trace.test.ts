/**
 * Frame tracing (`gateway start --trace-frames`, `log.traceFrames`): every frame read and
 * written is logged per connection at debug, decoded by each adapter (MQTT packet, AMQP 0-9-1
 * method, AMQP 1.0 performative, STOMP command) with its size and the start of its body.
 * Checked on the CLI process's own log output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from './helpers/amqp10-client.js';
import { RawStomp, waitFor } from './helpers/stomp-clients.js';

const root = new URL('../../', import.meta.url).pathname;

interface Trace {
  readonly msg?: string;
  readonly frame?: string;
  readonly dir?: 'in' | 'out';
  readonly size?: number;
  readonly body?: string;
  readonly truncated?: boolean;
}

let child: ChildProcess;
const ports = new Map<string, number>();
const traces: Trace[] = [];
let onTrace: (() => void) | undefined;

beforeAll(async () => {
  const zero = '{"host":"127.0.0.1","port":0}';
  child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--trace-frames'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      GATEWAY_STORE__TYPE: 'memory',
      GATEWAY_AMQP: zero,
      GATEWAY_MANAGEMENT__ENABLED: 'false',
      GATEWAY_PROTOCOLS__MQTT__TCP: zero,
      GATEWAY_PROTOCOLS__MQTT__WS__ENABLED: 'false',
      GATEWAY_PROTOCOLS__STOMP__TCP: zero,
      GATEWAY_PROTOCOLS__STOMP__WS__ENABLED: 'false',
    },
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const started = waitFor<undefined>(
    (resolve) => {
      lines.on('line', (line) => {
        const listener = /^(\S+) (\S+) [^ ]+:(\d+)$/.exec(line);
        if (listener) ports.set(`${listener[1] ?? ''} ${listener[2] ?? ''}`, Number(listener[3]));
        else if (line.startsWith('{')) {
          const entry = JSON.parse(line) as Trace;
          if (entry.msg === 'frame') traces.push(entry);
          onTrace?.();
        }
        if (ports.size === 4) resolve(undefined);
      });
    },
    'the gateway to listen',
    20_000,
  );
  await started;
});
afterAll(async () => {
  child.kill('SIGTERM');
  await once(child, 'exit');
});

const port = (key: string): number => {
  const p = ports.get(key);
  if (p === undefined) throw new Error(`no listener '${key}'`);
  return p;
};

/** Resolves with the first trace line matching `want` (now or later). */
function traced(want: Partial<Trace>): Promise<Trace> {
  const match = (): Trace | undefined =>
    traces.find((t) => Object.entries(want).every(([k, v]) => t[k as keyof Trace] === v));
  return waitFor<Trace>(
    (resolve) => {
      const check = (): void => {
        const found = match();
        if (found) resolve(found);
      };
      const previous = onTrace;
      onTrace = () => {
        previous?.();
        check();
      };
      check();
    },
    `a trace ${JSON.stringify(want)}`,
  );
}

describe('frame tracing (--trace-frames)', () => {
  it('MQTT: packets read and written, by type, with the payload', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port('mqtt tcp')}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      username: 'guest',
      password: 'guest',
    });
    await client.publishAsync('trace/mqtt', 'hello mqtt', { qos: 1 });
    await traced({ frame: 'connect', dir: 'in' });
    await traced({ frame: 'connack', dir: 'out' });
    expect(await traced({ frame: 'publish', dir: 'in' })).toMatchObject({ body: 'hello mqtt' });
    await traced({ frame: 'puback', dir: 'out' });
    await client.endAsync();
  });

  it('AMQP 0-9-1: methods by name and content frames; long bodies are cut', async () => {
    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port('amqp091 tcp')}`);
    const ch = await conn.createConfirmChannel();
    ch.publish('amq.topic', 'trace.amqp', Buffer.from('x'.repeat(500)));
    await ch.waitForConfirms();
    await traced({ frame: 'ConnectionStart', dir: 'out' });
    await traced({ frame: 'ConnectionStartOk', dir: 'in' });
    await traced({ frame: 'BasicPublish', dir: 'in' });
    const body = await traced({ frame: 'content-body', dir: 'in', size: 500 });
    expect(body).toMatchObject({ truncated: true, body: 'x'.repeat(64) });
    await traced({ frame: 'BasicAck', dir: 'out' });
    await conn.close();
  });

  it('AMQP 1.0: protocol headers and performatives both ways', async () => {
    const client = await connectClient(port('amqp10 tcp'));
    await traced({ frame: 'protocol-header sasl', dir: 'in' });
    await traced({ frame: 'sasl-init', dir: 'in' });
    await traced({ frame: 'sasl-outcome', dir: 'out' });
    await traced({ frame: 'open', dir: 'in' });
    await traced({ frame: 'open', dir: 'out' });
    await client.close();
  });

  it('STOMP: commands both ways, with the body', async () => {
    const stomp = await RawStomp.connected(port('stomp tcp'));
    stomp.send('SEND\ndestination:/topic/trace.stomp\nreceipt:r\n\nhello stomp\0');
    await stomp.next();
    await traced({ frame: 'CONNECT', dir: 'in' });
    await traced({ frame: 'CONNECTED', dir: 'out' });
    expect(await traced({ frame: 'SEND', dir: 'in' })).toMatchObject({ body: 'hello stomp' });
    await traced({ frame: 'RECEIPT', dir: 'out' });
    stomp.destroy();
  });
});
