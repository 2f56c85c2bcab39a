/**
 * One AMQP 0-9-1 connection: protocol header, the connection state machine (AMQP 0-9-1 §2.2.4:
 * start/start-ok, tune/tune-ok, open/open-ok, close/close-ok), heartbeats (§4.2.7), channel
 * multiplexing, batched writes with socket backpressure.
 */
import type { Duplex } from 'node:stream';
import type {
  AdapterContext,
  ConnectionInfo,
  ConnectionSummary,
  Logger,
  MemoryAlarm,
  Principal,
  PublishGate,
  VhostApi,
} from '../../src/spi.js';
import { AmqpError, REPLY, toAmqpError } from './amqp-error.js';
import { Amqp091Channel } from './channel.js';
import {
  decodeClientMethod,
  encodeMethod,
  isKnownMethod,
  METHOD,
  splitMethodId,
  type ClientMethod,
  type ServerMethodName,
  type ServerMethods,
} from './codec/defs.js';
import {
  FRAME_BODY,
  FRAME_HEADER,
  FRAME_HEARTBEAT,
  FRAME_METHOD,
  FRAME_MIN_SIZE,
  FrameParser,
} from './codec/frame-parser.js';
import type { Amqp091Options } from './options.js';
import { offeredMechanisms, parseSaslResponse } from './sasl.js';
import { traceFrame, traceWritten } from './frame-trace.js';

/** AMQP 0-9-1 §4.2.2: 'AMQP' 0 0 9 1. */
export const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
const HEARTBEAT_FRAME = Buffer.from([FRAME_HEARTBEAT, 0, 0, 0, 0, 0, 0, 0xce]);
/** Bytes queued in one tick before writing them out at once. */
const FLUSH_BYTES = 64 * 1024;

const SERVER_PROPERTIES = {
  product: 'multiproto-gateway',
  version: '0.1.0',
  platform: `Node.js ${process.version}`,
  copyright: 'MIT',
  information: 'AMQP 0-9-1 adapter of the multi-protocol gateway',
  capabilities: {
    publisher_confirms: true,
    exchange_exchange_bindings: true,
    'basic.nack': true,
    consumer_cancel_notify: true,
    'connection.blocked': true,
    consumer_priorities: false,
    authentication_failure_close: true,
    per_consumer_qos: true,
    direct_reply_to: true,
  },
};

type State =
  'header' | 'start-ok' | 'authenticating' | 'tune-ok' | 'open' | 'opened' | 'closing' | 'closed';

export class Amqp091Connection {
  readonly id: string;
  readonly info: ConnectionInfo;
  readonly ctx: AdapterContext<Amqp091Options>;
  readonly options: Amqp091Options;
  readonly log: Logger;
  readonly #stream: Duplex;
  readonly #parser: FrameParser;
  readonly #onClosed: (conn: Amqp091Connection) => void;
  readonly #channels = new Map<number, Amqp091Channel>();
  #state: State = 'header';
  #header = Buffer.alloc(0);
  principal: Principal | undefined;
  vhost: VhostApi | undefined;
  vhostName = '';
  #channelMax: number;
  frameMax = FRAME_MIN_SIZE;
  #heartbeat = 0;
  #out: Buffer[] = [];
  #outBytes = 0;
  #flushScheduled = false;
  #wroteSinceTick = false;
  #readSinceTick = false;
  #missedTicks = 0;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #handshakeTimer: NodeJS.Timeout | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  #closedWaiters: (() => void)[] = [];
  /** Message counts reported to the metrics once per tick rather than per message. */
  #messagesIn = 0;
  #messagesOut = 0;
  #cleanedUp = false;
  readonly #alarm: MemoryAlarm;
  readonly #unsubscribeAlarm: () => void;
  /** The gateway's publish rate limit and memory alarm for this connection. */
  readonly #publishGate: PublishGate;
  /** The client asked for connection.blocked notifications (capability). */
  #blockedNotify = false;
  /** This connection published since it opened: the alarm blocks it. */
  #publishing = false;
  /** Reading is paused by the memory alarm. */
  #blocked = false;
  /** Reading is paused by the publish gate (rate limit). */
  #gateHeld = false;

