/**
 * The shared driver: brokers in their own processes, a subscribing and a publishing client
 * process per run (bench/lib-worker.ts), broker CPU and RSS around each run, and the rows.
 * A scenario runs against the gateway and every anchor that can serve it. A scenario with
 * `halfRate` runs again at a fixed offered load: half of the gateway's full rate, for the
 * gateway and every anchor that reached at least that full rate; and when an anchor was slower,
 * also at half of the slowest full rate, for all of them. So every fixed-rate row is at most
 * half of its broker's capacity, and brokers are compared at the same load.
 */
import { fileURLToPath } from 'node:url';
import type { GatewayConfigInput } from '../src/config/schema.js';
import { NotInstalled, startBroker, type Broker, type BrokerKind } from './lib-brokers.js';
import type { Flow } from './lib-flow.js';
import { deliveryRow, fmt, printRows, type BenchRow, type DeliveryResult } from './lib-measure.js';
import { lines, spawnRole, stopProcess } from './lib-proc.js';

export interface BenchContext {
  /** Short runs: message counts divided by QUICK_DIVISOR. */
  readonly quick: boolean;
  /** Start Mosquitto and RabbitMQ too (aedes is an npm package and always runs). */
  readonly anchors: boolean;
}

export interface FlowScenario {
  readonly name: string;
  readonly flow: Flow;
  /** The anchors that can serve it (the gateway always runs). */
  readonly anchors: readonly Exclude<BrokerKind, 'gateway'>[];
  /** Also run at half the full rate for this long (seconds). */
  readonly halfRate?: number;
}

const QUICK_DIVISOR = 10;
const WORKER = fileURLToPath(new URL('lib-worker.ts', import.meta.url));
/** How long a publisher may take to close after its consumer has everything. */
const PUB_CLOSE_MS = 5000;

/** Message counts for this run: full, or divided for `--quick` (at least `min`). */
export function scaled(ctx: BenchContext, n: number, min = 100): number {
  return ctx.quick ? Math.max(min, Math.round(n / QUICK_DIVISOR)) : n;
}

/** The scenarios whose name starts with a letter in env `name` (all when unset). */
export function pick(scenarios: readonly FlowScenario[], name: string): FlowScenario[] {
  const only = process.env[name];
  return scenarios.filter((s) => !only || only.includes(s.name.charAt(0)));
}

/** The anchors this run uses among `wanted`. */
export function anchorsFor(
  ctx: BenchContext,
  wanted: readonly Exclude<BrokerKind, 'gateway'>[],
): BrokerKind[] {
  return ['gateway', ...wanted.filter((k) => k === 'aedes' || ctx.anchors)];
}

const shared = new Map<BrokerKind, Promise<Broker>>();

/** RabbitMQ takes ~20 s to start: one node serves every group of the run. */
function acquire(kind: BrokerKind, config: GatewayConfigInput | undefined): Promise<Broker> {
  if (kind !== 'rabbitmq') return startBroker(kind, config);
  let b = shared.get(kind);
  if (!b) {
    b = startBroker(kind);
    shared.set(kind, b);
  }
  return b;
}

const release = async (b: Broker): Promise<void> => {
  if (b.kind !== 'rabbitmq') await b.stop();
};

/** Stops the brokers shared across groups (run.ts calls it at the end). */
export async function stopSharedBrokers(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  for (const b of await Promise.allSettled(all)) if (b.status === 'fulfilled') await b.value.stop();
}

/** Starts each kind (gateway with `config`); a missing anchor becomes a NotInstalled entry. */
export async function withBrokers<T>(
  kinds: readonly BrokerKind[],
  config: GatewayConfigInput | undefined,
  body: (brokers: Map<BrokerKind, Broker | NotInstalled>) => Promise<T>,
): Promise<T> {
  const brokers = new Map<BrokerKind, Broker | NotInstalled>();
  try {
    for (const kind of kinds) {
      try {
        brokers.set(kind, await acquire(kind, config));
      } catch (err) {
        if (!(err instanceof NotInstalled)) throw err;
        brokers.set(kind, err);
      }
    }
    return await body(brokers);
  } finally {
    for (const b of brokers.values()) if (!(b instanceof NotInstalled)) await release(b);
  }
}

