import { describe, expect, it } from 'vitest';
import { FilterIndex, filterMatches } from '../../../../adapters/mqtt/filter-index.js';

function matches(index: FilterIndex<string>, topic: string): string[] {
  const out: string[] = [];
  index.match(topic, (v) => out.push(v));
  return out.sort();
}

function indexOf(...filters: string[]): FilterIndex<string> {
  const index = new FilterIndex<string>();
  for (const f of filters) index.add(f, f);
  return index;
}

describe('FilterIndex', () => {
  it('matches exact, + and # filters (MQTT 3.1.1 4.7.1)', () => {
    const index = indexOf(
      'sport/tennis/player1',
      'sport/+/player1',
      'sport/#',
      '#',
      '+/+',
      'sport/tennis/+',
    );
    expect(matches(index, 'sport/tennis/player1')).toEqual([
      '#',
      'sport/#',
      'sport/+/player1',
      'sport/tennis/+',
      'sport/tennis/player1',
    ]);
  });

  it('# also matches the parent level [MQTT-4.7.1-2]', () => {
    expect(matches(indexOf('sport/#'), 'sport')).toEqual(['sport/#']);
  });

  it('+ matches an empty level [MQTT-4.7.1-3]', () => {
    expect(matches(indexOf('+/a', '/+'), '/a')).toEqual(['+/a', '/+']);
  });

  it('leading wildcards do not match $ topics [MQTT-4.7.2-1]', () => {
    const index = indexOf('#', '+/monitor/Clients', '$SYS/#', '$SYS/monitor/+');
    expect(matches(index, '$SYS/monitor/Clients')).toEqual(['$SYS/#', '$SYS/monitor/+']);
  });

  it('removes values and prunes, leaving others intact', () => {
    const index = indexOf('a/b', 'a/+', 'a/#');
    index.remove('a/+', 'a/+');
    index.remove('a/+', 'a/+');
    index.remove('x/y', 'x/y');
    expect(index.size).toBe(2);
    expect(matches(index, 'a/b')).toEqual(['a/#', 'a/b']);
    index.remove('a/b', 'a/b');
    index.remove('a/#', 'a/#');
    expect(index.size).toBe(0);
    expect(matches(index, 'a/b')).toEqual([]);
  });

  it('visits a value once per matching filter', () => {
    const index = new FilterIndex<string>();
    index.add('a/+', 'c1');
    index.add('a/#', 'c1');
    expect(matches(index, 'a/b')).toEqual(['c1', 'c1']);
  });
});

describe('filterMatches', () => {
  it('agrees with the index on the spec examples', () => {
    const cases: [string, string, boolean][] = [
      ['sport/#', 'sport', true],
      ['sport/+', 'sport', false],
      ['sport/+', 'sport/', true],
      ['+/+', '/finance', true],
      ['#', '$SYS/x', false],
      ['$SYS/#', '$SYS/x', true],
      ['a/b', 'a/b/c', false],
    ];
    for (const [filter, topic, expected] of cases) {
      expect(filterMatches(filter, topic)).toBe(expected);
      expect(matches(indexOf(filter), topic).length > 0).toBe(expected);
    }
  });
});
