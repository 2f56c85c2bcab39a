import type { StoredRecord } from '../spi.js';

/** `listRecords` order for every store: keys compared as JS compares strings (UTF-16 code
 * units), which SQLite's and Redis' byte orders differ from outside ASCII. */
export function byKey(records: StoredRecord[]): StoredRecord[] {
  return records.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
