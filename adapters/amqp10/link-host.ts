import type {
  Authorizer,
  Logger,
  MemoryAlarm,
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
  /** While raised, senders get no more link credit (RabbitMQ blocks AMQP 1.0 publishers so). */
  readonly memoryAlarm: MemoryAlarm;
  /** A connection-severity error: close the whole connection with it. */
  fail(err: unknown): void;
}
