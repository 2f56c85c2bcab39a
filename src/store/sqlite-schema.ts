/** Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Never
 * edit a released migration: append a new one. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE exchanges (vhost TEXT NOT NULL, name TEXT NOT NULL, spec BLOB NOT NULL, PRIMARY KEY (vhost, name));
  CREATE TABLE queues (vhost TEXT NOT NULL, name TEXT NOT NULL, spec BLOB NOT NULL, PRIMARY KEY (vhost, name));
  CREATE TABLE bindings (
    id TEXT PRIMARY KEY, vhost TEXT NOT NULL, source TEXT NOT NULL, dkind TEXT NOT NULL,
    dest TEXT NOT NULL, rkey TEXT NOT NULL, args BLOB NOT NULL
  );
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, vhost TEXT NOT NULL, queue TEXT NOT NULL, expires_at INTEGER NOT NULL,
    priority INTEGER NOT NULL, delivery_count INTEGER NOT NULL, meta BLOB NOT NULL, body BLOB NOT NULL
  );
  CREATE INDEX messages_by_queue ON messages (vhost, queue, id);
  CREATE TABLE retained (vhost TEXT NOT NULL, topic TEXT NOT NULL, meta BLOB NOT NULL, body BLOB NOT NULL, PRIMARY KEY (vhost, topic));
  `,
  // Keyed records (MQTT sessions). A rowid table: values are whole packets, too large for
  // WITHOUT ROWID to pay off.
  `
  CREATE TABLE records (kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (kind, key));
  `,
];
