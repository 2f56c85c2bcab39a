import { describe, expect, it } from 'vitest';
import { isValidFilter } from '../../../../adapters/mqtt/packet-guards.js';

describe('isValidFilter (MQTT 3.1.1 4.7.1)', () => {
  it.each([
    'a',
    'a/b',
    '+',
    '#',
    'a/+/b',
    'a/#',
    '+/+',
    '/',
    '$SYS/#',
    '$share/g/a/+',
    '$share/g/#',
  ])('accepts %s', (f) => {
    expect(isValidFilter(f)).toBe(true);
  });

  it.each([
    'a#',
    'a/#/b',
    '#/a',
    'a+',
    '+a/b',
    'a/b+',
    '$share/g',
    '$share//a',
    '$share/g+/a',
    '$share/g/a#',
  ])('refuses %s [MQTT-4.7.1-2, MQTT-4.7.1-3]', (f) => {
    expect(isValidFilter(f)).toBe(false);
  });
});
