/** The SQL of the SQLite store. Writes run in the writer thread (sqlite-worker.ts), reads on
 * the main thread's own connection. */

export const WRITE_SQL = {
  putExchange: 'INSERT OR REPLACE INTO exchanges (vhost, name, spec) VALUES (?, ?, ?)',
  deleteExchange: 'DELETE FROM exchanges WHERE vhost = ? AND name = ?',
  putQueue: 'INSERT OR REPLACE INTO queues (vhost, name, spec) VALUES (?, ?, ?)',
  deleteQueue: 'DELETE FROM queues WHERE vhost = ? AND name = ?',
  deleteQueueMessages: 'DELETE FROM messages WHERE vhost = ? AND queue = ?',
  putBinding:
    'INSERT OR REPLACE INTO bindings (id, vhost, source, dkind, dest, rkey, args) VALUES (?, ?, ?, ?, ?, ?, ?)',
  deleteBinding: 'DELETE FROM bindings WHERE id = ?',
  appendMessage:
    'INSERT OR REPLACE INTO messages (id, vhost, queue, expires_at, priority, delivery_count, meta, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  removeMessage: 'DELETE FROM messages WHERE id = ?',
  markDelivered: 'UPDATE messages SET delivery_count = ? WHERE id = ?',
  putRetained: 'INSERT OR REPLACE INTO retained (vhost, topic, meta, body) VALUES (?, ?, ?, ?)',
  deleteRetained: 'DELETE FROM retained WHERE vhost = ? AND topic = ?',
  putRecord: 'INSERT OR REPLACE INTO records (kind, key, value) VALUES (?, ?, ?)',
  deleteRecord: 'DELETE FROM records WHERE kind = ? AND key = ?',
} as const;

export type WriteName = keyof typeof WRITE_SQL;

/** Statement numbers as they travel to the writer thread (a number clones cheaper than a name). */
export const WRITE_NAMES = Object.keys(WRITE_SQL) as WriteName[];
export const WRITE_INDEX = Object.fromEntries(WRITE_NAMES.map((n, i) => [n, i])) as Record<
  WriteName,
  number
>;

export const READ_SQL = {
  readMessages:
    'SELECT id, expires_at, priority, delivery_count, meta, body FROM messages WHERE vhost = ? AND queue = ? ORDER BY id',
  listRetained: 'SELECT topic, meta, body FROM retained WHERE vhost = ?',
  listRecords: 'SELECT key, value FROM records WHERE kind = ?',
  // A key range on the (kind, key) primary key: every key starting with the prefix sorts
  // between it and the prefix followed by U+10FFFF.
  listRecordsFrom: 'SELECT key, value FROM records WHERE kind = ? AND key >= ? AND key < ?',
  exchanges: 'SELECT vhost, spec FROM exchanges',
  queues: 'SELECT vhost, spec FROM queues',
  bindings: 'SELECT vhost, source, dkind, dest, rkey, args FROM bindings',
  // AUTOINCREMENT keeps the largest id ever used, so ids never repeat after deletes.
  maxId: "SELECT seq AS id FROM sqlite_sequence WHERE name = 'messages'",
} as const;
