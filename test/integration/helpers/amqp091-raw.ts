/**
 * A byte-level AMQP 0-9-1 peer for tests that must send what no real client sends (bad headers,
 * oversized or unterminated frames, unknown methods). Method bodies are encoded and decoded
 * with amqplib's generated codec; frames are parsed with the adapter's own parser.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { FrameParser } from '../../../adapters/amqp091/codec/frame-parser.js';

interface Defs {
  decode(id: number, payload: Buffer): Record<string, unknown>;
  encodeMethod(id: number, channel: number, fields: Record<string, unknown>): Buffer;
  encodeProperties(
    id: number,
    channel: number,
    size: number,
    fields: Record<string, unknown>,
  ): Buffer;
  info(id: number): { name: string };
}
const require = createRequire(import.meta.url);
export const defs = require(
  path.join(path.dirname(require.resolve('amqplib')), 'lib', 'defs.js'),
) as Defs & Record<string, number>;

export interface RawFrame {
  readonly type: number;
  readonly channel: number;
  readonly payload: Buffer;
  /** Method name and fields for method frames. */
  readonly method?: string | undefined;
  readonly fields?: Record<string, unknown> | undefined;
}

export const HEADER_091 = Buffer.from('AMQP\x00\x00\x09\x01', 'latin1');

export class RawPeer {
  readonly socket: net.Socket;
  readonly frames: RawFrame[] = [];
  /** Bytes received before framing started (the server's protocol header on refusal). */
  raw = Buffer.alloc(0);
  closed: Promise<void>;
  #waiters: (() => void)[] = [];
  readonly #parser = new FrameParser(1 << 20, (type, channel, payload) => {
    let method: string | undefined;
    let fields: Record<string, unknown> | undefined;
    if (type === 1) {
      const id = payload.readUInt32BE(0);
      method = defs.info(id).name;
      fields = defs.decode(id, payload.subarray(4));
    }
    this.frames.push({
      type,
      channel,
      payload: Buffer.from(payload),
      ...(method ? { method, fields } : {}),
    });
  });

  private constructor(socket: net.Socket, framed: boolean) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      if (framed) this.#parser.push(chunk);
      else this.raw = Buffer.concat([this.raw, chunk]);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        for (const w of this.#waiters.splice(0)) w();
        resolve();
      }),
    );
  }

  /** Connects; `framed` = parse the server's bytes as frames (off to read a refused header). */
  static async connect(port: number, framed = true): Promise<RawPeer> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawPeer(socket, framed);
  }

  /** Connects, sends the 0-9-1 header and answers connection.start with PLAIN guest/<password>. */
  static async startedWith(port: number, password: string): Promise<RawPeer> {
    const peer = await RawPeer.connect(port);
    peer.socket.write(HEADER_091);
    await peer.expectMethod('ConnectionStart');
    peer.method(defs.ConnectionStartOk as number, 0, {
      clientProperties: {},
      mechanism: 'PLAIN',
      response: Buffer.from(`\u0000guest\u0000${password}`),
      locale: 'en_US',
    });
    return peer;
  }

  /** Connects and completes the handshake as guest, with channel 1 open. */
  static async open(
    port: number,
    tune: { heartbeat?: number; frameMax?: number } = {},
  ): Promise<RawPeer> {
    const peer = await RawPeer.startedWith(port, 'guest');
    const t = await peer.expectMethod('ConnectionTune');
    peer.method(defs.ConnectionTuneOk as number, 0, {
      channelMax: 0,
      frameMax: tune.frameMax ?? t.fields?.['frameMax'],
      heartbeat: tune.heartbeat ?? 0,
    });
    peer.method(defs.ConnectionOpen as number, 0, { virtualHost: '/' });
    await peer.expectMethod('ConnectionOpenOk');
    peer.method(defs.ChannelOpen as number, 1, {});
    await peer.expectMethod('ChannelOpenOk');
    return peer;
  }

  method(id: number, channel: number, fields: Record<string, unknown>): void {
    this.socket.write(defs.encodeMethod(id, channel, fields));
  }

  frame(type: number, channel: number, payload: Buffer, end = 0xce): void {
    const b = Buffer.alloc(8 + payload.length);
    b[0] = type;
    b.writeUInt16BE(channel, 1);
    b.writeUInt32BE(payload.length, 3);
    payload.copy(b, 7);
    b[b.length - 1] = end;
    this.socket.write(b);
  }

  /** Waits until `pred` holds for the frames received so far (or the socket closed). */
  async until<T>(pred: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v !== undefined) return v;
      if (this.socket.destroyed || Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; got ${this.frames.map((f) => f.method ?? f.type).join(',')}`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  expectMethod(name: string, timeoutMs?: number): Promise<RawFrame> {
    return this.until(
      () => {
        const i = this.frames.findIndex((f) => f.method === name);
        if (i < 0) return undefined;
        const [f] = this.frames.splice(0, i + 1).slice(-1);
        return f;
      },
      name,
      timeoutMs,
    );
  }

  close(): void {
    this.socket.destroy();
  }
}
