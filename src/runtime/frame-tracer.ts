/**
 * Frame tracing (`log.traceFrames`, `gateway start --trace-frames`): adapters report each
 * decoded frame they read or write through the connection's child logger, at `debug`, with a
 * body cut to `maxBodyBytes`. Off, `enabled` is false and adapters skip the call entirely.
 */
import type { LogLevel } from '../log/logger.js';
import type { FrameTracer } from '../spi.js';

/** Bytes of a body shown in a trace line. */
const TRACE_BODY_BYTES = 64;

export function createFrameTracer(enabled: boolean, maxBodyBytes = TRACE_BODY_BYTES): FrameTracer {
  const frame: FrameTracer['frame'] = (log, direction, type, size, body) => {
    if (!enabled) return;
    const line: Record<string, unknown> = { frame: type, dir: direction, size };
    if (body !== undefined && body.length > 0) {
      const text =
        typeof body === 'string' ? body : body.subarray(0, maxBodyBytes).toString('utf8');
      line['body'] = text.length > maxBodyBytes ? text.slice(0, maxBodyBytes) : text;
      if (body.length > maxBodyBytes) line['truncated'] = true;
    }
    log.debug(line, 'frame');
  };
  return { enabled, frame };
}

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Traces are written at `debug`, so tracing lowers a higher level (`silent` included) to it. */
export function tracingLevel(level: LogLevel, traceFrames: boolean): LogLevel {
  return traceFrames && LEVELS.indexOf(level) > LEVELS.indexOf('debug') ? 'debug' : level;
}
