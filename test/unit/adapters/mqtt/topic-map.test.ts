import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  filterToPattern,
  routingKeyToTopic,
  topicToRoutingKey,
} from '../../../../adapters/mqtt/topic-map.js';

const mqttTopic = fc
  .array(
    fc.string({ unit: fc.constantFrom('a', 'b', '.', '%', '*', '2', 'F', 'E', 'A', '$', ' ') }),
    {
      minLength: 1,
      maxLength: 5,
    },
  )
  .map((levels) => levels.join('/'));

describe('MQTT <-> AMQP topic translation', () => {
  it('maps levels to words, + to * and # to # (RabbitMQ rules, DESIGN shared topic space)', () => {
    expect(topicToRoutingKey('cities/london')).toBe('cities.london');
    expect(topicToRoutingKey('/a')).toBe('.a');
    expect(filterToPattern('a/+/#')).toBe('a.*.#');
    expect(routingKeyToTopic('cities.london')).toBe('cities/london');
  });

  it('escapes a dot inside an MQTT level so the level count survives', () => {
    expect(topicToRoutingKey('fw/v1.2')).toBe('fw.v1%2E2');
    expect(routingKeyToTopic('fw.v1%2E2')).toBe('fw/v1.2');
  });

  it('escapes a slash inside an AMQP word as %2F on the MQTT side', () => {
    expect(routingKeyToTopic('path.a/b')).toBe('path/a%2Fb');
    expect(topicToRoutingKey('path/a%2Fb')).toBe('path.a/b');
  });

  it('keeps a literal * in an MQTT level from becoming an AMQP wildcard', () => {
    expect(filterToPattern('a/*')).toBe('a.%2A');
    expect(topicToRoutingKey('a/*')).toBe('a.%2A');
  });

  it('refuses AMQP keys that would be MQTT topic names with wildcards [MQTT-4.7.1-1]', () => {
    expect(routingKeyToTopic('a.#')).toBeUndefined();
    expect(routingKeyToTopic('a.b+c')).toBeUndefined();
  });

  it('round-trips every MQTT topic through the AMQP form unchanged', () => {
    fc.assert(
      fc.property(mqttTopic, (topic) => {
        expect(routingKeyToTopic(topicToRoutingKey(topic))).toBe(topic);
      }),
    );
  });

  it('keeps the level count: one MQTT level is one AMQP word', () => {
    fc.assert(
      fc.property(mqttTopic, (topic) => {
        expect(topicToRoutingKey(topic).split('.').length).toBe(topic.split('/').length);
      }),
    );
  });

  it('round-trips AMQP keys without % through the MQTT form', () => {
    const word = fc.string({ unit: fc.constantFrom('a', '/', '*', 'x', '$') });
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), (words) => {
        const key = words.join('.').replaceAll('*', '%2A');
        const topic = routingKeyToTopic(key);
        expect(topic).toBeDefined();
        expect(topicToRoutingKey(topic ?? '')).toBe(key);
      }),
    );
  });

  it('translates the same from its cache, past the cache bound and for long topics', () => {
    // 5,000 distinct topics overflow the 4,096-entry cache; the second pass hits it.
    const topics = Array.from({ length: 5000 }, (_, i) => `c/${i}/v1.${i}`);
    for (let pass = 0; pass < 2; pass++) {
      for (const [i, t] of topics.entries()) {
        expect(topicToRoutingKey(t)).toBe(`c.${i}.v1%2E${i}`);
        expect(routingKeyToTopic(`c.${i}.v1%2E${i}`)).toBe(t);
      }
    }
    const long = `${'x'.repeat(300)}/a.b`;
    expect(topicToRoutingKey(long)).toBe(`${'x'.repeat(300)}.a%2Eb`);
    expect(topicToRoutingKey(long)).toBe(`${'x'.repeat(300)}.a%2Eb`);
    // undefined (a wildcard in the key) is not cached as a hit
    expect(routingKeyToTopic('a.#')).toBeUndefined();
    expect(routingKeyToTopic('a.#')).toBeUndefined();
  });
});
