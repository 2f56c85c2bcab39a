/**
 * The brokers a scenario can run against, each in its own process: the gateway and aedes
 * (bench/lib-broker-main.ts) and the anchors Mosquitto and RabbitMQ (Debian packages, our own
 * instance on free ports with a generated config; never the system service). Every broker
 * reports RSS and CPU time from /proc, so the figures are comparable across them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync, type ChildProcess } from 'node:child_process';
import type { GatewayConfigInput } from '../src/config/schema.js';
import {
  atCleanup,
  freePort,
  lines,
  procStats,
  spawnRole,
  startProcess,
  stopProcess,
  waitForPort,
  type ProcStats,
} from './lib-proc.js';

export type BrokerKind = 'gateway' | 'aedes' | 'mosquitto' | 'rabbitmq';

/** Where a broker listens (JSON, handed to client processes). */
export interface Endpoints {
  readonly mqtt?: number | undefined;
  /** AMQP 0-9-1 and AMQP 1.0 (one port on the gateway and on RabbitMQ). */
  readonly amqp?: number | undefined;
  readonly stomp?: number | undefined;
  readonly stompWs?: string | undefined;
  /** RabbitMQ 3.x's AMQP 1.0 plugin names queues `/amq/queue/<q>`; the gateway (and
   * RabbitMQ 4) `/queues/<q>`. */
  readonly amqp10Legacy?: boolean | undefined;
}

export interface Broker {
  readonly kind: BrokerKind;
  readonly endpoints: Endpoints;
  /** `heap` (JS heap + external bytes) only from Node brokers. */
  stats(): Promise<ProcStats & { readonly heap?: number }>;
  stop(): Promise<void>;
}

/** Thrown when an anchor's package is missing; the suite prints `hint` and goes on. */
export class NotInstalled extends Error {
  readonly hint: string;
  constructor(hint: string) {
    super(`not installed: ${hint}`);
    this.hint = hint;
  }
}

const MOSQUITTO = '/usr/sbin/mosquitto';
const RABBITMQ = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const EPMD = '/usr/bin/epmd';
const ANCHOR_START_MS = 90_000;

/** Every listener on loopback port 0, memory store, silent log. */
export function benchGatewayConfig(overrides: GatewayConfigInput = {}): GatewayConfigInput {
  // BENCH_INFLIGHT overrides the MQTT per-client in-flight window (default 20, like Mosquitto).
  const inflight = process.env['BENCH_INFLIGHT'];
  return {
    log: { level: process.env['BENCH_LOG'] === 'error' ? 'error' : 'silent' },
    management: { enabled: false },
    store: { type: 'memory' },
    amqp: { host: '127.0.0.1', port: 0 },
    protocols: {
      mqtt: {
        tcp: { host: '127.0.0.1', port: 0 },
        ws: { enabled: false },
        ...(inflight ? { inflightWindow: Number(inflight) } : {}),
      },
      stomp: { tcp: { host: '127.0.0.1', port: 0 }, ws: { host: '127.0.0.1', port: 0 } },
    },
    ...overrides,
  };
}

/** The gateway (with `config`, default benchGatewayConfig()) or aedes in a child process. */
async function startNodeBroker(
  kind: 'gateway' | 'aedes',
  config: GatewayConfigInput,
): Promise<Broker> {
  const file = fileURLToPath(new URL('lib-broker-main.ts', import.meta.url));
  // BENCH_PROF=<dir> writes a CPU profile of each broker process there.
  const prof = process.env['BENCH_PROF'];
  const proc = spawnRole(
    file,
    kind === 'aedes' ? ['--aedes'] : ['--gateway', JSON.stringify(config)],
    prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [],
  );
  const next = lines(proc);
  const endpoints = JSON.parse(await next()) as Endpoints;
  const pid = proc.pid ?? 0;
  return {
    kind,
    endpoints,
    async stats() {
      proc.stdin?.write('gc\n');
      const { heap } = JSON.parse(await next()) as { heap: number };
      return { ...procStats(pid), heap };
    },
    async stop() {
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.stdin?.end();
      await Promise.race([exited, stopProcess(proc)]);
    },
  };
}

/** Stats of an external broker process; `stop` ends it, then `cleanup` (also registered for
 * an interrupted run) removes what it left. */
