import net from 'node:net';
import { once } from 'node:events';
import WebSocket from 'ws';
import {
  Client,
  type IFrame,
  type IMessage,
  type IStompSocket,
  StompHeaders,
} from '@stomp/stompjs';
import { FrameParser } from '../../../adapters/stomp/frame-parser.js';
import type { StompFrame } from '../../../adapters/stomp/frame.js';
import { ADAPTERS } from '../../../src/adapters.js';
import type { GatewayConfigInput } from '../../../src/config/schema.js';
import { startTestGateway, type TestGateway } from './gateway.js';

const TIMEOUT_MS = 5000;

/** A test gateway with STOMP and, when asked, MQTT (TCP) and AMQP 0-9-1 for cross-protocol
 * tests; every other adapter is off and every port is 0. */
export function startStompGateway(
  stomp: Readonly<Record<string, unknown>>,
  with_: { readonly mqtt?: boolean; readonly amqp091?: boolean } = {},
  config: Omit<GatewayConfigInput, 'protocols'> = {},
): Promise<TestGateway> {
  const protocols: Record<string, unknown> = {};
  for (const entry of ADAPTERS) protocols[entry.name] = { enabled: false };
  protocols.stomp = stomp;
  if (with_.mqtt === true) {
    protocols.mqtt = { tcp: { host: '127.0.0.1', port: 0 }, ws: { enabled: false } };
  }
  if (with_.amqp091 === true) protocols.amqp091 = { enabled: true };
  return startTestGateway({ ...config, protocols });
}

/** Resolves with the first value `register` hands over, or rejects after `ms`. */
export function waitFor<T>(
  register: (resolve: (value: T) => void) => void,
  what: string,
  ms = TIMEOUT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** stompjs speaks to a WebSocket-shaped object; this one is a plain TCP socket (STOMP over TCP). */
class TcpStompSocket implements IStompSocket {
  url: string;
  onclose: ((ev?: unknown) => unknown) | null = null;
  onerror: ((ev: unknown) => unknown) | null = null;
  onmessage: ((ev: unknown) => unknown) | null = null;
  onopen: ((ev?: unknown) => unknown) | null = null;
  binaryType = 'arraybuffer';
  readyState = 0;
  private readonly socket: net.Socket;

  constructor(port: number) {
    this.url = `tcp://127.0.0.1:${port}`;
    this.socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    this.socket.on('connect', () => {
      this.readyState = 1;
      this.onopen?.();
    });
    this.socket.on('data', (chunk: Buffer) => {
      const data = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength);
      this.onmessage?.({ data });
    });
    this.socket.on('error', (err) => this.onerror?.(err));
    this.socket.on('close', () => {
      this.readyState = 3;
      this.onclose?.({ code: 1000, reason: '' });
    });
  }

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    if (typeof data === 'string') this.socket.write(data);
    else if (ArrayBuffer.isView(data))
      this.socket.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    else if (data instanceof ArrayBuffer) this.socket.write(Buffer.from(data));
    else throw new Error('unsupported payload');
  }

  close(): void {
    this.readyState = 2;
    this.socket.end();
  }

  terminate(): void {
    this.socket.destroy();
  }
}

export type StompTransport =
  | { readonly kind: 'ws'; readonly url: string; readonly origin?: string }
  | { readonly kind: 'tcp'; readonly port: number };

export interface StompClientOptions {
  readonly connectHeaders?: Readonly<Record<string, string>>;
  readonly heartbeatIncoming?: number;
  readonly heartbeatOutgoing?: number;
  /** stompjs's debug lines (`<<< PONG` for each heart-beat received). */
  readonly debug?: (line: string) => void;
}

/** stompjs wants StompHeaders instances, not object literals. */
export function hdr(values: Readonly<Record<string, string>>): StompHeaders {
  return Object.assign(new StompHeaders(), values);
}

