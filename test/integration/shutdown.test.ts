/**
 * Graceful shutdown (issue 8) of the real CLI process: SIGTERM tells every connected client in
 * its own protocol (AMQP 0-9-1 320 CONNECTION_FORCED, STOMP ERROR, MQTT 3.1.1 close), flushes
 * the store and exits 0 within the grace time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { RawStomp } from './helpers/stomp-clients.js';

const root = new URL('../../', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'gw-shutdown-'));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `gateway start` with every port 0 through GATEWAY_* variables; resolves with the
 * listener lines it prints ("<protocol> <transport> <host>:<port>"). */
async function startCli(): Promise<Map<string, number>> {
  const zero = '{"host":"127.0.0.1","port":0}';
  child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      GATEWAY_LOG__LEVEL: 'silent',
      GATEWAY_DATA_DIR: dataDir,
      GATEWAY_AMQP: zero,
      GATEWAY_MANAGEMENT: zero,
      GATEWAY_PROTOCOLS__MQTT__TCP: zero,
      GATEWAY_PROTOCOLS__MQTT__WS: zero,
      GATEWAY_PROTOCOLS__STOMP__TCP: zero,
      GATEWAY_PROTOCOLS__STOMP__WS: zero,
      GATEWAY_SHUTDOWN_GRACE_MS: '5000',
    },
  });
  const ports = new Map<string, number>();
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const m = /^(\S+) (\S+) [^ ]+:(\d+)/.exec(line);
    if (m) ports.set(`${m[1] ?? ''} ${m[2] ?? ''}`, Number(m[3]));
    if (line.startsWith('management ')) break;
  }
  return ports;
}

describe('graceful shutdown of the CLI process', () => {
  it('SIGTERM: AMQP gets 320, STOMP gets ERROR, MQTT is closed, the process exits 0', async () => {
    const ports = await startCli();
    const port = (key: string): number => {
      const p = ports.get(key);
      if (p === undefined) throw new Error(`no listener '${key}' in ${JSON.stringify([...ports])}`);
      return p;
    };

    const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${port('amqp091 tcp')}`);
    // amqplib treats 320 CONNECTION_FORCED as non-fatal: 'close' carries it, 'error' does not fire.
    const amqpClosed = new Promise<{ code?: number } | undefined>((resolve) =>
      conn.once('close', resolve),
    );
    conn.on('error', () => undefined);
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${port('mqtt tcp')}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      username: 'guest',
      password: 'guest',
    });
    const mqttClosed = new Promise<void>((resolve) =>
      device.once('close', () => {
        resolve();
      }),
    );
    const stomp = await RawStomp.connected(port('stomp tcp'));

    const exited = once(child as ChildProcess, 'exit') as Promise<[number | null, string | null]>;
    child?.kill('SIGTERM');

    expect((await amqpClosed)?.code).toBe(320);
    const frame = await stomp.next();
    expect(frame.command).toBe('ERROR');
    await stomp.closed;
    await mqttClosed;
    const [code] = await exited;
    expect(code).toBe(0);
  }, 30_000);
});