function externalBroker(
  kind: BrokerKind,
  proc: ChildProcess,
  pid: () => number,
  endpoints: Endpoints,
  cleanup: () => void,
): Broker {
  return {
    kind,
    endpoints,
    stats: () => Promise.resolve(procStats(pid())),
    async stop() {
      await stopProcess(proc);
      cleanup();
    },
  };
}

const removeDir = (dir: string) => () => {
  rmSync(dir, { recursive: true, force: true });
};

async function startMosquitto(): Promise<Broker> {
  if (!existsSync(MOSQUITTO)) throw new NotInstalled('apt-get install mosquitto');
  const dir = mkdtempSync(join(tmpdir(), 'bench-mosquitto-'));
  const cleanup = atCleanup(removeDir(dir));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // no cap on queued QoS 1 messages per client: a cap would drop messages the gateway keeps
      'max_queued_messages 0',
      'log_type error',
      'log_dest stderr',
      '',
    ].join('\n'),
  );
  const proc = startProcess(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port, ANCHOR_START_MS);
  return externalBroker('mosquitto', proc, () => proc.pid ?? 0, { mqtt: port }, cleanup);
}

/** A private RabbitMQ node as the current user: own node name, ports, data, logs, config,
 * plugins file, env file, HOME (its own .erlang.cookie) and epmd port. */
async function startRabbitmq(): Promise<Broker> {
  if (!existsSync(RABBITMQ)) throw new NotInstalled('apt-get install rabbitmq-server');
  const dir = mkdtempSync(join(tmpdir(), 'bench-rabbitmq-'));
  const [amqp = 0, mqtt = 0, stomp = 0, ws = 0, dist = 0, epmd = 0] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  for (const sub of ['home', 'mnesia', 'log']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'home', '.erlang.cookie'), `BENCH${String(process.pid)}COOKIE`, {
    mode: 0o400,
  });
  writeFileSync(
    join(dir, 'enabled_plugins'),
    '[rabbitmq_mqtt,rabbitmq_stomp,rabbitmq_web_stomp,rabbitmq_amqp1_0].\n',
  );
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  writeFileSync(
    join(dir, 'rabbitmq.conf'),
    [
      `listeners.tcp.default = 127.0.0.1:${amqp}`,
      `mqtt.listeners.tcp.default = 127.0.0.1:${mqtt}`,
      `stomp.listeners.tcp.default = 127.0.0.1:${stomp}`,
      `web_stomp.tcp.ip = 127.0.0.1`,
      `web_stomp.tcp.port = ${ws}`,
      'mqtt.allow_anonymous = true',
      'log.file.level = warning',
      'log.console = false',
      '',
    ].join('\n'),
  );
  const env = {
    ...process.env,
    HOME: join(dir, 'home'),
    RABBITMQ_NODENAME: `bench${amqp}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqp),
    RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    ERL_EPMD_PORT: String(epmd),
    // lets `epmd -kill` end it even while the node is still going down
    ERL_EPMD_RELAXED_COMMAND_CHECK: '1',
  };
  // epmd daemonizes out of the node's process group: end it explicitly
  const cleanup = atCleanup(() => {
    spawnSync(EPMD, ['-kill'], { env, stdio: 'ignore' });
    removeDir(dir)();
  });
  const proc = startProcess(RABBITMQ, [], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  await Promise.all([amqp, mqtt, stomp, ws].map((p) => waitForPort(p, ANCHOR_START_MS)));
  // the Erlang VM's own pid: the process that does the work, not the start script
  const pid = Number(await readFile(env.RABBITMQ_PID_FILE, 'latin1'));
  return externalBroker(
    'rabbitmq',
    proc,
    () => pid,
    {
      mqtt,
      amqp,
      stomp,
      stompWs: `ws://127.0.0.1:${ws}/ws`,
      amqp10Legacy: true,
    },
    cleanup,
  );
}

/** Starts a broker of `kind`; `gatewayConfig` only for the gateway. */
export function startBroker(
  kind: BrokerKind,
  gatewayConfig: GatewayConfigInput = benchGatewayConfig(),
): Promise<Broker> {
  if (kind === 'mosquitto') return startMosquitto();
  if (kind === 'rabbitmq') return startRabbitmq();
  return startNodeBroker(kind, gatewayConfig);
}
