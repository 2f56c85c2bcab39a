/** MQTT topic-filter matching for permission rules written in MQTT syntax. */

/** Does `filter` (with `+` / `#`) match the topic name `topic`? [MQTT-4.7.1] */
export function mqttTopicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Is every topic that `inner` matches also matched by `outer`? (A subscription `inner` stays
 * within the rule `outer`.) */
export function mqttFilterCovers(outer: string, inner: string): boolean {
  const o = outer.split('/');
  const n = inner.split('/');
  for (let i = 0; i < o.length; i++) {
    const level = o[i];
    if (level === '#') return true;
    const sub = n[i];
    if (sub === undefined || sub === '#') return false;
    if (level === '+') continue;
    if (sub === '+' || sub !== level) return false;
  }
  return o.length === n.length;
}
