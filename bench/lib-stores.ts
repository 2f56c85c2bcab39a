/**
 * Store benchmarks (memory vs SQLite): the gateway with each store in its own process, a client
 * role of the calling bench file in another (`--client <port> <n>` prints `{seconds, p50, p99}`
 * as its last line; `--backlog <port> <n>` leaves `n` stored messages nobody consumes, for the
 * SQLite file's bytes per message), and one row per store with its ratio to memory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { benchGatewayConfig, startBroker } from './lib-brokers.js';
import { fmt, printRows, type BenchRow } from './lib-measure.js';
import { lines, spawnRole } from './lib-proc.js';

export interface StoreBench {
  readonly group: string;
  /** The scenario's name before the store's. */
  readonly scenario: string;
  /** The bench file whose `--client` and `--backlog` roles run. */
  readonly file: string;
  readonly protocol: 'amqp' | 'mqtt';
  readonly messages: number;
  readonly backlog: number;
  /** What p50/p99 measure, for the note. */
  readonly latency: string;
}

export interface ClientResult {
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
}

const STORES = [
  { name: 'memory store', type: 'memory', synchronous: 'full' },
  { name: 'sqlite, synchronous=full', type: 'sqlite', synchronous: 'full' },
  { name: 'sqlite, synchronous=normal', type: 'sqlite', synchronous: 'normal' },
] as const;

/** Runs a client role to its end; returns the last line it printed. */
async function clientRole(file: string, args: readonly string[]): Promise<string> {
  const next = lines(spawnRole(file, args));
  let last = '';
  for (;;) {
    try {
      last = await next();
    } catch {
      return last;
    }
  }
}

/** Bytes in use in the gateway's SQLite database (WAL included): pages minus free pages, so
 * pages freed by the consumed messages of the run before and reused do not hide growth. */
function dbBytes(dir: string): number {
  const db = new Database(join(dir, 'gateway.db'), { readonly: true, fileMustExist: true });
  try {
    const pragma = (name: string): number => Number(db.pragma(name, { simple: true }));
    return (pragma('page_count') - pragma('freelist_count')) * pragma('page_size');
  } finally {
    db.close();
  }
}

async function measureStore(b: StoreBench, store: (typeof STORES)[number]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-store-'));
  const broker = await startBroker(
    'gateway',
    benchGatewayConfig({ dataDir, store: { type: store.type, synchronous: store.synchronous } }),
  );
  try {
    const port = String(broker.endpoints[b.protocol]);
    const before = await broker.stats();
    const out = await clientRole(b.file, ['--client', port, String(b.messages)]);
    const r = JSON.parse(out) as ClientResult;
    const after = await broker.stats();
    let bytesPerMessage = 0;
    if (store.type === 'sqlite') {
      const size = dbBytes(dataDir);
      await clientRole(b.file, ['--backlog', port, String(b.backlog)]);
      bytesPerMessage = (dbBytes(dataDir) - size) / b.backlog;
    }
    return {
      ...r,
      rate: b.messages / r.seconds,
      bytesPerMessage,
      cpuMicros: after.cpuMicros - before.cpuMicros,
      rss: after.rss,
    };
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function storeRows(b: StoreBench): Promise<BenchRow[]> {
  const results = [];
  for (const store of STORES) results.push({ store, r: await measureStore(b, store) });
  const memory = results[0]?.r.rate ?? 0;
  const rows = results.map(({ store, r }): BenchRow => ({
    group: b.group,
    scenario: `${b.scenario}, ${store.name}`,
    broker: 'gateway',
    rate: 0,
    msgsPerSec: r.rate,
    p50: r.p50,
    p99: r.p99,
    rssMiB: r.rss / 2 ** 20,
    cpuUsPerMsg: r.cpuMicros / b.messages,
    note: [
      `p50/p99 = ${b.latency}`,
      `${(r.rate / memory).toFixed(2)}x memory`,
      ...(r.bytesPerMessage ? [`${fmt(r.bytesPerMessage)} store bytes/msg`] : []),
    ].join('; '),
  }));
  printRows(rows);
  return rows;
}

/** Runs the `--client <port> <n>` or `--backlog <port> <n>` role when this process is one. */
export async function storeRoles(
  client: (port: number, n: number) => Promise<ClientResult>,
  backlog: (port: number, n: number) => Promise<void>,
): Promise<void> {
  const [role, port, n] = process.argv.slice(2);
  if (role === '--client') {
    process.stdout.write(`${JSON.stringify(await client(Number(port), Number(n)))}\n`);
    process.exit(0);
  } else if (role === '--backlog') {
    await backlog(Number(port), Number(n));
    process.exit(0);
  }
}
