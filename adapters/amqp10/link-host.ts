import type {
  Authorizer,
  Logger,
  MessageOrigin,
  Metrics,
  Principal,
  VhostApi,
} from '../../src/spi.js';
import type { Amqp10Options } from './options.js';

/** What a link needs from its connection. */
export interface LinkHost {
  readonly vhost: VhostApi;
  readonly vhostName: string;
  readonly connectionId: string;
  readonly principal: Principal;
  readonly authz: Authorizer;
  readonly options: Amqp10Options;
  readonly origin: MessageOrigin;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** The socket cannot take more now: stop feeding deliveries until `drain`. */
  readonly writeBlocked: boolean;
  /** No link credit is granted while true: the memory alarm is raised or the connection is
   * over its publish rate (RabbitMQ 4 blocks AMQP 1.0 publishers by credit, not by socket). */
  readonly creditHeld: boolean;
  /** A client sent a message: it counts against the connection's publish rate. */
  published(): void;
  /** A connection-severity error: close the whole connection with it. */
  fail(err: unknown): void;
}