  constructor(
    stream: Duplex,
    info: ConnectionInfo,
    ctx: AdapterContext<Amqp091Options>,
    alarm: MemoryAlarm,
    onClosed: (conn: Amqp091Connection) => void,
  ) {
    this.#stream = stream;
    this.info = info;
    this.id = info.id;
    this.ctx = ctx;
    this.options = ctx.config;
    this.#channelMax = ctx.config.channelMax;
    this.log = ctx.log.child({ connId: info.id });
    this.#onClosed = onClosed;
    this.#alarm = alarm;
    this.#unsubscribeAlarm = alarm.subscribe((raised) => {
      this.#onAlarm(raised);
    });
    this.#publishGate = ctx.publishGate({
      pause: () => {
        this.#gateHeld = true;
        stream.pause();
      },
      resume: () => {
        this.#gateHeld = false;
        stream.resume();
      },
    });
    this.#parser = new FrameParser(FRAME_MIN_SIZE, (type, channel, payload) => {
      this.#onFrame(type, channel, payload);
    });
    stream.on('data', (chunk: Buffer) => {
      this.#onData(chunk);
    });
    stream.on('error', (err) => {
      this.log.debug({ err }, 'socket error');
      stream.destroy();
    });
    stream.on('close', () => {
      this.#cleanup();
    });
    // Half-open streams (WebSocket, allowHalfOpen sockets) would linger after the peer's FIN.
    stream.on('end', () => {
      stream.end();
    });
    stream.on('drain', () => {
      for (const ch of this.#channels.values()) ch.pump();
    });
    this.#handshakeTimer = setTimeout(() => {
      this.log.debug({ state: this.#state }, 'handshake timeout');
      stream.destroy();
    }, this.options.handshakeTimeoutMs);
  }

  summary(): ConnectionSummary {
    return {
      id: this.id,
      protocol: 'amqp091',
      remoteAddress: this.info.remoteAddress,
      user: this.principal?.username,
      vhost: this.vhostName || undefined,
    };
  }

  // ------------------------------------------------------------------ output

  /** False while the socket asks us to wait for 'drain': consumers pause. */
  get writable(): boolean {
    return !this.#stream.writableNeedDrain && !this.#cleanedUp;
  }

  get closed(): boolean {
    return this.#cleanedUp;
  }

  send(buf: Buffer): void {
    if (this.#cleanedUp) return;
    this.#out.push(buf);
    this.#outBytes += buf.length;
    this.#afterQueue();
  }

  sendAll(bufs: readonly Buffer[]): void {
    if (this.#cleanedUp) return;
    for (const b of bufs) {
      this.#out.push(b);
      this.#outBytes += b.length;
    }
    this.#afterQueue();
  }

  sendMethod<N extends ServerMethodName>(channel: number, name: N, fields: ServerMethods[N]): void {
    this.send(encodeMethod(name, channel, fields));
  }

  #afterQueue(): void {
    this.#wroteSinceTick = true;
    if (this.#outBytes >= FLUSH_BYTES) this.#flush();
    else this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(() => {
      this.#flush();
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    this.#reportCounts();
    const out = this.#out;
    if (this.ctx.frameTracer.enabled)
      for (const b of out) traceWritten(this.ctx.frameTracer, this.log, b);
    if (out.length === 0 || this.#stream.destroyed) return;
    this.#out = [];
    this.#outBytes = 0;
    if (out.length === 1) {
      this.#stream.write(out[0]);
      return;
    }
    this.#stream.cork();
    for (const b of out) this.#stream.write(b);
    this.#stream.uncork();
  }

  countIn(): void {
    this.#messagesIn++;
    this.#publishGate.published();
    this.#scheduleFlush();
  }

  countOut(): void {
    this.#messagesOut++;
  }

  #reportCounts(): void {
    if (this.#messagesIn > 0) this.ctx.metrics.messagesIn('amqp091', this.#messagesIn);
    if (this.#messagesOut > 0) this.ctx.metrics.messagesOut('amqp091', this.#messagesOut);
    this.#messagesIn = 0;
    this.#messagesOut = 0;
  }

  // ------------------------------------------------------------------ input

  #onData(chunk: Buffer): void {
    this.#readSinceTick = true;
    try {
      if (this.#state === 'header') {
        this.#onHeaderBytes(chunk);
      } else {
        this.#parser.push(chunk);
      }
    } catch (err) {
      const e = toAmqpError(err, 0);
      if (e.replyCode === REPLY.INTERNAL_ERROR) this.log.error({ err }, 'internal error');
      this.fail(e);
      // A framing error leaves the byte stream unusable: no close-ok can be read, so the
      // connection.close goes out and the socket ends at once.
      if (e.replyCode === REPLY.FRAME_ERROR) this.#endSoon();
    }
  }

  /** AMQP 0-9-1 §4.2.2: a wrong protocol header gets ours back, then the socket closes. */
  #onHeaderBytes(chunk: Buffer): void {
    this.#header = Buffer.concat([this.#header, chunk]);
    const n = Math.min(this.#header.length, PROTOCOL_HEADER.length);
    if (!this.#header.subarray(0, n).equals(PROTOCOL_HEADER.subarray(0, n))) {
      this.log.debug(
        { header: this.#header.subarray(0, 8).toString('hex') },
        'bad protocol header',
      );
      this.#state = 'closed';
      this.#flush();
      this.#stream.end(PROTOCOL_HEADER);
      return;
    }
    if (this.#header.length < PROTOCOL_HEADER.length) return;
    const rest = this.#header.subarray(PROTOCOL_HEADER.length);
    this.#header = Buffer.alloc(0);
    this.#state = 'start-ok';
    this.sendMethod(0, 'ConnectionStart', {
      versionMajor: 0,
      versionMinor: 9,
      serverProperties: SERVER_PROPERTIES,
      mechanisms: Buffer.from(offeredMechanisms(this.info).join(' ')),
      locales: Buffer.from('en_US'),
    });
    if (rest.length > 0) this.#parser.push(rest);
  }

  #onFrame(type: number, channel: number, payload: Buffer): void {
    if (this.ctx.frameTracer.enabled)
      traceFrame(this.ctx.frameTracer, this.log, 'in', type, payload);
    if (type === FRAME_HEARTBEAT) {
      if (channel !== 0)
        throw new AmqpError(REPLY.FRAME_ERROR, 'heartbeat frame on a non-zero channel');
      return;
    }
    if (type !== FRAME_METHOD && type !== FRAME_HEADER && type !== FRAME_BODY) {
      throw new AmqpError(REPLY.FRAME_ERROR, `unknown frame type ${type}`);
    }
    if (this.#state === 'closing') {
      if (type === FRAME_METHOD && channel === 0) this.#onClosingMethod(payload);
      return;
    }
    if (this.#state !== 'opened') {
      this.#onHandshakeFrame(type, channel, payload);
      return;
    }
    if (channel === 0) {
      if (type !== FRAME_METHOD)
        throw new AmqpError(REPLY.UNEXPECTED_FRAME, 'content frame on channel 0');
      this.#onConnectionMethod(decode(payload));
      return;
    }
    if (channel > this.#channelMax) {
      throw new AmqpError(
        REPLY.CHANNEL_ERROR,
        `channel ${channel} above channel-max ${this.#channelMax}`,
      );
    }
    const ch = this.#channels.get(channel);
    if (type !== FRAME_METHOD) {
      if (!ch)
        throw new AmqpError(REPLY.CHANNEL_ERROR, `content frame on unopened channel ${channel}`);
      ch.run(() => {
        this.#guard(ch, 0, () => {
          if (type === FRAME_HEADER) ch.onContentHeader(payload);
          else ch.onContentBody(payload);
        });
      });
      return;
    }
    const method = decode(payload);
    if (!ch) {
      if (method.name !== 'ChannelOpen') {
        throw new AmqpError(REPLY.CHANNEL_ERROR, `expected channel.open on channel ${channel}`, {
          methodId: method.id,
        });
      }
      const opened = new Amqp091Channel(this, channel);
      this.#channels.set(channel, opened);
      this.sendMethod(channel, 'ChannelOpenOk', { channelId: Buffer.alloc(0) });
      return;
    }
    if (method.name === 'ChannelOpen' && !ch.closing) {
      throw new AmqpError(REPLY.CHANNEL_ERROR, `channel ${channel} already open`, {
        methodId: method.id,
      });
    }
    ch.run(() => {
      this.#guard(ch, method.id, () => {
        ch.onMethod(method);
      });
    });
  }

  /** Runs a channel operation: soft errors close the channel, hard ones propagate. */
  #guard(ch: Amqp091Channel, methodId: number, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.channelError(ch, err, methodId);
    }
  }

  /** Reports an error raised by `ch` (also from async work such as confirms). */
  channelError(ch: Amqp091Channel, err: unknown, methodId: number): void {
    const e = toAmqpError(err, methodId);
    if (e.scope === 'connection') {
      if (e.replyCode === REPLY.INTERNAL_ERROR) this.log.error({ err }, 'internal error');
      this.fail(e);
      return;
    }
    ch.closeWithError(e);
  }

  /** The channel finished its close handshake. */
  channelClosed(channel: number): void {
    this.#channels.delete(channel);
  }

  // ------------------------------------------------------------------ handshake

  #onHandshakeFrame(type: number, channel: number, payload: Buffer): void {
    if (type !== FRAME_METHOD || channel !== 0) {
      throw new AmqpError(
        REPLY.UNEXPECTED_FRAME,
        'only connection methods are allowed during the handshake',
      );
    }
    const m = decode(payload);
    if (m.name === 'ConnectionClose') {
      this.#onPeerClose();
      return;
    }
    const expected = EXPECTED[this.#state];
    if (m.name !== expected) {
      throw new AmqpError(
        REPLY.COMMAND_INVALID,
        `expected ${expected ?? 'nothing'}, got ${m.name}`,
        {
          methodId: m.id,
        },
      );
    }
    if (m.name === 'ConnectionStartOk') {
      const caps = m.fields.clientProperties['capabilities'];
      this.#blockedNotify = isTable(caps) && caps['connection.blocked'] === true;
      this.#state = 'authenticating';
      void this.#authenticate(m.fields.mechanism, m.fields.response);
    } else if (m.name === 'ConnectionTuneOk') {
      this.#onTuneOk(m.fields);
    } else if (m.name === 'ConnectionOpen') {
      this.#onOpen(m.fields.virtualHost, m.id);
    }
  }

  async #authenticate(mechanism: string, response: Buffer): Promise<void> {
    try {
      const creds = parseSaslResponse(mechanism, response);
      this.principal = await this.ctx.authn.authenticate(creds, this.info);
    } catch (err) {
      if (this.#state !== 'authenticating') return;
      this.log.debug({ err }, 'authentication failed');
      // authentication_failure_close: tell the client why before closing.
      this.fail(
        new AmqpError(
          REPLY.ACCESS_REFUSED,
          `Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile.`,
          { scope: 'connection', methodId: METHOD.ConnectionStartOk },
        ),
      );
      return;
    }
    if (this.#state !== 'authenticating') return;
    this.#state = 'tune-ok';
    this.sendMethod(0, 'ConnectionTune', {
      channelMax: this.options.channelMax,
      frameMax: this.options.frameMax,
      heartbeat: this.options.heartbeat,
    });
  }

  /** §4.2.4 / connection.tune-ok: the client may only lower our limits. */
  #onTuneOk(f: { channelMax: number; frameMax: number; heartbeat: number }): void {
    const tuneOk = METHOD.ConnectionTuneOk;
    const frameMax = f.frameMax === 0 ? this.options.frameMax : f.frameMax;
    if (frameMax < FRAME_MIN_SIZE || frameMax > this.options.frameMax) {
      throw new AmqpError(
        REPLY.NOT_ALLOWED,
        `frame_max=${f.frameMax} outside ${FRAME_MIN_SIZE}..${this.options.frameMax}`,
        { methodId: tuneOk },
      );
    }
    const channelMax = f.channelMax === 0 ? this.options.channelMax : f.channelMax;
    if (channelMax > this.options.channelMax) {
      throw new AmqpError(
        REPLY.NOT_ALLOWED,
        `channel_max=${channelMax} exceeds ${this.options.channelMax}`,
        {
          methodId: tuneOk,
        },
      );
    }
    this.frameMax = frameMax;
    this.#parser.frameMax = frameMax;
    this.#channelMax = channelMax;
    this.#heartbeat = f.heartbeat;
    this.#startHeartbeat();
    this.#state = 'open';
  }

  #onOpen(virtualHost: string, methodId: number): void {
    const principal = this.principal;
    if (principal?.vhosts && !principal.vhosts.includes(virtualHost)) {
      throw new AmqpError(
        REPLY.NOT_ALLOWED,
        `access to vhost '${virtualHost}' refused for user '${principal.username}'`,
        {
          methodId,
        },
      );
    }
    try {
      this.vhost = this.ctx.broker.vhost(virtualHost);
    } catch (err) {
      throw new AmqpError(REPLY.NOT_ALLOWED, `vhost '${virtualHost}' not found`, {
        methodId,
        cause: err,
      });
    }
    this.vhostName = virtualHost;
    this.#state = 'opened';
    clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
    this.ctx.metrics.connectionOpened('amqp091');
    this.sendMethod(0, 'ConnectionOpenOk', { knownHosts: '' });
  }

  // ------------------------------------------------------------------ memory alarm

  /** A publish completed on one of our channels: under the alarm, block from now on. */
  published(): void {
    if (this.#publishing) return;
    this.#publishing = true;
    if (this.#alarm.raised) this.#block();
  }

  #onAlarm(raised: boolean): void {
    if (this.#state !== 'opened') return;
    if (raised && this.#publishing) this.#block();
    else if (!raised && this.#blocked) {
      this.#blocked = false;
      if (this.#blockedNotify) this.sendMethod(0, 'ConnectionUnblocked', {});
      // Still over its publish rate: the gate resumes reading when tokens are back.
      if (!this.#gateHeld) this.#stream.resume();
    }
  }

  /** RabbitMQ: a publishing connection is told (connection.blocked) and no longer read. */
  #block(): void {
    if (this.#blocked) return;
    this.#blocked = true;
    if (this.#blockedNotify) this.sendMethod(0, 'ConnectionBlocked', { reason: 'low on memory' });
    this.#stream.pause();
  }

  // ------------------------------------------------------------------ heartbeats (§4.2.7)

  #startHeartbeat(): void {
    if (this.#heartbeat === 0) return;
    // Tick twice per interval: send when we were silent, close after two silent intervals.
    this.#heartbeatTimer = setInterval(() => {
      if (!this.#wroteSinceTick) this.send(HEARTBEAT_FRAME);
      this.#wroteSinceTick = false;
      // Blocked by the memory alarm we stop reading: silence is ours then, not the peer's.
      if (this.#readSinceTick || this.#blocked || this.#gateHeld) {
        this.#missedTicks = 0;
      } else if (++this.#missedTicks >= 4) {
        this.log.debug({ heartbeat: this.#heartbeat }, 'missed heartbeats');
        this.#stream.destroy();
      }
      this.#readSinceTick = false;
    }, this.#heartbeat * 500);
  }

  // ------------------------------------------------------------------ connection methods

  #onConnectionMethod(m: ClientMethod): void {
    switch (m.name) {
      case 'ConnectionClose':
        this.#onPeerClose();
        return;
      case 'ConnectionBlocked':
      case 'ConnectionUnblocked':
        return;
      case 'ConnectionUpdateSecret':
        this.sendMethod(0, 'ConnectionUpdateSecretOk', {});
        return;
      default:
        throw new AmqpError(REPLY.COMMAND_INVALID, `${m.name} is not a connection method`, {
          methodId: m.id,
        });
    }
  }

  #onClosingMethod(payload: Buffer): void {
    let m: ClientMethod;
    try {
      m = decode(payload);
    } catch {
      return;
    }
    if (m.name === 'ConnectionCloseOk') {
      this.#stream.destroy();
    } else if (m.name === 'ConnectionClose') {
      // Both sides closed at once: answer and go.
      this.sendMethod(0, 'ConnectionCloseOk', {});
      this.#endSoon();
    }
  }

  #onPeerClose(): void {
    this.#state = 'closing';
    this.#releaseChannels();
    this.sendMethod(0, 'ConnectionCloseOk', {});
    this.#endSoon();
  }

  #endSoon(): void {
    this.#parser.stop();
    this.#flush();
    this.#stream.end();
    this.#closeTimer ??= setTimeout(() => this.#stream.destroy(), this.options.closeTimeoutMs);
  }

  /** Hard error (§1.2, reply codes 5xx, 403 at login): connection.close, then wait close-ok. */
  fail(err: AmqpError): void {
    if (this.#state === 'closing' || this.#state === 'closed' || this.#cleanedUp) return;
    this.log.debug(
      { replyCode: err.replyCode, reason: err.message },
      'closing connection on error',
    );
    this.#beginClose(err.replyCode, err.replyText, err.methodId);
  }

  #beginClose(replyCode: number, replyText: string, methodId: number): void {
    this.#state = 'closing';
    this.#releaseChannels();
    const { classId, methodId: mId } = splitMethodId(methodId);
    this.sendMethod(0, 'ConnectionClose', { replyCode, replyText, classId, methodId: mId });
    this.#flush();
    this.#closeTimer = setTimeout(() => this.#stream.destroy(), this.options.closeTimeoutMs);
  }

  /** Adapter stop: 320 CONNECTION_FORCED when graceful, else drop the socket. */
  shutdown(graceful: boolean): Promise<void> {
    if (this.#cleanedUp) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.#closedWaiters.push(resolve));
    if (graceful) this.forceClose('shutdown');
    else this.#stream.destroy();
    return done;
  }

  /** RabbitMQ's forced close (shutdown, management): 320 CONNECTION_FORCED with the reason. */
  forceClose(reason: string): void {
    if (this.#state !== 'opened') {
      this.#stream.destroy();
      return;
    }
    const text = new AmqpError(
      REPLY.CONNECTION_FORCED,
      `broker forced connection closure with reason '${reason}'`,
    );
    this.#beginClose(text.replyCode, text.replyText, 0);
  }

  #releaseChannels(): void {
    for (const ch of this.#channels.values()) ch.release();
    this.#channels.clear();
    if (this.vhost) this.vhost.releaseConnection(this.id);
  }

  #cleanup(): void {
    if (this.#cleanedUp) return;
    const wasOpen =
      this.#state === 'opened' || (this.#state === 'closing' && this.vhost !== undefined);
    this.#state = 'closed';
    this.#parser.stop();
    clearTimeout(this.#handshakeTimer);
    clearTimeout(this.#closeTimer);
    clearInterval(this.#heartbeatTimer);
    this.#unsubscribeAlarm();
    this.#publishGate.close();
    this.#releaseChannels();
    this.#cleanedUp = true;
    this.#out = [];
    this.#reportCounts();
    if (wasOpen) this.ctx.metrics.connectionClosed('amqp091');
    this.#onClosed(this);
    for (const w of this.#closedWaiters.splice(0)) w();
  }
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const EXPECTED: Partial<Record<State, ClientMethod['name']>> = {
  'start-ok': 'ConnectionStartOk',
  'tune-ok': 'ConnectionTuneOk',
  open: 'ConnectionOpen',
};

/** Decodes a method frame: 501 when the arguments do not parse, 540 for an unknown method,
 * 503 for a method only a server may send. */
function decode(payload: Buffer): ClientMethod {
  if (payload.length < 4) throw new AmqpError(REPLY.FRAME_ERROR, 'method frame too short');
  let m: ClientMethod | undefined;
  const id = payload.readUInt32BE(0);
  try {
    m = decodeClientMethod(payload);
  } catch (err) {
    throw new AmqpError(REPLY.FRAME_ERROR, `cannot decode method ${id >>> 16}/${id & 0xffff}`, {
      methodId: id,
      cause: err,
    });
  }
  if (m) return m;
  if (isKnownMethod(id)) {
    throw new AmqpError(
      REPLY.COMMAND_INVALID,
      `method ${id >>> 16}/${id & 0xffff} is sent by servers only`,
      {
        methodId: id,
      },
    );
  }
  throw new AmqpError(REPLY.NOT_IMPLEMENTED, `unknown method ${id >>> 16}/${id & 0xffff}`, {
    methodId: id,
  });
}
