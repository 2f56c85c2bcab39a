import net from 'node:net';
import { once } from 'node:events';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterAll, beforeAll } from 'vitest';
import { ADAPTERS } from '../../../src/adapters.js';
import type { GatewayConfigInput } from '../../../src/config/schema.js';
import { startTestGateway, type TestGateway } from './gateway.js';

const TIMEOUT_MS = 5000;

/** A gateway with only the MQTT adapter (and AMQP 0-9-1 / STOMP when asked) listening, every
 * port 0. */
export async function startMqttGateway(
  mqttConfig: Record<string, unknown> = {},
  opts: {
    readonly amqp?: boolean;
    readonly stomp?: boolean;
    readonly config?: Omit<GatewayConfigInput, 'protocols'>;
  } = {},
): Promise<TestGateway> {
  const protocols: Record<string, unknown> = {};
  for (const entry of ADAPTERS) {
    const wanted = { amqp091: opts.amqp, stomp: opts.stomp }[entry.name as string];
    protocols[entry.name] = { enabled: wanted === true };
  }
  protocols.mqtt = {
    tcp: { host: '127.0.0.1', port: 0 },
    ws: { host: '127.0.0.1', port: 0 },
    ...mqttConfig,
  };
  return startTestGateway({ ...opts.config, protocols });
}

/** Resolves with the first value `register` hands over, or rejects after `ms`. */
export function within<T>(
  register: (resolve: (value: T) => void, reject: (err: Error) => void) => void,
  what: string,
  ms = TIMEOUT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    register(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

export function connectMqtt(port: number, opts: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: TIMEOUT_MS,
    ...opts,
  });
}

/** A client whose listeners can be attached before it connects (messages queued for a
 * session arrive right after CONNACK). */
export function openMqtt(port: number, opts: IClientOptions = {}): MqttClient {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: TIMEOUT_MS,
    ...opts,
  });
  c.on('error', () => undefined);
  return c;
}

export interface Received {
  readonly topic: string;
  readonly payload: string;
  readonly packet: IPublishPacket;
}

/** Collects messages from the moment it is created. */
export class Inbox {
  readonly messages: Received[] = [];
  readonly #waiters: (() => void)[] = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString(), packet });
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Resolves once `n` messages have arrived in total. */
  async count(n: number, ms = TIMEOUT_MS): Promise<Received[]> {
    while (this.messages.length < n) {
      await within<undefined>(
        (resolve) =>
          this.#waiters.push(() => {
            resolve(undefined);
          }),
        `${n} messages (have ${this.messages.length})`,
        ms,
      );
    }
    return this.messages.slice(0, n);
  }
}

/** A raw TCP MQTT peer for input no real client would send. */
export class RawMqtt {
  readonly socket: net.Socket;
  readonly packets: Packet[] = [];
  readonly closed: Promise<void>;
  readonly #parser = mqttPacket.parser({ protocolVersion: 4 });
  readonly #waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('data', (b: Buffer) => this.#parser.parse(b));
    this.#parser.on('packet', (p: Packet) => {
      this.packets.push(p);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = once(socket, 'close').then(() => undefined);
  }

  static async connect(port: number): Promise<RawMqtt> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawMqtt(socket);
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet));
  }

  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async next(cmd: Packet['cmd']): Promise<Packet> {
    for (;;) {
      const i = this.packets.findIndex((p) => p.cmd === cmd);
      if (i >= 0) return this.packets.splice(i, 1)[0] as Packet;
      await within<undefined>(
        (resolve) =>
          this.#waiters.push(() => {
            resolve(undefined);
          }),
        `a ${cmd} packet`,
      );
    }
  }

  async connectAs(
    clientId: string,
    extra: Partial<mqttPacket.IConnectPacket> = {},
  ): Promise<Packet> {
    this.send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId,
      keepalive: 0,
      ...extra,
    });
    return this.next('connack');
  }

  /** Resolves when the server closes the connection; rejects after the timeout. */
  waitClosed(): Promise<void> {
    return within((resolve, reject) => {
      this.closed.then(resolve, reject);
    }, 'the server to close the connection');
  }

  end(): void {
    this.socket.destroy();
  }
}

/** The usual MQTT test file: one gateway for the whole file, and the clients its tests open,
 * all closed after it. */
export function mqttTestFile(): {
  gateway(): TestGateway;
  port(): number;
  client: (opts?: IClientOptions) => Promise<MqttClient>;
} {
  let gw: TestGateway | undefined;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    gw = await startMqttGateway();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await gw?.stop();
  });
  const gateway = (): TestGateway => {
    if (!gw) throw new Error('the gateway has not started');
    return gw;
  };
  return {
    gateway,
    port: () => gateway().port('mqtt'),
    client: async (opts = {}) => {
      const c = await connectMqtt(gateway().port('mqtt'), opts);
      clients.push(c);
      return c;
    },
  };
}
