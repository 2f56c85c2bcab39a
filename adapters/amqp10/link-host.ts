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
  /** A connection-severity error: close the whole connection with it. */
  fail(err: unknown): void;
}
