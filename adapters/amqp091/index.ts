/**
 * The AMQP 0-9-1 adapter: a RabbitMQ-compatible server over any Duplex. It opens no listener:
 * the gateway's AMQP port (5672, shared with AMQP 1.0) hands it streams whose 8-byte protocol
 * header is still unread.
 */
import type { Duplex } from 'node:stream';
import type { Adapter, AdapterContext, ConnectionInfo, ConnectionSummary } from '../../src/spi.js';
import { Amqp091Connection } from './connection.js';
import type { Amqp091Options } from './options.js';

export function createAmqp091Adapter(): Adapter<Amqp091Options> {
  let ctx: AdapterContext<Amqp091Options> | undefined;
  let stopping = false;
  const connections = new Set<Amqp091Connection>();
  return {
    protocol: 'amqp091',
    start(c) {
      ctx = c;
      stopping = false;
      return Promise.resolve([]);
    },
    handle(stream: Duplex, info: ConnectionInfo) {
      if (!ctx || stopping) {
        stream.on('error', () => undefined);
        stream.destroy();
        return;
      }
      const conn = new Amqp091Connection(stream, info, ctx, ctx.memoryAlarm, (c) =>
        connections.delete(c),
      );
      connections.add(conn);
    },
    async stop({ graceful }) {
      stopping = true;
      await Promise.all([...connections].map((c) => c.shutdown(graceful)));
    },
    closeConnection(id: string, reason: string): boolean {
      for (const c of connections) {
        if (c.id !== id) continue;
        c.forceClose(reason);
        return true;
      }
      return false;
    },
    *connections(): Iterable<ConnectionSummary> {
      for (const c of connections) yield c.summary();
    },
  };
}
