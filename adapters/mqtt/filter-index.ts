/**
 * MQTT topic-filter index: a trie of levels with dedicated `+` and `#` slots, so a publish
 * costs one walk down the topic's levels rather than a scan of every subscription.
 */

interface TrieNode<T> {
  readonly children: Map<string, TrieNode<T>>;
  plus: TrieNode<T> | undefined;
  hash: TrieNode<T> | undefined;
  readonly values: Set<T>;
}

function newNode<T>(): TrieNode<T> {
  return { children: new Map(), plus: undefined, hash: undefined, values: new Set() };
}

function isEmpty<T>(n: TrieNode<T>): boolean {
  return n.values.size === 0 && n.children.size === 0 && !n.plus && !n.hash;
}

export class FilterIndex<T> {
  readonly #root: TrieNode<T> = newNode();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(filter: string, value: T): void {
    let node = this.#root;
    for (const level of filter.split('/')) {
      if (level === '+') node = node.plus ??= newNode();
      else if (level === '#') node = node.hash ??= newNode();
      else {
        let next = node.children.get(level);
        if (!next) node.children.set(level, (next = newNode()));
        node = next;
      }
    }
    if (!node.values.has(value)) {
      node.values.add(value);
      this.#size++;
    }
  }

  remove(filter: string, value: T): void {
    const levels = filter.split('/');
    const path: [TrieNode<T>, string][] = [];
    let node: TrieNode<T> | undefined = this.#root;
    for (const level of levels) {
      path.push([node, level]);
      node = level === '+' ? node.plus : level === '#' ? node.hash : node.children.get(level);
      if (!node) return;
    }
    if (!node.values.delete(value)) return;
    this.#size--;
    // Prune empty branches so churned filters do not leak nodes.
    for (let i = path.length - 1; i >= 0 && isEmpty(node); i--) {
      const [parent, level] = path[i] as [TrieNode<T>, string];
      if (level === '+') parent.plus = undefined;
      else if (level === '#') parent.hash = undefined;
      else parent.children.delete(level);
      node = parent;
    }
  }

  /** Calls `visit` once per (matching filter, value); a value under several matching filters
   * is visited several times. */
  match(topic: string, visit: (value: T) => void): void {
    const levels = topic.split('/');
    // [MQTT-4.7.2-1] filters starting with a wildcard do not match topics starting with '$'.
    const dollar = topic.startsWith('$');
    matchFrom(this.#root, levels, 0, dollar, visit);
  }
}

function matchFrom<T>(
  node: TrieNode<T>,
  levels: readonly string[],
  i: number,
  noWildcard: boolean,
  visit: (value: T) => void,
): void {
  // '#' also matches the parent level [MQTT-4.7.1-2].
  if (node.hash && !noWildcard) for (const v of node.hash.values) visit(v);
  if (i === levels.length) {
    for (const v of node.values) visit(v);
    return;
  }
  const level = levels[i] as string;
  if (node.plus && !noWildcard) matchFrom(node.plus, levels, i + 1, false, visit);
  const child = node.children.get(level);
  if (child) matchFrom(child, levels, i + 1, false, visit);
}

/** Whether one filter matches one topic, by the same rules as `FilterIndex.match`. */
export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}
