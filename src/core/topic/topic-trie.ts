/**
 * Topic matcher: a trie of words with dedicated `*` and `#` slots (nats-server sublist.go is the
 * model) and a bounded cache of literal routing key -> result, evicted precisely on add/remove.
 * `*` matches exactly one word, `#` zero or more; empty words are ordinary words.
 */
import { splitWords } from './topic-syntax.js';

/** As RabbitMQ's split_topic_key: the empty key has no word at all (so `*` does not match it),
 * any other key splits on '.' keeping empty words (`a..b`, `.a`). */
function wordsOf(key: string): string[] {
  return key === '' ? [] : splitWords(key);
}

class TrieNode<T> {
  readonly words = new Map<string, TrieNode<T>>();
  star: TrieNode<T> | undefined;
  hash: TrieNode<T> | undefined;
  readonly values = new Set<T>();

  isEmpty(): boolean {
    return this.values.size === 0 && this.words.size === 0 && !this.star && !this.hash;
  }
}

const EMPTY: readonly never[] = Object.freeze([]);

export class TopicTrie<T> {
  readonly #root = new TrieNode<T>();
  readonly #cache = new Map<string, readonly T[]>();
  readonly #cacheSize: number;
  #count = 0;

  /** `cacheSize` 0 disables the cache. */
  constructor(cacheSize = 1024) {
    this.#cacheSize = cacheSize;
  }

  get size(): number {
    return this.#count;
  }

  get cachedKeys(): number {
    return this.#cache.size;
  }

  add(pattern: string, value: T): void {
    let node = this.#root;
    for (const w of wordsOf(pattern)) node = child(node, w, true);
    if (node.values.has(value)) return;
    node.values.add(value);
    this.#count++;
    this.#evictMatching(pattern);
  }

  remove(pattern: string, value: T): boolean {
    const path: [TrieNode<T>, string][] = [];
    let node: TrieNode<T> | undefined = this.#root;
    for (const w of wordsOf(pattern)) {
      const next: TrieNode<T> | undefined = child(node, w, false);
      if (!next) return false;
      path.push([node, w]);
      node = next;
    }
    if (!node.values.delete(value)) return false;
    this.#count--;
    // Prune empty nodes bottom-up so a churn of bind/unbind does not grow the trie.
    for (let i = path.length - 1; i >= 0 && node.isEmpty(); i--) {
      const [parent, w] = path[i] as [TrieNode<T>, string];
      if (w === '*') parent.star = undefined;
      else if (w === '#') parent.hash = undefined;
      else parent.words.delete(w);
      node = parent;
    }
    this.#evictMatching(pattern);
    return true;
  }

  match(routingKey: string): readonly T[] {
    const cached = this.#cache.get(routingKey);
    if (cached) return cached;
    const out = new Set<T>();
    matchNode(this.#root, wordsOf(routingKey), 0, out);
    const result = out.size === 0 ? EMPTY : Array.from(out);
    if (this.#cacheSize > 0) {
      if (this.#cache.size >= this.#cacheSize) this.#sweep();
      this.#cache.set(routingKey, result);
    }
    return result;
  }

  /** Drop the oldest quarter of the cache (Map keeps insertion order). */
  #sweep(): void {
    let drop = Math.max(1, this.#cacheSize >> 2);
    for (const key of this.#cache.keys()) {
      this.#cache.delete(key);
      if (--drop === 0) break;
    }
  }

  /** Evict the cached keys this pattern matches: only their results can change. */
  #evictMatching(pattern: string): void {
    if (this.#cache.size === 0) return;
    const pwords = wordsOf(pattern);
    if (!pwords.includes('*') && !pwords.includes('#')) {
      this.#cache.delete(pattern);
      return;
    }
    for (const key of this.#cache.keys()) {
      if (patternMatches(pwords, 0, wordsOf(key), 0)) this.#cache.delete(key);
    }
  }
}

function child<T>(node: TrieNode<T>, word: string, create: true): TrieNode<T>;
function child<T>(node: TrieNode<T>, word: string, create: false): TrieNode<T> | undefined;
function child<T>(node: TrieNode<T>, word: string, create: boolean): TrieNode<T> | undefined {
  if (word === '*') return (node.star ??= create ? new TrieNode<T>() : undefined);
  if (word === '#') return (node.hash ??= create ? new TrieNode<T>() : undefined);
  let next = node.words.get(word);
  if (!next && create) {
    next = new TrieNode<T>();
    node.words.set(word, next);
  }
  return next;
}

function matchNode<T>(node: TrieNode<T>, words: readonly string[], i: number, out: Set<T>): void {
  if (node.hash) {
    // `#` swallows zero or more words: try every suffix.
    for (let j = i; j <= words.length; j++) matchNode(node.hash, words, j, out);
  }
  if (i === words.length) {
    for (const v of node.values) out.add(v);
    return;
  }
  const word = words[i] as string;
  const lit = node.words.get(word);
  if (lit) matchNode(lit, words, i + 1, out);
  if (node.star) matchNode(node.star, words, i + 1, out);
}

/** Does a pattern match a literal key? Used for cache eviction. */
export function patternMatches(
  pattern: readonly string[],
  pi: number,
  key: readonly string[],
  ki: number,
): boolean {
  if (pi === pattern.length) return ki === key.length;
  const p = pattern[pi];
  if (p === '#') {
    for (let j = ki; j <= key.length; j++) if (patternMatches(pattern, pi + 1, key, j)) return true;
    return false;
  }
  if (ki === key.length) return false;
  return (p === '*' || p === key[ki]) && patternMatches(pattern, pi + 1, key, ki + 1);
}
