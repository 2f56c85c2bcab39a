import type { Binding } from '../binding.js';
import type { BindingMatcher, ExchangeType } from './exchange-type.js';

class FanoutMatcher implements BindingMatcher {
  readonly #all = new Map<string, Binding>();

  add(b: Binding): void {
    this.#all.set(b.id, b);
  }
  remove(b: Binding): void {
    this.#all.delete(b.id);
  }
  match(): Iterable<Binding> {
    return this.#all.values();
  }
}

/** Routes to every binding, ignoring the routing key. */
export const fanoutExchange: ExchangeType = {
  name: 'fanout',
  validateBinding() {
    // any key is valid
  },
  createMatcher: () => new FanoutMatcher(),
};
