/**
 * Incremental AMQP 0-9-1 frame parser (AMQP 0-9-1 §2.3.5, §4.2.3): a 7-byte header (type,
 * channel, size), the payload, and the frame-end octet 0xCE. Payloads are handed out as views of
 * the input chunks when a frame lies inside one chunk (no copy on the hot path).
 */
import { AmqpError, REPLY } from '../amqp-error.js';

export const FRAME_METHOD = 1;
export const FRAME_HEADER = 2;
export const FRAME_BODY = 3;
export const FRAME_HEARTBEAT = 8;
export const FRAME_END = 0xce;
/** Header (7) plus frame-end (1): frame-max counts the whole frame. */
export const FRAME_OVERHEAD = 8;
/** The smallest frame-max a peer may ask for (§4.2.3 frame-min-size). */
export const FRAME_MIN_SIZE = 4096;

export type FrameHandler = (type: number, channel: number, payload: Buffer) => void;

export class FrameParser {
  /** Largest frame accepted, overhead included (negotiated `frame-max`). */
  frameMax: number;
  private readonly onFrame: FrameHandler;
  /** Bytes of an incomplete frame, kept as chunks until `needed` bytes are there. */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private needed = 0;
  private stopped = false;

  /** Re-read on every frame: a handler may stop the parser. */
  private running(): boolean {
    return !this.stopped;
  }

  constructor(frameMax: number, onFrame: FrameHandler) {
    this.frameMax = frameMax;
    this.onFrame = onFrame;
  }

  /** Stop delivering frames (the connection is closing); later input is ignored. */
  stop(): void {
    this.stopped = true;
    this.pending = [];
  }

  /** Feeds bytes; calls the handler per complete frame. Throws AmqpError 501 on bad framing. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    let buf = chunk;
    if (this.pendingLength > 0) {
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
      if (this.pendingLength < this.needed) return;
      buf = Buffer.concat(this.pending, this.pendingLength);
      this.pending = [];
      this.pendingLength = 0;
    }
    let off = 0;
    const len = buf.length;
    while (this.running() && len - off >= 7) {
      const type = buf[off] ?? 0;
      const channel = buf.readUInt16BE(off + 1);
      const size = buf.readUInt32BE(off + 3);
      if (size > this.frameMax - FRAME_OVERHEAD) {
        throw new AmqpError(
          REPLY.FRAME_ERROR,
          `frame size ${size + FRAME_OVERHEAD} larger than negotiated frame-max ${this.frameMax}`,
        );
      }
      if (len - off < size + 8) break;
      if (buf[off + 7 + size] !== FRAME_END) {
        throw new AmqpError(REPLY.FRAME_ERROR, `frame-end octet missing on frame of type ${type}`);
      }
      const payload = buf.subarray(off + 7, off + 7 + size);
      off += size + 8;
      this.onFrame(type, channel, payload);
    }
    if (!this.running() || off === len) return;
    const rest = off === 0 ? buf : buf.subarray(off);
    this.pending = [rest];
    this.pendingLength = rest.length;
    this.needed = rest.length >= 7 ? rest.readUInt32BE(3) + FRAME_OVERHEAD : 7;
  }
}
