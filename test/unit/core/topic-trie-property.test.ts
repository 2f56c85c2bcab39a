/**
 * Property: the trie (cache on, off, and tiny so it sweeps) answers exactly what an independent,
 * regex-based reference matcher answers, through random interleavings of add / remove / match.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopicTrie } from '../../../src/core/topic/topic-trie.js';

/** RabbitMQ's split: '' has no word at all, otherwise split on '.' (empty words kept). */
function wordsOf(s: string): string[] {
  return s === '' ? [] : s.split('.');
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Reference matcher: each key word becomes "word/"; a pattern `*` is one "[^/]*/" and `#` any
// run of them. The alphabet below never contains '/'.
function referenceMatches(pattern: string, key: string): boolean {
  const source = wordsOf(pattern)
    .map((w) => (w === '#' ? '(?:[^/]*/)*' : w === '*' ? '[^/]*/' : `${escapeRegex(w)}/`))
    .join('');
  const subject = wordsOf(key)
    .map((w) => `${w}/`)
    .join('');
  return new RegExp(`^${source}$`).test(subject);
}

const keyWord = fc.constantFrom('a', 'b', 'c', '');
const patternWord = fc.constantFrom('a', 'b', '', '*', '#', '#');
const key = fc.array(keyWord, { maxLength: 5 }).map((ws) => ws.join('.'));
const pattern = fc.array(patternWord, { maxLength: 5 }).map((ws) => ws.join('.'));
const value = fc.integer({ min: 0, max: 5 });

type Op =
  | { readonly op: 'add'; readonly pattern: string; readonly value: number }
  | { readonly op: 'remove'; readonly pattern: string; readonly value: number }
  | { readonly op: 'match'; readonly key: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), pattern, value }),
  fc.record({ op: fc.constant('remove' as const), pattern, value }),
  fc.record({ op: fc.constant('match' as const), key }),
);

describe('reference matcher (sanity of the oracle itself)', () => {
  it.each([
    ['#', '', true],
    ['a.#.b', 'a.b', true],
    ['*', '', false],
    ['a.*.b', 'a..b', true],
    ['a.b', 'a.b.c', false],
    ['#.#', 'a.b', true],
  ] as const)('%j vs %j -> %s', (p, k, expected) => {
    expect(referenceMatches(p, k)).toBe(expected);
  });
});

for (const cacheSize of [1024, 0, 3]) {
  describe(`TopicTrie == reference matcher (cache size ${cacheSize})`, () => {
    it('on one pattern and one key', () => {
      fc.assert(
        fc.property(pattern, key, (p, k) => {
          const trie = new TopicTrie<number>(cacheSize);
          trie.add(p, 1);
          expect(trie.match(k)).toEqual(referenceMatches(p, k) ? [1] : []);
        }),
        { numRuns: 500 },
      );
    });

    it('through interleaved add / remove / match', () => {
      fc.assert(
        fc.property(
          fc.array(op, { maxLength: 60 }),
          fc.array(key, { maxLength: 8 }),
          (ops, probeKeys) => {
            const trie = new TopicTrie<number>(cacheSize);
            const model = new Map<string, { pattern: string; value: number }>();
            const check = (k: string): void => {
              const expected = new Set<number>();
              for (const b of model.values())
                if (referenceMatches(b.pattern, k)) expected.add(b.value);
              expect([...trie.match(k)].sort()).toEqual([...expected].sort());
            };
            for (const o of ops) {
              if (o.op === 'add') {
                trie.add(o.pattern, o.value);
                model.set(`${o.pattern}\u0000${o.value}`, { pattern: o.pattern, value: o.value });
              } else if (o.op === 'remove') {
                const id = `${o.pattern}\u0000${o.value}`;
                expect(trie.remove(o.pattern, o.value)).toBe(model.delete(id));
              } else {
                check(o.key);
              }
              expect(trie.size).toBe(model.size);
              expect(trie.cachedKeys).toBeLessThanOrEqual(cacheSize);
              // Probe a few fixed keys after every step so stale cache entries would show.
              for (const k of probeKeys) check(k);
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  });
}
