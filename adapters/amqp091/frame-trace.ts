/**
 * Frame tracing for AMQP 0-9-1 (`log.traceFrames`): every frame read or written, by type and
 * method name (`basic.publish` as `BasicPublish`), channel and size; bodies cut by the tracer.
 * Only called when tracing is on.
 */
import type { FrameTracer, Logger } from '../../src/spi.js';
import { METHOD } from './codec/defs.js';
import { FRAME_BODY, FRAME_HEADER, FRAME_HEARTBEAT, FRAME_METHOD } from './codec/frame-parser.js';

const METHOD_NAMES = new Map<number, string>(Object.entries(METHOD).map(([n, id]) => [id, n]));
const HEADER_SIZE = 7;

function frameName(type: number, payload: Buffer): string {
  switch (type) {
    case FRAME_METHOD: {
      const id = payload.length >= 4 ? payload.readUInt32BE(0) : -1;
      return METHOD_NAMES.get(id) ?? `method 0x${id.toString(16)}`;
    }
    case FRAME_HEADER:
      return 'content-header';
    case FRAME_BODY:
      return 'content-body';
    case FRAME_HEARTBEAT:
      return 'heartbeat';
    default:
      return `frame type ${type}`;
  }
}

export function traceFrame(
  tracer: FrameTracer,
  log: Logger,
  direction: 'in' | 'out',
  type: number,
  payload: Buffer,
): void {
  tracer.frame(
    log,
    direction,
    frameName(type, payload),
    payload.length,
    type === FRAME_BODY ? payload : undefined,
  );
}

/** Written buffers hold whole frames, several at times (a delivery is three). */
export function traceWritten(tracer: FrameTracer, log: Logger, buf: Buffer): void {
  for (let at = 0; at + HEADER_SIZE <= buf.length;) {
    const size = buf.readUInt32BE(at + 3);
    traceFrame(
      tracer,
      log,
      'out',
      buf[at] ?? 0,
      buf.subarray(at + HEADER_SIZE, at + HEADER_SIZE + size),
    );
    at += HEADER_SIZE + size + 1;
  }
}
