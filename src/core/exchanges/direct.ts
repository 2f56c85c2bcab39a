import type { Message } from '../../spi.js';
import type { Binding } from '../binding.js';
import type { BindingMatcher, ExchangeType } from './exchange-type.js';

const NONE: readonly Binding[] = [];

class DirectMatcher implements BindingMatcher {
  readonly #byKey = new Map<string, Map<string, Binding>>();

  add(b: Binding): void {
    let set = this.#byKey.get(b.routingKey);
    if (!set) this.#byKey.set(b.routingKey, (set = new Map<string, Binding>()));
    set.set(b.id, b);
  }
  remove(b: Binding): void {
    const set = this.#byKey.get(b.routingKey);
    if (set?.delete(b.id) && set.size === 0) this.#byKey.delete(b.routingKey);
  }
  match(msg: Message): Iterable<Binding> {
    return this.#byKey.get(msg.routingKey)?.values() ?? NONE;
  }
}

/** Routes on exact routing-key equality. */
export const directExchange: ExchangeType = {
  name: 'direct',
  validateBinding() {
    // any key is valid
  },
  createMatcher: () => new DirectMatcher(),
};
