import { mkdirSync } from 'node:fs';
import { pendingBatch, type PendingBatch } from './pending-batch.js';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BrokerError } from '../core/errors.js';
import type {
  Arguments,
  ExchangeSpec,
  RetainedMessage,
  Store,
  StoredBinding,
  StoredExchange,
  StoredMessage,
  StoredQueue,
  StoredRecord,
  Topology,
} from '../spi.js';
import { bindingKey } from './binding-key.js';
import { byKey } from './record-order.js';
import { decodeMessage, decodeValue, encodeMessageMeta, encodeValue } from './message-codec.js';
import { decodeQueue, encodeQueue } from './queue-record.js';
import { MIGRATIONS } from './sqlite-schema.js';

export interface SqliteStoreOptions {
  readonly dataDir: string;
  /** `full` fsyncs every commit (nothing acknowledged is lost on power loss); `normal` only
   * survives process crashes. */
  readonly synchronous: 'full' | 'normal';
  /** Most writes per transaction; a larger backlog commits in several. */
  readonly maxBatch: number;
}

export const DB_FILE = 'gateway.db';

type Op = () => void;

const SQL = {
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
  readMessages:
    'SELECT id, expires_at, priority, delivery_count, meta, body FROM messages WHERE vhost = ? AND queue = ? ORDER BY id',
  putRetained: 'INSERT OR REPLACE INTO retained (vhost, topic, meta, body) VALUES (?, ?, ?, ?)',
  deleteRetained: 'DELETE FROM retained WHERE vhost = ? AND topic = ?',
  listRetained: 'SELECT topic, meta, body FROM retained WHERE vhost = ?',
  putRecord: 'INSERT OR REPLACE INTO records (kind, key, value) VALUES (?, ?, ?)',
  deleteRecord: 'DELETE FROM records WHERE kind = ? AND key = ?',
  listRecords: 'SELECT key, value FROM records WHERE kind = ?',
  exchanges: 'SELECT vhost, spec FROM exchanges',
  queues: 'SELECT vhost, spec FROM queues',
  bindings: 'SELECT vhost, source, dkind, dest, rkey, args FROM bindings',
  // AUTOINCREMENT keeps the largest id ever used, so ids never repeat after deletes.
  maxId: "SELECT seq AS id FROM sqlite_sequence WHERE name = 'messages'",
} as const;

type Statements = { readonly [K in keyof typeof SQL]: Database.Statement };

function prepareAll(db: Database.Database): Statements {
  return Object.fromEntries(
    Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)]),
  ) as unknown as Statements;
}

type Batch = PendingBatch<Op[]>;
const newBatch = (): Batch => pendingBatch<Op[]>([]);

