import type { Duplex } from 'node:stream';
import rhea, { type Container } from 'rhea';
import type {
  Adapter,
  AdapterContext,
  ConnectionInfo,
  ConnectionSummary,
  ListenAddress,
} from '../../src/spi.js';
import { Amqp10Connection } from './connection.js';
import type { Amqp10Options } from './options.js';

export { amqp10OptionsSchema, type Amqp10Options } from './options.js';

/**
 * The AMQP 1.0 adapter on rhea. It opens no listener: port 5672 belongs to the gateway's
 * protocol-header demultiplexer, which calls `handle` with the 8-byte header still unread.
 */
export function createAmqp10Adapter(): Adapter<Amqp10Options> {
  let ctx: AdapterContext<Amqp10Options> | undefined;
  let container: Container | undefined;
  const connections = new Set<Amqp10Connection>();

  return {
    protocol: 'amqp10',
    start(context: AdapterContext<Amqp10Options>): Promise<readonly ListenAddress[]> {
      ctx = context;
      // Our own container, never rhea's module-level one (shared by everything in the process).
      container = rhea.create_container({ id: `gateway-amqp10-${rhea.generate_uuid()}` });
      return Promise.resolve([]);
    },
    handle(stream: Duplex, info: ConnectionInfo): void {
      if (!ctx || !container) {
        stream.destroy();
        return;
      }
      connections.add(
        new Amqp10Connection(stream, info, ctx, container, (c) => connections.delete(c)),
      );
    },
    async stop({ graceful }: { readonly graceful: boolean }): Promise<void> {
      const closing = [...connections];
      for (const c of closing) {
        if (graceful)
          c.close({ condition: 'amqp:connection:forced', description: 'gateway shutting down' });
        else c.destroy();
      }
      if (graceful) await Promise.all(closing.map((c) => c.closed));
      connections.clear();
    },
    *connections(): Iterable<ConnectionSummary> {
      for (const c of connections) yield c.summary();
    },
  };
}
