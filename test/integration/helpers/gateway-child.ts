/**
 * Starts helpers/gateway-process.ts as a child process (for crash tests) and reads the ports it
 * prints. `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild that a
 * SIGKILL of the child would leave running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const root = new URL('../../..', import.meta.url).pathname;
const script = new URL('./gateway-process.ts', import.meta.url).pathname;

export interface GatewayChild {
  readonly child: ChildProcess;
  readonly amqp: number;
  /** Only with `mqtt`. */
  readonly mqtt: number;
}

export async function startGatewayChild(
  dataDir: string,
  opts: { readonly mqtt?: boolean } = {},
): Promise<GatewayChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, GW_DATA_DIR: dataDir, ...(opts.mqtt ? { GW_MQTT: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ports = await new Promise<{ amqp: number; mqtt?: number }>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`gateway exited with ${String(code)}`));
    });
    lines.once('line', (line) => {
      resolve(JSON.parse(line) as { amqp: number; mqtt?: number });
    });
  });
  return { child, amqp: ports.amqp, mqtt: ports.mqtt ?? 0 };
}

/** SIGKILLs the child; resolves once it is gone. */
export function killGatewayChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGKILL');
  });
}
