/**
 * Frame tracing for AMQP 1.0 (`log.traceFrames`): the bytes read and written are split into
 * frames (AMQP 1.0 2.3.1: size, doff, type, channel) and named by their performative's
 * descriptor code (2.7, 5.3.3), protocol headers included. Installed only when tracing is on.
 */
import type { Duplex } from 'node:stream';
import type { FrameTracer, Logger } from '../../src/spi.js';

const PERFORMATIVES = new Map<number, string>([
  [0x10, 'open'],
  [0x11, 'begin'],
  [0x12, 'attach'],
  [0x13, 'flow'],
  [0x14, 'transfer'],
  [0x15, 'disposition'],
  [0x16, 'detach'],
  [0x17, 'end'],
  [0x18, 'close'],
  [0x40, 'sasl-mechanisms'],
  [0x41, 'sasl-init'],
  [0x42, 'sasl-challenge'],
  [0x43, 'sasl-response'],
  [0x44, 'sasl-outcome'],
]);
const HEADER = 8;
const AMQP = Buffer.from('AMQP');

/** The frame's name: its performative (described type 0x00 0x53 <code>), or `empty` for a
 * heartbeat frame without a body. */
function frameName(frame: Buffer): string {
  const body = HEADER <= frame.length ? (frame[4] ?? 2) * 4 : frame.length;
  if (body >= frame.length) return 'empty';
  const code = frame[body] === 0 && frame[body + 1] === 0x53 ? frame[body + 2] : undefined;
  return (code !== undefined && PERFORMATIVES.get(code)) || 'frame';
}

/** Splits a byte stream into protocol headers and frames, across chunks. */
function splitter(emit: (name: string, frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER) {
      const isHeader = pending.subarray(0, 4).equals(AMQP);
      const size = isHeader ? HEADER : pending.readUInt32BE(0);
      if (size < HEADER || pending.length < size) break;
      const frame = pending.subarray(0, size);
      emit(
        isHeader ? `protocol-header ${frame[4] === 3 ? 'sasl' : 'amqp'}` : frameName(frame),
        frame,
      );
      pending = pending.subarray(size);
    }
  };
}

export function traceAmqp10Frames(stream: Duplex, tracer: FrameTracer, log: Logger): void {
  const trace = (dir: 'in' | 'out') =>
    splitter((name, frame) => {
      tracer.frame(log, dir, name, frame.length, name === 'transfer' ? frame : undefined);
    });
  stream.on('data', trace('in'));
  const traceOut = trace('out');
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (Buffer.isBuffer(chunk)) traceOut(chunk);
    return write(chunk, ...rest);
  }) as Duplex['write'];
}
