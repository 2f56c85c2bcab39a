/**
 * A throwaway `redis-server` on a free loopback port: no persistence, its own temp dir. Tests
 * that need Redis fail (never skip) when the binary is missing: CI installs Debian's
 * `redis-server` package.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const READY = /Ready to accept connections/;
const START_TIMEOUT_MS = 10_000;

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

export function assertRedisInstalled(): void {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      'redis-server is not installed: these tests need a real Redis. ' +
        'Install it with `apt-get install -y redis-server` (.ci/run does).',
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

/** Start on `port` (a free one when absent), e.g. to restart a stopped server in place;
 * `extraArgs` are more `redis-server` options (a Redis Cluster node's). */
export async function startRedis(
  port?: number,
  extraArgs: readonly string[] = [],
): Promise<RedisServer> {
  assertRedisInstalled();
  if (port !== undefined) return startOn(port, extraArgs);
  // Another process may take the free port before redis-server binds it: try another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), extraArgs);
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

async function startOn(p: number, extraArgs: readonly string[]): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));
  const args = ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...args, '--dir', dir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  try {
    await waitReady(child, exited);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function waitReady(child: ChildProcess, exited: Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    let ready = false;
    // Keeps reading after start so a chatty server never blocks on a full pipe.
    const onData = (chunk: Buffer): void => {
      if (ready) return;
      output += chunk.toString();
      if (READY.test(output)) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited at start:\n${output}`));
    });
  });
}
