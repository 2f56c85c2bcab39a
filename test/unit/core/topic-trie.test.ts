/**
 * Topic trie, nats sublist_test.go style: every case runs with the match cache on and off.
 * Semantics are RabbitMQ's topic exchange: words split on '.', `*` = exactly one word, `#` =
 * zero or more, empty words are ordinary words, and the empty key has zero words.
 */
import { describe, expect, it } from 'vitest';
import { TopicTrie } from '../../../src/core/topic/topic-trie.js';

const MODES = [
  { name: 'cache on', cacheSize: 1024 },
  { name: 'cache off', cacheSize: 0 },
] as const;

/** [pattern, routing key, matches?] */
const CASES: readonly (readonly [string, string, boolean])[] = [
  // `#` matches zero or more words
  ['#', '', true],
  ['#', 'a', true],
  ['#', 'a.b.c', true],
  ['#', '.', true],
  ['a.#', 'a', true],
  ['a.#', 'a.b.c', true],
  ['a.#', 'b.a', false],
  ['#.a', 'a', true],
  ['#.a', 'x.y.a', true],
  ['#.a', 'a.x', false],
  // `a.#.b`
  ['a.#.b', 'a.b', true],
  ['a.#.b', 'a.x.b', true],
  ['a.#.b', 'a.x.y.b', true],
  ['a.#.b', 'a.b.b', true],
  ['a.#.b', 'a.b.c', false],
  ['a.#.b', 'a', false],
  ['a.#.b', 'b', false],
  // `#.#`
  ['#.#', '', true],
  ['#.#', 'a', true],
  ['#.#', 'a.b.c', true],
  ['#.b.#', 'b', true],
  ['#.b.#', 'a.b.c', true],
  ['#.b.#', 'a.c', false],
  // `*` is exactly one word, possibly an empty one; the empty key has no word at all
  ['*', 'a', true],
  ['*', 'a.b', false],
  ['*', '', false],
  ['*', '.', false],
  ['*.*', '.', true],
  ['a.*', 'a', false],
  ['a.*', 'a.', true],
  ['*.a', '.a', true],
  ['a.*.b', 'a..b', true],
  ['a.*.b', 'a.b', false],
  ['*.#', '', false],
  ['*.#', 'a', true],
  ['#.*', 'a.b', true],
  ['#.*', '', false],
  // empty words are ordinary words
  ['a..b', 'a..b', true],
  ['a..b', 'a.b', false],
  ['a.b', 'a..b', false],
  ['.a', '.a', true],
  ['.a', 'a', false],
  ['a.', 'a.', true],
  ['a.', 'a', false],
  ['a.#', 'a.', true],
  ['', '', true],
  ['', 'a', false],
  ['a', '', false],
  // literal keys
  ['a.b.c', 'a.b.c', true],
  ['a.b.c', 'a.b', false],
  ['a.b', 'a.b.c', false],
  ['a.b.c', 'a.b.d', false],
  ['stock.usd.nyse', 'stock.usd.nyse', true],
  // a '*' or '#' inside a published key is just a word
  ['a.*', 'a.*', true],
  ['a.b', 'a.*', false],
  ['a.b', 'a.#', false],
];

