import { describe, expect, it } from 'vitest';
import { isBrokerError } from '../../../src/core/errors.js';
import {
  assertValidPattern,
  isValidPattern,
  MAX_HASH_WORDS,
  splitWords,
} from '../../../src/core/topic/topic-syntax.js';
import { expectBrokerError, newVhost, thrownBy } from './helpers.js';

describe('topic syntax', () => {
  it('splitWords keeps empty words (a..b, .a, a.)', () => {
    expect(splitWords('a..b')).toEqual(['a', '', 'b']);
    expect(splitWords('.a')).toEqual(['', 'a']);
    expect(splitWords('a.')).toEqual(['a', '']);
    expect(splitWords('a.b.c')).toEqual(['a', 'b', 'c']);
  });

  it.each(['#', '#.#', 'a.#.b.#', '*.*.*', 'a..b', '', 'a.*.#'])('pattern %j is valid', (p) => {
    expect(isValidPattern(p, 64)).toBe(true);
    expect(() => {
      assertValidPattern(p, 64);
    }).not.toThrow();
  });

  it.each(['#.#.#', 'a.#.b.#.c.#', '#.#.#.#'])(
    `RabbitMQ topic exchange: pattern %j has more than ${MAX_HASH_WORDS} '#' and is refused`,
    (p) => {
      expect(isValidPattern(p, 64)).toBe(false);
      const err = thrownBy(() => {
        assertValidPattern(p, 64);
      });
      expect(isBrokerError(err) && err.code).toBe('GW_ERR_INVALID_ARGUMENT');
    },
  );

  it('a literal `#` inside a word is not a wildcard and is not counted', () => {
    expect(isValidPattern('a#.#b.c#d.#', 64)).toBe(true);
  });

  it('too many words are refused; exactly the maximum is fine', () => {
    expect(isValidPattern('a.b.c', 3)).toBe(true);
    expect(isValidPattern('a.b.c.d', 3)).toBe(false);
    expect(isValidPattern('a..', 3)).toBe(true);
    expect(isValidPattern('a...', 3)).toBe(false);
    expectBrokerError(() => {
      assertValidPattern('a.b.c.d', 3);
    }, 'GW_ERR_INVALID_ARGUMENT');
  });

  it('binding to a topic exchange validates the pattern (CoreLimits.maxRoutingKeyWords = 64)', () => {
    const vhost = newVhost();
    vhost.declareQueue({ name: 'q' });
    expectBrokerError(() => {
      vhost.bindQueue('q', 'amq.topic', '#.a.#.#');
    }, 'GW_ERR_INVALID_ARGUMENT');
    const words64 = Array.from({ length: 64 }, (_, i) => `w${i}`).join('.');
    vhost.bindQueue('q', 'amq.topic', words64);
    expectBrokerError(() => {
      vhost.bindQueue('q', 'amq.topic', `${words64}.x`);
    }, 'GW_ERR_INVALID_ARGUMENT');
    // Other exchange types take any key.
    vhost.bindQueue('q', 'amq.direct', '#.#.#');
  });
});
