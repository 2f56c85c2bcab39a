import type { Arguments, Message } from '../../spi.js';
import type { Binding } from '../binding.js';

export interface MatcherOptions {
  readonly topicCacheSize: number;
  readonly maxRoutingKeyWords: number;
}

/** Per-exchange binding state and the type's routing function. */
export interface BindingMatcher {
  add(b: Binding): void;
  remove(b: Binding): void;
  /** May repeat destinations; the router dedupes. */
  match(msg: Message): Iterable<Binding>;
}

/** An exchange type, registered by name like RabbitMQ's exchange-type behaviour. */
export interface ExchangeType {
  readonly name: string;
  /** Throws BrokerError for a binding this type cannot hold. */
  validateBinding(routingKey: string, args: Arguments, opts: MatcherOptions): void;
  createMatcher(opts: MatcherOptions): BindingMatcher;
}
