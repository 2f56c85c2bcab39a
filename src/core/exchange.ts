import type { Arguments, ExchangeTypeName } from '../spi.js';
import type { Binding } from './binding.js';
import type { BindingMatcher } from './exchanges/exchange-type.js';

/** A declared exchange: its definition, its bindings (as source) and their matcher. */
export interface Exchange {
  readonly name: string;
  readonly type: ExchangeTypeName;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly internal: boolean;
  readonly args: Arguments;
  readonly alternate: string | undefined;
  readonly matcher: BindingMatcher;
  readonly bindings: Map<string, Binding>;
}