/** One run of a flow: subscriber process, then publisher process; broker CPU over the run. */
export async function runFlow(
  broker: Broker,
  flow: Flow,
): Promise<DeliveryResult & { cpuMicros: number; rss: number }> {
  const args = [JSON.stringify(broker.endpoints), JSON.stringify(flow)];
  const sub = spawnRole(WORKER, ['--sub', ...args]);
  const pub = { proc: undefined as ReturnType<typeof spawnRole> | undefined };
  try {
    const subLine = lines(sub);
    if ((await subLine()) !== 'ready') throw new Error('subscriber did not start');
    pub.proc = spawnRole(WORKER, ['--pub', ...args]);
    if ((await lines(pub.proc)()) !== 'connected') throw new Error('publisher did not start');
    const before = await broker.stats();
    pub.proc.stdin?.write('go\n');
    const result = JSON.parse(await subLine()) as DeliveryResult;
    const after = await broker.stats();
    const exited = new Promise((resolve) => pub.proc?.once('exit', resolve));
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, PUB_CLOSE_MS))]);
    return { ...result, cpuMicros: after.cpuMicros - before.cpuMicros, rss: after.rss };
  } finally {
    if (pub.proc) await stopProcess(pub.proc);
    await stopProcess(sub);
  }
}

/** One run as a row; a run that fails (a client error, a broker that refuses the flow)
 * becomes a row that says so, and the suite goes on. */
async function measured(
  base: Pick<BenchRow, 'group' | 'scenario' | 'broker' | 'rate'>,
  broker: Broker,
  flow: Flow,
): Promise<BenchRow> {
  try {
    const r = await runFlow(broker, flow);
    return deliveryRow(base, r, r.cpuMicros, r.rss);
  } catch (err) {
    return { ...base, note: `failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The same flow at a fixed total rate for `seconds`. */
function atRate(flow: Flow, total: number, seconds: number): Flow {
  const fanout = flow.expected / (flow.messages * flow.publishers);
  const rate = total / flow.publishers;
  const messages = Math.max(1, Math.round(rate * seconds));
  return { ...flow, rate, messages, expected: messages * flow.publishers * fanout };
}

/** Runs scenarios of one group against the gateway and their anchors; prints and returns rows. */
export async function runScenarios(
  group: string,
  scenarios: readonly FlowScenario[],
  ctx: BenchContext,
  config?: GatewayConfigInput,
): Promise<BenchRow[]> {
  const kinds = [...new Set(scenarios.flatMap((s) => anchorsFor(ctx, s.anchors)))];
  const rows = await withBrokers(kinds, config, async (brokers) => {
    const out: BenchRow[] = [];
    for (const s of scenarios) {
      const full = new Map<BrokerKind, BenchRow>();
      const targets = anchorsFor(ctx, s.anchors);
      for (const kind of targets) {
        const b = brokers.get(kind);
        const base = { group, scenario: s.name, broker: kind, rate: s.flow.rate };
        if (!b || b instanceof NotInstalled) {
          out.push({ ...base, note: `not installed: ${b?.hint ?? kind}` });
          continue;
        }
        const row = await measured(base, b, s.flow);
        if (row.msgsPerSec) full.set(kind, row);
        out.push(row);
      }
      const seconds = ctx.quick ? (s.halfRate ?? 0) / 2 : (s.halfRate ?? 0);
      const gateway = full.get('gateway')?.msgsPerSec;
      if (!seconds || gateway === undefined) continue;
      const slowest = Math.min(...[...full.values()].map((r) => r.msgsPerSec ?? 0));
      for (const total of new Set([gateway / 2, slowest / 2])) {
        // the publishers' rate, not the deliveries': a fan-out delivers `fanout` per publish
        const fanout = s.flow.expected / (s.flow.messages * s.flow.publishers);
        const flow = atRate(s.flow, total / fanout, seconds);
        const label = total === gateway / 2 ? 'half the gateway rate' : 'half the slowest rate';
        const name = `${s.name} @ ${fmt(total)} msg/s (${label})`;
        for (const [kind, r] of full) {
          if ((r.msgsPerSec ?? 0) < total * 2) continue;
          const base = { group, scenario: name, broker: kind, rate: total };
          out.push(await measured(base, brokers.get(kind) as Broker, flow));
        }
      }
    }
    return out;
  });
  printRows(rows);
  return rows;
}
