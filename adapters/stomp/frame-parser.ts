import type { StompFrame, StompVersion } from './frame.js';
import { HeaderEscapeError, unescapeHeader } from './header-escape.js';

export interface ParserLimits {
  /** Whole frame: command, headers and body (RabbitMQ `stomp.max_frame_size`, 4 MiB). */
  readonly maxFrameSize: number;
  /** Header lines per frame, repeated ones included. */
  readonly maxHeaders: number;
  /** Bytes in one header line (or the command line). */
  readonly maxHeaderLength: number;
}

/** A framing error: the connection gets an ERROR frame and is closed. */
export class StompParseError extends Error {
  override readonly name = 'StompParseError';
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const EMPTY = Buffer.alloc(0);

type State = 'command' | 'headers' | 'body';

/**
 * An incremental STOMP frame parser with limits. Written by hand rather than using stompit's
 * IncomingFrameStream because that one streams bodies without a size limit, decodes each
 * chunk separately (a UTF-8 character split across TCP segments is corrupted) and has no
 * per-version escape errors. Bytes arrive in any split; frames come out through `onFrame`,
 * and each end-of-line between frames (a STOMP heart-beat) through `onHeartbeat`.
 */
export class FrameParser {
  private readonly limits: ParserLimits;
  private readonly onFrame: (frame: StompFrame) => void;
  private readonly onHeartbeat: () => void;
  private version: StompVersion = '1.0';
  private state: State = 'command';
  private failed = false;
  // The line (or NUL-terminated body) being collected across chunks.
  private parts: Buffer[] = [];
  private partsLength = 0;
  // The frame being built.
  private command = '';
  private headers = new Map<string, string>();
  private headerCount = 0;
  private frameSize = 0;
  private contentLength: number | undefined;

  constructor(
    limits: ParserLimits,
    onFrame: (frame: StompFrame) => void,
    onHeartbeat: () => void = () => undefined,
  ) {
    this.limits = limits;
    this.onFrame = onFrame;
    this.onHeartbeat = onHeartbeat;
  }

  /** Header decoding follows the negotiated version from the frame after CONNECT on. */
  setVersion(version: StompVersion): void {
    this.version = version;
  }

  /** Feed bytes. Throws StompParseError; after that the parser refuses further input. */
  push(chunk: Buffer): void {
    if (this.failed) throw new StompParseError('parser already failed');
    try {
      let offset = 0;
      while (offset < chunk.length) {
        offset =
          this.state === 'body' ? this.parseBody(chunk, offset) : this.parseLine(chunk, offset);
      }
    } catch (err) {
      this.failed = true;
      if (err instanceof HeaderEscapeError) throw new StompParseError(err.message);
      throw err;
    }
  }

  private parseLine(chunk: Buffer, offset: number): number {
    const end = chunk.indexOf(LF, offset);
    if (end === -1) {
      this.collect(chunk.subarray(offset));
      if (this.partsLength > this.limits.maxHeaderLength) {
        throw new StompParseError(`header line longer than ${this.limits.maxHeaderLength} bytes`);
      }
      return chunk.length;
    }
    this.collect(chunk.subarray(offset, end));
    const raw = this.take();
    if (raw.length > this.limits.maxHeaderLength) {
      throw new StompParseError(`header line longer than ${this.limits.maxHeaderLength} bytes`);
    }
    this.frameSize += raw.length + 1;
    this.checkFrameSize(0);
    // STOMP 1.2: "EOL = [CR] LF"; older clients send CR LF too.
    const line = (
      raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, -1) : raw
    ).toString('utf8');
    if (this.state === 'command') this.commandLine(line);
    else this.headerLine(line);
    return end + 1;
  }

  private commandLine(line: string): void {
    if (line.length === 0) {
      // STOMP 1.2 "Heart-beating": EOLs between frames.
      this.frameSize = 0;
      this.onHeartbeat();
      return;
    }
    this.command = line;
    this.state = 'headers';
  }

  private headerLine(line: string): void {
    if (line.length === 0) {
      this.state = 'body';
      this.contentLength = this.readContentLength();
      if (this.contentLength !== undefined) this.checkFrameSize(this.contentLength + 1);
      return;
    }
    if (++this.headerCount > this.limits.maxHeaders) {
      throw new StompParseError(`more than ${this.limits.maxHeaders} headers`);
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new StompParseError(`malformed header line '${line.slice(0, 64)}'`);
    // STOMP 1.2: CONNECT and CONNECTED headers are not escaped.
    const version = this.command === 'CONNECT' || this.command === 'STOMP' ? '1.0' : this.version;
    const name = unescapeHeader(line.slice(0, colon), version);
    // STOMP 1.2 "Repeated Header Entries": only the first is used.
    if (!this.headers.has(name))
      this.headers.set(name, unescapeHeader(line.slice(colon + 1), version));
  }

  private readContentLength(): number | undefined {
    const value = this.headers.get('content-length');
    if (value === undefined) return undefined;
    if (!/^\d{1,15}$/.test(value.trim()))
      throw new StompParseError(`invalid content-length '${value}'`);
    return Number(value.trim());
  }

  private parseBody(chunk: Buffer, offset: number): number {
    const length = this.contentLength;
    if (length === undefined) {
      const nul = chunk.indexOf(NUL, offset);
      if (nul === -1) {
        this.collect(chunk.subarray(offset));
        this.checkFrameSize(this.partsLength);
        return chunk.length;
      }
      this.collect(chunk.subarray(offset, nul));
      this.checkFrameSize(this.partsLength);
      this.emit(this.take());
      return nul + 1;
    }
    const needed = length - this.partsLength;
    if (needed > 0) {
      const piece = chunk.subarray(offset, offset + needed);
      this.collect(piece);
      return offset + piece.length;
    }
    // STOMP 1.2: the body of `content-length` octets is followed by a NUL octet.
    if (chunk[offset] !== NUL) {
      throw new StompParseError(
        `frame body is not followed by NUL after content-length ${length} bytes`,
      );
    }
    this.emit(this.take());
    return offset + 1;
  }

  private emit(body: Buffer): void {
    const frame: StompFrame = { command: this.command, headers: this.headers, body };
    this.state = 'command';
    this.command = '';
    this.headers = new Map();
    this.headerCount = 0;
    this.frameSize = 0;
    this.contentLength = undefined;
    this.onFrame(frame);
  }

  private checkFrameSize(extra: number): void {
    if (this.frameSize + extra > this.limits.maxFrameSize) {
      throw new StompParseError(`frame larger than ${this.limits.maxFrameSize} bytes`);
    }
  }

  private collect(piece: Buffer): void {
    if (piece.length === 0) return;
    this.parts.push(piece);
    this.partsLength += piece.length;
  }

  private take(): Buffer {
    const out =
      this.parts.length === 0
        ? EMPTY
        : this.parts.length === 1
          ? (this.parts[0] ?? EMPTY)
          : Buffer.concat(this.parts);
    this.parts = [];
    this.partsLength = 0;
    return out;
  }
}
