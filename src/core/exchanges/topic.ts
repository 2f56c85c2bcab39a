import type { Message } from '../../spi.js';
import type { Binding } from '../binding.js';
import { TopicTrie } from '../topic/topic-trie.js';
import { assertValidPattern } from '../topic/topic-syntax.js';
import type { BindingMatcher, ExchangeType, MatcherOptions } from './exchange-type.js';

class TopicMatcher implements BindingMatcher {
  readonly #trie: TopicTrie<Binding>;

  constructor(opts: MatcherOptions) {
    this.#trie = new TopicTrie<Binding>(opts.topicCacheSize);
  }
  add(b: Binding): void {
    this.#trie.add(b.routingKey, b);
  }
  remove(b: Binding): void {
    this.#trie.remove(b.routingKey, b);
  }
  match(msg: Message): Iterable<Binding> {
    return this.#trie.match(msg.routingKey);
  }
}

/** AMQP topic patterns: `*` one word, `#` zero or more, words separated by `.`. */
export const topicExchange: ExchangeType = {
  name: 'topic',
  validateBinding(routingKey, _args, opts) {
    assertValidPattern(routingKey, opts.maxRoutingKeyWords);
  },
  createMatcher: (opts) => new TopicMatcher(opts),
};
