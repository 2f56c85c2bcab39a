import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { isCoordinatorAttach } from './attach-peek.js';
import { withUndecodedMessages } from './rhea-internals.js';
import { peekTransfer } from './transfer-peek.js';

/** `AMQP 3 1 0 0`: what we answer to a header we do not speak (AMQP 1.0 2.2, 5.3.1). */
export const SASL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);
const AMQP_MAGIC = 0x414d5150; // 'AMQP'
const HEADER_SIZE = 8;
const FRAME_HEADER_SIZE = 8;

export interface FrameLimits {
  /** Largest frame after SASL (our `open` max-frame-size). */
  readonly maxFrameSize: number;
  /** Largest SASL frame. */
  readonly maxSaslFrameSize: number;
  /** Highest channel number a frame may use (our `open` channel-max). */
  readonly channelMax: number;
  /** Largest message: the transfer frames of one delivery, counted as they arrive. */
  readonly maxMessageSize: number;
  /** How long a peer gets to close its side after we ended ours. */
  readonly closeTimeoutMs: number;
}

export interface FrameViolation {
  readonly condition: string;
  readonly description: string;
  /** True before the AMQP layer is up: no `close` frame can be sent, only the socket cut. */
  readonly beforeOpen: boolean;
}

type Phase = 'sasl-header' | 'sasl' | 'amqp-header' | 'amqp' | 'stopped';

/**
 * The socket rhea sees. rhea has no limit on incoming frame sizes and drops the rest of a read
 * buffer when a frame handler throws, so we cut the byte stream into whole frames here: each
 * `data` event carries exactly one protocol header or one frame, checked against the size
 * limits first. A frame that makes rhea throw then costs only itself, and the connection can
 * answer with a precise error instead of a dropped socket.
 */
export class FrameGuard extends EventEmitter {
  readonly #stream: Duplex;
  readonly #limits: FrameLimits;
  readonly #onViolation: (v: FrameViolation) => void;
  #phase: Phase = 'sasl-header';
  #chunks: Buffer[] = [];
  #buffered = 0;
  #ending = false;
  #saslOk = false;
  /** Frames rhea wrote since the last flush (it writes each frame separately). */
  #out: Buffer[] = [];
  #outBytes = 0;
  #flushing: NodeJS.Immediate | undefined;
  /** Bytes so far of multi-frame deliveries in progress, by channel and handle. */
  readonly #partial = new Map<number, number>();
  #endEmitted = false;
  #closeTimer: NodeJS.Timeout | undefined;
  /** Set by the connection when it answered a rhea error at session level: rhea's reflex of
   * ending the socket after any error is then skipped once. */
  keepOpenOnce = false;
  /** The channel of the frame rhea is reading (to find the session a fault belongs to). */
  lastChannel: number | undefined;
  /** The frame rhea is reading attaches a transaction coordinator (see attach-peek.ts). */
  coordinatorAttach = false;

  constructor(stream: Duplex, limits: FrameLimits, onViolation: (v: FrameViolation) => void) {
    super();
    this.#stream = stream;
    this.#limits = limits;
    this.#onViolation = onViolation;
    stream.on('data', (chunk: Buffer) => {
      this.#push(chunk);
    });
    stream.on('error', (err) => this.emit('error', err));
    stream.on('drain', () => this.emit('drain'));
    stream.once('end', () => {
      this.#closed();
    });
    stream.once('close', () => {
      this.#closed();
    });
  }

  /** The outgoing side is backed up: stop producing deliveries until 'drain'. */
  get writeBlocked(): boolean {
    return this.#stream.writableNeedDrain;
  }

