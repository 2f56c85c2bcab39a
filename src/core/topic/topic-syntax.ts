import { BrokerError } from '../errors.js';

/** Routing keys and binding patterns are '.'-separated words; empty words are allowed
 * (`a..b`, `.a`). */
export function splitWords(key: string): string[] {
  return key.split('.');
}

/** RabbitMQ refuses topic bindings with more than two `#` words: each extra one multiplies
 * the matching work. */
export const MAX_HASH_WORDS = 2;

export function isValidPattern(pattern: string, maxWords: number): boolean {
  const words = splitWords(pattern);
  if (words.length > maxWords) return false;
  let hashes = 0;
  for (const w of words) if (w === '#') hashes++;
  return hashes <= MAX_HASH_WORDS;
}

export function assertValidPattern(pattern: string, maxWords: number): void {
  if (!isValidPattern(pattern, maxWords)) {
    throw new BrokerError(
      'GW_ERR_INVALID_ARGUMENT',
      `invalid topic pattern '${pattern}' (at most ${maxWords} words and ${MAX_HASH_WORDS} '#')`,
    );
  }
}