/**
 * The embedded store: one SQLite file in WAL mode. Writes queue up in call order and commit
 * together on the next turn of the event loop (group commit: one fsync for every publish of
 * that turn), so confirm latency stays at one commit.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #opts: SqliteStoreOptions;
  #db: Database.Database | undefined;
  #sql: Statements | undefined;
  #batch: Batch = newBatch();
  #scheduled: NodeJS.Immediate | undefined;
  #nextId = 1;

  constructor(opts: SqliteStoreOptions) {
    this.#opts = opts;
  }

  get path(): string {
    return join(this.#opts.dataDir, DB_FILE);
  }

  async open(): Promise<void> {
    mkdirSync(this.#opts.dataDir, { recursive: true });
    let db: Database.Database | undefined;
    try {
      db = new Database(this.path);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.#opts.synchronous.toUpperCase()}`);
      migrate(db);
      this.#sql = prepareAll(db);
      const row = this.#sql.maxId.get() as { id: number } | undefined;
      this.#nextId = (row?.id ?? 0) + 1;
    } catch (err) {
      db?.close();
      throw new BrokerError(
        'GW_ERR_INTERNAL',
        `cannot open the data file ${this.path}: ${(err as Error).message}. ` +
          'Move it away to start empty, or restore it from a backup.',
        { cause: err },
      );
    }
    this.#db = db;
    await Promise.resolve();
  }

  async close(): Promise<void> {
    await this.#flushNow();
    this.#db?.close();
    this.#db = undefined;
    this.#sql = undefined;
  }

  #conn(): Database.Database {
    if (!this.#db) throw new BrokerError('GW_ERR_STORE_UNAVAILABLE', 'store is not open');
    return this.#db;
  }

  #stmts(): Statements {
    if (!this.#sql) throw new BrokerError('GW_ERR_STORE_UNAVAILABLE', 'store is not open');
    return this.#sql;
  }

  /** Queue a write; the promise resolves when its batch is committed. */
  #write(op: Op): Promise<void> {
    const batch = this.#batch;
    batch.content.push(op);
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      this.#commit();
    });
    return batch.done;
  }

  #commit(): void {
    const batch = this.#batch;
    this.#batch = newBatch();
    if (batch.content.length === 0) {
      batch.resolve();
      return;
    }
    try {
      const db = this.#conn();
      for (let i = 0; i < batch.content.length; i += this.#opts.maxBatch) {
        const slice = batch.content.slice(i, i + this.#opts.maxBatch);
        db.transaction(() => {
          for (const op of slice) op();
        })();
      }
      batch.resolve();
    } catch (err) {
      batch.reject(
        new BrokerError(
          'GW_ERR_STORE_UNAVAILABLE',
          `store write failed: ${(err as Error).message}`,
          { cause: err },
        ),
      );
    }
  }

  async #flushNow(): Promise<void> {
    if (this.#scheduled) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    const pending = this.#batch.done;
    this.#commit();
    await pending;
  }

  async loadTopology(): Promise<Topology> {
    await this.#flushNow();
    const sql = this.#stmts();
    const exchanges = (sql.exchanges.all() as { vhost: string; spec: Buffer }[]).map((r) => ({
      vhost: r.vhost,
      spec: decodeValue(r.spec) as ExchangeSpec,
    }));
    const queues = (sql.queues.all() as { vhost: string; spec: Buffer }[]).map((r) =>
      decodeQueue(r.vhost, r.spec),
    );
    const bindings = (
      sql.bindings.all() as {
        vhost: string;
        source: string;
        dkind: 'queue' | 'exchange';
        dest: string;
        rkey: string;
        args: Buffer;
      }[]
    ).map((r) => ({
      vhost: r.vhost,
      source: r.source,
      destinationKind: r.dkind,
      destination: r.dest,
      routingKey: r.rkey,
      arguments: decodeValue(r.args) as Arguments,
    }));
    return { exchanges, queues, bindings };
  }

  putExchange(x: StoredExchange): Promise<void> {
    const spec = encodeValue(x.spec);
    return this.#write(() => this.#stmts().putExchange.run(x.vhost, x.spec.name, spec));
  }

  deleteExchange(vhost: string, name: string): Promise<void> {
    return this.#write(() => this.#stmts().deleteExchange.run(vhost, name));
  }

  putQueue(q: StoredQueue): Promise<void> {
    const record = encodeQueue(q);
    return this.#write(() => this.#stmts().putQueue.run(q.vhost, q.spec.name, record));
  }

  deleteQueue(vhost: string, name: string): Promise<void> {
    return this.#write(() => {
      this.#stmts().deleteQueue.run(vhost, name);
      this.#stmts().deleteQueueMessages.run(vhost, name);
    });
  }

  putBinding(b: StoredBinding): Promise<void> {
    const args = encodeValue(b.arguments);
    const id = bindingKey(b);
    return this.#write(() =>
      this.#stmts().putBinding.run(
        id,
        b.vhost,
        b.source,
        b.destinationKind,
        b.destination,
        b.routingKey,
        args,
      ),
    );
  }

  deleteBinding(b: StoredBinding): Promise<void> {
    const id = bindingKey(b);
    return this.#write(() => this.#stmts().deleteBinding.run(id));
  }

  nextMessageId(): number {
    return this.#nextId++;
  }

  appendMessage(m: StoredMessage): Promise<void> {
    const meta = encodeMessageMeta(m.message);
    return this.#write(() =>
      this.#stmts().appendMessage.run(
        m.id,
        m.vhost,
        m.queue,
        m.expiresAt,
        m.priority,
        m.deliveryCount,
        meta,
        m.message.body,
      ),
    );
  }

  removeMessage(_vhost: string, _queue: string, id: number): Promise<void> {
    return this.#write(() => this.#stmts().removeMessage.run(id));
  }

  markDelivered(_vhost: string, _queue: string, id: number, deliveryCount: number): Promise<void> {
    return this.#write(() => this.#stmts().markDelivered.run(deliveryCount, id));
  }

  async readMessages(vhost: string, queue: string): Promise<readonly StoredMessage[]> {
    await this.#flushNow();
    const rows = this.#stmts().readMessages.all(vhost, queue) as {
      id: number;
      expires_at: number;
      priority: number;
      delivery_count: number;
      meta: Buffer;
      body: Buffer;
    }[];
    return rows.map((r) => ({
      id: r.id,
      vhost,
      queue,
      message: decodeMessage(r.meta, r.body),
      expiresAt: r.expires_at,
      priority: r.priority,
      deliveryCount: r.delivery_count,
    }));
  }

  putRetained(r: RetainedMessage): Promise<void> {
    const meta = encodeMessageMeta(r.message);
    return this.#write(() => this.#stmts().putRetained.run(r.vhost, r.topic, meta, r.message.body));
  }

  deleteRetained(vhost: string, topic: string): Promise<void> {
    return this.#write(() => this.#stmts().deleteRetained.run(vhost, topic));
  }

  async listRetained(vhost: string): Promise<readonly RetainedMessage[]> {
    // Reads see committed state: flush queued writes first so a reader sees its own writes.
    await this.#flushNow();
    const rows = this.#stmts().listRetained.all(vhost) as {
      topic: string;
      meta: Buffer;
      body: Buffer;
    }[];
    return rows.map((r) => ({ vhost, topic: r.topic, message: decodeMessage(r.meta, r.body) }));
  }

  putRecord(kind: string, key: string, value: Buffer): Promise<void> {
    return this.#write(() => this.#stmts().putRecord.run(kind, key, value));
  }

  deleteRecord(kind: string, key: string): Promise<void> {
    return this.#write(() => this.#stmts().deleteRecord.run(kind, key));
  }

  async listRecords(kind: string): Promise<readonly StoredRecord[]> {
    await this.#flushNow();
    return byKey(this.#stmts().listRecords.all(kind) as StoredRecord[]);
  }
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `schema version ${version} is newer than this gateway understands (${MIGRATIONS.length})`,
    );
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
