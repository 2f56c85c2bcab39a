/**
 * Frame tracing for MQTT (`log.traceFrames`): packets read come from the client's own parser;
 * packets written (by aedes and by our dispatcher, straight to the stream) are decoded again
 * by a second mqtt-packet parser on the written bytes. Installed only when tracing is on.
 */
import type { Duplex } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import type { FrameTracer, Logger } from '../../src/spi.js';
import type { ClientInternals } from './aedes-internals.js';

interface TracedPacket {
  readonly cmd?: unknown;
  readonly length?: unknown;
  readonly payload?: unknown;
}

function trace(tracer: FrameTracer, log: Logger, dir: 'in' | 'out', p: TracedPacket): void {
  const body = Buffer.isBuffer(p.payload) || typeof p.payload === 'string' ? p.payload : undefined;
  tracer.frame(log, dir, String(p.cmd), typeof p.length === 'number' ? p.length : 0, body);
}

export function traceMqttFrames(
  stream: Duplex,
  client: ClientInternals,
  tracer: FrameTracer,
  log: Logger,
): void {
  client._parser.prependListener('packet', (p) => {
    trace(tracer, log, 'in', p);
  });
  const written = mqttPacket.parser();
  written.on('packet', (p) => {
    trace(tracer, log, 'out', p);
  });
  // Our own encoding cannot be malformed; a parse error would only stop the tracing.
  written.on('error', () => undefined);
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (Buffer.isBuffer(chunk)) written.parse(chunk);
    else if (typeof chunk === 'string') written.parse(Buffer.from(chunk));
    return write(chunk, ...rest);
  }) as Duplex['write'];
}