  /** rhea writes every frame separately. The frames of one event-loop turn (everything the
   * socket reads of that turn produced) go out as one buffer in one write: a writev of many
   * small buffers costs far more than copying them. */
  write(buf: Buffer): boolean {
    const stream = this.#stream;
    if (stream.destroyed || stream.writableEnded) return false;
    this.#out.push(buf);
    this.#outBytes += buf.length;
    this.#flushing ??= setImmediate(() => {
      this.#flush();
    });
    return true;
  }

  #flush(): void {
    this.#flushing = undefined;
    const out = this.#out;
    if (out.length === 0 || this.#stream.destroyed || this.#stream.writableEnded) return;
    const data = out.length === 1 ? out[0] : Buffer.concat(out, this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    if (data) this.#stream.write(data);
  }

  /** rhea ends the socket after a close exchange or an error. Ending waits for the frames rhea
   * queues on the next tick (a `close` carrying the error), and a peer that never closes its
   * side is cut after `closeTimeoutMs`. */
  end(): void {
    if (this.keepOpenOnce) {
      this.keepOpenOnce = false;
      return;
    }
    if (this.#ending) return;
    this.#ending = true;
    this.#phase = 'stopped';
    setImmediate(() => {
      this.#flush();
      if (!this.#stream.destroyed) this.#stream.end();
    });
    this.#closeTimer = setTimeout(() => this.#stream.destroy(), this.#limits.closeTimeoutMs);
  }

  destroy(): void {
    this.#phase = 'stopped';
    this.#stream.destroy();
  }

  /** Ignore further input (after a violation) and end the connection. */
  stop(): void {
    this.#phase = 'stopped';
    this.#chunks = [];
    this.#buffered = 0;
  }

  /** Answer an unacceptable protocol header with ours and close (AMQP 1.0 2.2). */
  #refuseHeader(): void {
    this.stop();
    this.write(SASL_HEADER);
    this.end();
  }

  #closed(): void {
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    if (this.#flushing) clearImmediate(this.#flushing);
    this.#flushing = undefined;
    this.#out = [];
    this.#phase = 'stopped';
    if (this.#endEmitted) return;
    this.#endEmitted = true;
    this.emit('end');
  }

  /** SASL said ok: frames a client pipelined after its sasl-init (the AMQP header, open) may
   * now reach rhea, whose SASL layer would otherwise misread them while the login is pending. */
  saslSucceeded(): void {
    this.#saslOk = true;
    if (this.#buffered > 0) this.#push(Buffer.alloc(0));
  }

  #push(chunk: Buffer): void {
    if (this.#phase === 'stopped') return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    let buf = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#buffered);
    let offset = 0;
    for (;;) {
      const phase = this.#phase as Phase;
      if (phase === 'stopped') return;
      const rest = buf.length - offset;
      if (phase === 'sasl-header' || phase === 'amqp-header') {
        if (rest < HEADER_SIZE || (phase === 'amqp-header' && !this.#saslOk)) break;
        if (!this.#headerOk(buf, offset)) {
          this.#refuseHeader();
          return;
        }
        const header = buf.subarray(offset, offset + HEADER_SIZE);
        offset += HEADER_SIZE;
        this.#phase = phase === 'sasl-header' ? 'sasl' : 'amqp';
        this.emit('data', header);
        continue;
      }
      if (rest < 4) break;
      const size = buf.readUInt32BE(offset);
      if (phase === 'sasl' && size === AMQP_MAGIC) {
        // The client's AMQP header after a successful SASL outcome.
        this.#phase = 'amqp-header';
        continue;
      }
      const max = phase === 'sasl' ? this.#limits.maxSaslFrameSize : this.#limits.maxFrameSize;
      const doff = rest >= 5 ? buf.readUInt8(offset + 4) : 2;
      if (size < FRAME_HEADER_SIZE || size > max || doff < 2 || doff * 4 > size) {
        this.stop();
        this.#onViolation({
          condition: 'amqp:connection:framing-error',
          description:
            size > max
              ? `frame of ${size} bytes exceeds max-frame-size ${max}`
              : `malformed frame header (size ${size}, doff ${doff})`,
          beforeOpen: phase === 'sasl',
        });
        return;
      }
      if (rest < size) break;
      const frame = buf.subarray(offset, offset + size);
      offset += size;
      this.lastChannel = frame.readUInt16BE(6);
      if (phase === 'amqp' && !this.#channelOk(this.lastChannel)) return;
      if (phase === 'amqp' && !this.#messageSizeOk(frame, this.lastChannel)) return;
      this.coordinatorAttach = phase === 'amqp' && isCoordinatorAttach(frame);
      withUndecodedMessages(() => this.emit('data', frame));
    }
    if (offset === buf.length) {
      this.#chunks = [];
      this.#buffered = 0;
    } else {
      buf = buf.subarray(offset);
      this.#chunks = [buf];
      this.#buffered = buf.length;
    }
  }

  /** A frame (a `begin`, or anything after it) on a channel above the channel-max we
   * announced: connection error framing-error (AMQP 1.0 2.7.1 channel-max, 2.7.2 begin). */
  #channelOk(channel: number): boolean {
    if (channel <= this.#limits.channelMax) return true;
    this.stop();
    this.#onViolation({
      condition: 'amqp:connection:framing-error',
      description: `channel ${channel} is above channel-max ${this.#limits.channelMax}`,
      beforeOpen: false,
    });
    return false;
  }

  /** rhea joins the frames of a delivery with no limit: count them here (AMQP 1.0 2.7.3
   * max-message-size; a bigger message gets amqp:link:message-size-exceeded). */
  #messageSizeOk(frame: Buffer, channel: number): boolean {
    const head = peekTransfer(frame);
    if (!head) return true;
    const key = channel * 0x1_0000_0000 + head.handle;
    const total = (this.#partial.get(key) ?? 0) + frame.length;
    if (total > this.#limits.maxMessageSize) {
      this.stop();
      this.#onViolation({
        condition: 'amqp:link:message-size-exceeded',
        description: `message exceeds max-message-size ${this.#limits.maxMessageSize}`,
        beforeOpen: false,
      });
      return false;
    }
    if (head.more) this.#partial.set(key, total);
    else this.#partial.delete(key);
    return true;
  }

  /** `AMQP 3 1 0 0` first (we require SASL), then `AMQP 0 1 0 0` after the SASL outcome. */
  #headerOk(buf: Buffer, offset: number): boolean {
    const id = this.#phase === 'sasl-header' ? 3 : 0;
    return (
      buf.readUInt32BE(offset) === AMQP_MAGIC &&
      buf[offset + 4] === id &&
      buf[offset + 5] === 1 &&
      buf[offset + 6] === 0 &&
      buf[offset + 7] === 0
    );
  }
}