for (const mode of MODES) {
  describe(`TopicTrie (${mode.name})`, () => {
    const make = (): TopicTrie<string> => new TopicTrie<string>(mode.cacheSize);

    it.each(CASES)(
      'AMQP 0-9-1 topic: pattern %j vs routing key %j -> %s',
      (pattern, key, expected) => {
        const trie = make();
        trie.add(pattern, 'v');
        const first = trie.match(key);
        // Twice: the second answer may come from the cache and must be the same.
        const second = trie.match(key);
        expect(first).toEqual(expected ? ['v'] : []);
        expect(second).toEqual(first);
      },
    );

    it('collects every matching value once, in any order, across many patterns', () => {
      const trie = make();
      const patterns = ['#', 'a.#', '#.c', 'a.*.c', 'a.b.c', '*.b.*', 'a.b', 'x.#'];
      for (const p of patterns) trie.add(p, p);
      expect([...trie.match('a.b.c')].sort()).toEqual([
        '#',
        '#.c',
        '*.b.*',
        'a.#',
        'a.*.c',
        'a.b.c',
      ]);
      expect([...trie.match('a.b')].sort()).toEqual(['#', 'a.#', 'a.b']);
      expect([...trie.match('q')]).toEqual(['#']);
    });

    it('a value bound through two patterns that both match appears once', () => {
      const trie = make();
      trie.add('a.#', 'v');
      trie.add('#.b', 'v');
      trie.add('#.#', 'v');
      expect(trie.match('a.b')).toEqual(['v']);
      expect(trie.size).toBe(3);
    });

    it('adding the same (pattern, value) twice is a no-op; one remove removes it', () => {
      const trie = make();
      trie.add('a.*', 'v');
      trie.add('a.*', 'v');
      expect(trie.size).toBe(1);
      expect(trie.match('a.b')).toEqual(['v']);
      expect(trie.remove('a.*', 'v')).toBe(true);
      expect(trie.size).toBe(0);
      expect(trie.match('a.b')).toEqual([]);
      expect(trie.remove('a.*', 'v')).toBe(false);
    });

    it('remove of an unknown pattern or value returns false and changes nothing', () => {
      const trie = make();
      trie.add('a.b', 'v');
      expect(trie.remove('a.b', 'w')).toBe(false);
      expect(trie.remove('a.c', 'v')).toBe(false);
      expect(trie.remove('a.b.c', 'v')).toBe(false);
      expect(trie.remove('a', 'v')).toBe(false);
      expect(trie.remove('*.b', 'v')).toBe(false);
      expect(trie.remove('#', 'v')).toBe(false);
      expect(trie.size).toBe(1);
      expect(trie.match('a.b')).toEqual(['v']);
    });

    it('remove prunes a branch without disturbing the patterns that share its prefix', () => {
      const trie = make();
      trie.add('a.b', 'ab');
      trie.add('a.b.c', 'abc');
      trie.add('a.*.c', 'a*c');
      trie.add('a.#', 'a#');
      expect(trie.remove('a.b.c', 'abc')).toBe(true);
      expect([...trie.match('a.b')].sort()).toEqual(['a#', 'ab']);
      expect([...trie.match('a.b.c')].sort()).toEqual(['a#', 'a*c']);
      expect(trie.remove('a.b', 'ab')).toBe(true);
      expect([...trie.match('a.b.c')].sort()).toEqual(['a#', 'a*c']);
      expect(trie.remove('a.#', 'a#')).toBe(true);
      expect(trie.match('a.b')).toEqual([]);
      expect(trie.match('a.x.c')).toEqual(['a*c']);
      expect(trie.remove('a.*.c', 'a*c')).toBe(true);
      expect(trie.size).toBe(0);
      // The pruned paths can be used again.
      trie.add('a.b.c', 'again');
      expect(trie.match('a.b.c')).toEqual(['again']);
      expect(trie.match('a.b')).toEqual([]);
    });

    it('several values on one pattern: removing one keeps the others', () => {
      const trie = make();
      trie.add('a.*', 'x');
      trie.add('a.*', 'y');
      expect([...trie.match('a.b')].sort()).toEqual(['x', 'y']);
      trie.remove('a.*', 'x');
      expect(trie.match('a.b')).toEqual(['y']);
    });

    it('cache invalidation: a wildcard added after a key was matched applies to it; removing it un-applies it', () => {
      const trie = make();
      trie.add('a.b', 'lit');
      expect(trie.match('a.b')).toEqual(['lit']);
      expect(trie.match('a.c')).toEqual([]);
      trie.add('a.*', 'star');
      expect([...trie.match('a.b')].sort()).toEqual(['lit', 'star']);
      expect(trie.match('a.c')).toEqual(['star']);
      trie.add('#', 'hash');
      expect([...trie.match('a.c')].sort()).toEqual(['hash', 'star']);
      trie.remove('a.*', 'star');
      expect([...trie.match('a.b')].sort()).toEqual(['hash', 'lit']);
      expect(trie.match('a.c')).toEqual(['hash']);
      trie.remove('#', 'hash');
      expect(trie.match('a.b')).toEqual(['lit']);
      expect(trie.match('a.c')).toEqual([]);
    });

    it('cache invalidation: a literal binding added or removed after its key was matched', () => {
      const trie = make();
      expect(trie.match('x.y')).toEqual([]);
      trie.add('x.y', 'v');
      expect(trie.match('x.y')).toEqual(['v']);
      trie.remove('x.y', 'v');
      expect(trie.match('x.y')).toEqual([]);
    });

    it('cache invalidation with `#` in the middle and empty words', () => {
      const trie = make();
      expect(trie.match('a..b')).toEqual([]);
      expect(trie.match('a.b')).toEqual([]);
      trie.add('a.#.b', 'v');
      expect(trie.match('a..b')).toEqual(['v']);
      expect(trie.match('a.b')).toEqual(['v']);
      trie.remove('a.#.b', 'v');
      expect(trie.match('a..b')).toEqual([]);
      expect(trie.match('a.b')).toEqual([]);
    });
  });
}

describe('TopicTrie cache', () => {
  it('is bounded: the number of cached keys never exceeds the limit, and answers stay right', () => {
    const trie = new TopicTrie<string>(8);
    trie.add('k.*', 'star');
    trie.add('k.7', 'seven');
    let peak = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) {
        const expected = i === 7 ? ['star', 'seven'] : ['star'];
        expect([...trie.match(`k.${i}`)].sort()).toEqual(expected.sort());
        peak = Math.max(peak, trie.cachedKeys);
        expect(trie.cachedKeys).toBeLessThanOrEqual(8);
      }
    }
    expect(peak).toBe(8);
  });

  it('a cache of size 1 still answers correctly', () => {
    const trie = new TopicTrie<number>(1);
    trie.add('a', 1);
    trie.add('b', 2);
    for (let i = 0; i < 5; i++) {
      expect(trie.match('a')).toEqual([1]);
      expect(trie.match('b')).toEqual([2]);
      expect(trie.cachedKeys).toBe(1);
    }
  });

  it('size 0 disables it', () => {
    const trie = new TopicTrie<number>(0);
    trie.add('#', 1);
    trie.match('a');
    trie.match('b');
    expect(trie.cachedKeys).toBe(0);
  });

  it('evicts precisely: adding a wildcard drops only the cached keys it matches (nats sublist)', () => {
    const trie = new TopicTrie<string>(1024);
    for (const k of ['a.b', 'a.c', 'x.y', 'x.y.z']) trie.match(k);
    expect(trie.cachedKeys).toBe(4);
    trie.add('a.*', 'v');
    expect(trie.cachedKeys).toBe(2);
    trie.match('a.b');
    trie.add('x.y', 'w');
    expect(trie.cachedKeys).toBe(2);
    expect(trie.match('x.y')).toEqual(['w']);
    expect(trie.match('x.y.z')).toEqual([]);
  });
});