/** A connected @stomp/stompjs client (no reconnect), guest/guest unless told otherwise. */
export async function connectStomp(
  transport: StompTransport,
  opts: StompClientOptions = {},
): Promise<{ client: Client; connected: IFrame }> {
  const client = new Client();
  client.reconnectDelay = 0;
  client.heartbeatIncoming = opts.heartbeatIncoming ?? 0;
  client.heartbeatOutgoing = opts.heartbeatOutgoing ?? 0;
  if (opts.debug) client.debug = opts.debug;
  client.connectHeaders = hdr({ login: 'guest', passcode: 'guest', ...opts.connectHeaders });
  client.webSocketFactory = () =>
    transport.kind === 'ws'
      ? new WebSocket(
          transport.url,
          ['v12.stomp', 'v11.stomp', 'v10.stomp'],
          transport.origin === undefined ? {} : { origin: transport.origin },
        )
      : new TcpStompSocket(transport.port);
  const connected = waitFor<IFrame>((resolve) => {
    client.onConnect = resolve;
  }, 'CONNECTED');
  client.onStompError = (frame) => {
    throw new Error(`unexpected STOMP ERROR: ${frame.headers.message ?? ''}`);
  };
  client.activate();
  return { client, connected: await connected };
}

/** Collects messages of one subscription; `next()` awaits the next one. */
export class MessageQueue {
  private readonly items: IMessage[] = [];
  private waiter: ((m: IMessage) => void) | undefined;

  readonly push = (m: IMessage): void => {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(m);
    } else this.items.push(m);
  };

  next(ms = TIMEOUT_MS): Promise<IMessage> {
    const ready = this.items.shift();
    if (ready) return Promise.resolve(ready);
    return waitFor<IMessage>(
      (resolve) => {
        this.waiter = resolve;
      },
      'MESSAGE',
      ms,
    );
  }

  get size(): number {
    return this.items.length;
  }
}

/** A raw STOMP-over-TCP socket for malformed input: write bytes, read parsed frames. */
export class RawStomp {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  private readonly frames: StompFrame[] = [];
  private waiter: ((f: StompFrame) => void) | undefined;
  private readonly parser = new FrameParser(
    { maxFrameSize: 64 * 1024 * 1024, maxHeaders: 1000, maxHeaderLength: 1024 * 1024 },
    (f) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = undefined;
        w(f);
      } else this.frames.push(f);
    },
  );

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.parser.push(chunk);
    });
    socket.on('error', () => undefined);
    this.closed = once(socket, 'close').then(() => undefined);
  }

  static async open(port: number): Promise<RawStomp> {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    return new RawStomp(socket);
  }

  /** Opens and logs in with STOMP 1.2 (guest/guest). */
  static async connected(port: number, version = '1.2'): Promise<RawStomp> {
    const raw = await RawStomp.open(port);
    raw.send(`CONNECT\naccept-version:${version}\nhost:/\nlogin:guest\npasscode:guest\n\n\0`);
    const frame = await raw.next();
    if (frame.command !== 'CONNECTED') throw new Error(`expected CONNECTED, got ${frame.command}`);
    const negotiated = frame.headers.get('version');
    if (negotiated === '1.1' || negotiated === '1.2') raw.parser.setVersion(negotiated);
    return raw;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  next(ms = TIMEOUT_MS): Promise<StompFrame> {
    const ready = this.frames.shift();
    if (ready) return Promise.resolve(ready);
    return waitFor<StompFrame>(
      (resolve) => {
        this.waiter = resolve;
      },
      'frame',
      ms,
    );
  }

  /** The next frame must be ERROR and the server must then close the socket. */
  async expectErrorAndClose(ms = TIMEOUT_MS): Promise<StompFrame> {
    const frame = await this.next(ms);
    if (frame.command !== 'ERROR') throw new Error(`expected ERROR, got ${frame.command}`);
    await waitFor<undefined>(
      (resolve) => {
        void this.closed.then(() => {
          resolve(undefined);
        });
      },
      'close',
      ms,
    );
    return frame;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
