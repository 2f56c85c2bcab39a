/**
 * Lossless translation between MQTT topics and AMQP routing keys in the shared topic space.
 *
 * RabbitMQ maps `/` <-> `.` and `+` <-> `*` without escaping, so an MQTT level `v1.2` becomes two
 * AMQP words and comes back as `v1/2`. We percent-escape instead:
 * - MQTT level -> AMQP word: `%` -> `%25`, `.` -> `%2E`, `*` -> `%2A` (a literal `*` would be a
 *   wildcard in a binding), and the MQTT-side escape `%2F` -> `/`.
 * - AMQP word -> MQTT level: `%25`, `%2E`, `%2A` decode, and `/` -> `%2F`.
 * Every MQTT topic survives MQTT -> AMQP -> MQTT unchanged (so MQTT-only traffic never sees the
 * escaping); every AMQP key whose `%` signs are our escapes survives AMQP -> MQTT -> AMQP.
 */

const TO_AMQP: Readonly<Record<string, string>> = {
  '%2F': '/',
  '%': '%25',
  '.': '%2E',
  '*': '%2A',
};
const TO_MQTT: Readonly<Record<string, string>> = {
  '%25': '%',
  '%2E': '.',
  '%2A': '*',
  '/': '%2F',
};
const MQTT_SPECIAL = /%2F|[%.*]/g;
const AMQP_SPECIAL = /%25|%2E|%2A|\//g;
const MQTT_WILDCARD = /[#+]/;
/** Most topics need no escaping: then one replaceAll does (this is on every publish). */
const MQTT_PLAIN = /^[^%.*]*$/;
const AMQP_PLAIN = /^[^%/]*$/;

const toAmqp = (m: string): string => TO_AMQP[m] ?? m;
const toMqtt = (m: string): string => TO_MQTT[m] ?? m;

/** Translations kept: devices publish to the same topics over and over, and a publish is
 * translated twice (permission check, core message) and back once (delivery). A Map lookup
 * costs a third of a translation. Bounded in entries and key length; emptied when full. */
const CACHE_ENTRIES = 4096;
const CACHE_MAX_KEY = 256;

function memo<R>(translate: (s: string) => R): (s: string) => R {
  const cache = new Map<string, R>();
  return (s) => {
    const hit = cache.get(s);
    if (hit !== undefined) return hit;
    const r = translate(s);
    if (s.length <= CACHE_MAX_KEY && r !== undefined) {
      if (cache.size >= CACHE_ENTRIES) cache.clear();
      cache.set(s, r);
    }
    return r;
  };
}

/** MQTT topic name `a/b` -> AMQP routing key `a.b`. */
export const topicToRoutingKey = memo((topic: string): string => {
  if (MQTT_PLAIN.test(topic)) return topic.replaceAll('/', '.');
  return topic
    .split('/')
    .map((level) => level.replace(MQTT_SPECIAL, toAmqp))
    .join('.');
});

/** MQTT topic filter `a/+/#` -> AMQP binding pattern `a.*.#`. */
export function filterToPattern(filter: string): string {
  return filter
    .split('/')
    .map((level) =>
      level === '+' ? '*' : level === '#' ? '#' : level.replace(MQTT_SPECIAL, toAmqp),
    )
    .join('.');
}

/** AMQP routing key `a.b` -> MQTT topic name `a/b`; undefined when the key holds `#` or `+`,
 * which an MQTT topic name may not contain [MQTT-4.7.1-1]. */
export const routingKeyToTopic = memo((routingKey: string): string | undefined => {
  if (MQTT_WILDCARD.test(routingKey)) return undefined;
  if (AMQP_PLAIN.test(routingKey)) return routingKey.replaceAll('.', '/');
  return routingKey
    .split('.')
    .map((word) => word.replace(AMQP_SPECIAL, toMqtt))
    .join('/');
});
