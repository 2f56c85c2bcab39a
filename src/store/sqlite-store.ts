import { mkdirSync } from 'node:fs';
import { pendingBatch, type PendingBatch } from './pending-batch.js';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
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
import { READ_SQL, WRITE_INDEX as W } from './sqlite-sql.js';
import { SqliteWriter } from './sqlite-writer.js';

export interface SqliteStoreOptions {
  readonly dataDir: string;
  /** `full` fsyncs every commit (nothing acknowledged is lost on power loss); `normal` only
   * survives process crashes. */
  readonly synchronous: 'full' | 'normal';
  /** Most writes per transaction; a larger backlog commits in several. */
  readonly maxBatch: number;
}

export const DB_FILE = 'gateway.db';

type Reads = { readonly [K in keyof typeof READ_SQL]: Database.Statement };

function prepareReads(db: Database.Database): Reads {
  return Object.fromEntries(
    Object.entries(READ_SQL).map(([k, sql]) => [k, db.prepare(sql)]),
  ) as unknown as Reads;
}

/** One group commit's writes, flattened as the writer thread takes them (CommitRequest). */
type Batch = PendingBatch<{ readonly ops: unknown[]; writes: number }>;
const newBatch = (): Batch => pendingBatch({ ops: [], writes: 0 });

/**
 * The embedded store: one SQLite file in WAL mode. Writes queue up in call order and commit
 * together in a writer thread (sqlite-writer.ts), so the event loop never waits for a commit
 * or its fsync. Group commit: the writes of one event-loop turn, and every write queued while
 * the previous commit was in flight, share one transaction (at most `maxBatch` writes each).
 * Reads run on this thread's own connection once the writes queued before them are committed.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #opts: SqliteStoreOptions;
  #db: Database.Database | undefined;
  #sql: Reads | undefined;
  #writer: SqliteWriter | undefined;
  /** Batches not yet sent to the writer, oldest first; only the last one still grows. */
  #queue: Batch[] = [];
  #committing = false;
  /** Settles when the latest batch does: batches commit in order, so all before it did too. */
  #last: Promise<void> = Promise.resolve();
  #scheduled: NodeJS.Immediate | undefined;
  #failure: BrokerError | undefined;
  #nextId = 1;

  constructor(opts: SqliteStoreOptions) {
    this.#opts = opts;
  }

  get path(): string {
    return join(this.#opts.dataDir, DB_FILE);
  }

  /** The writer thread, for diagnostics; undefined while closed. */
  get writerThread(): Worker | undefined {
    return this.#writer?.thread;
  }

  async open(): Promise<void> {
    mkdirSync(this.#opts.dataDir, { recursive: true });
    let db: Database.Database | undefined;
    try {
      db = new Database(this.path);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.#opts.synchronous.toUpperCase()}`);
      migrate(db);
      this.#sql = prepareReads(db);
      const row = this.#sql.maxId.get() as { id: number } | undefined;
      this.#nextId = (row?.id ?? 0) + 1;
      this.#failure = undefined;
      this.#writer = await SqliteWriter.start(
        { path: this.path, synchronous: this.#opts.synchronous },
        (err) => {
          this.#crashed(err);
        },
      );
    } catch (err) {
      db?.close();
      this.#sql = undefined;
      throw new BrokerError(
        'GW_ERR_INTERNAL',
        `cannot open the data file ${this.path}: ${(err as Error).message}. ` +
          'Move it away to start empty, or restore it from a backup.',
        { cause: err },
      );
    }
    this.#db = db;
  }

  async close(): Promise<void> {
    try {
      // After a crash the queue is already rejected; closing only releases the connection.
      if (!this.#failure) await this.#drainUntilQuiet();
    } finally {
      const writer = this.#writer;
      this.#writer = undefined;
      await writer?.close();
      this.#db?.close();
      this.#db = undefined;
      this.#sql = undefined;
    }
  }

  #stmts(): Reads {
    if (!this.#sql) throw new BrokerError('GW_ERR_STORE_UNAVAILABLE', 'store is not open');
    return this.#sql;
  }

  /** Queues one write (a statement number and its parameters, repeated); the promise resolves
   * once its batch is committed. */
  #write(...ops: unknown[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (!this.#writer) {
      return Promise.reject(new BrokerError('GW_ERR_STORE_UNAVAILABLE', 'store is not open'));
    }
    let batch = this.#queue.at(-1);
    if (!batch || batch.content.writes >= this.#opts.maxBatch) {
      batch = newBatch();
      this.#queue.push(batch);
      this.#last = batch.done;
    }
    batch.content.ops.push(...ops);
    batch.content.writes++;
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      this.#pump();
    });
    return batch.done;
  }

  /** Sends the oldest queued batch unless one is in flight; the answer sends the next. */
  #pump(): void {
    if (this.#committing) return;
    const batch = this.#queue.shift();
    const writer = this.#writer;
    if (!batch || !writer) return;
    this.#committing = true;
    writer.commit(batch.content.ops).then(
      () => {
        this.#committed(batch);
      },
      (err: unknown) => {
        this.#committed(batch, err);
      },
    );
  }

  #committed(batch: Batch, err?: unknown): void {
    this.#committing = false;
    if (err === undefined) batch.resolve();
    else batch.reject(err);
    this.#pump();
  }

  /** The writer thread died: every queued write fails, and so does every later one. */
  #crashed(err: BrokerError): void {
    this.#failure = err;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    for (const batch of this.#queue.splice(0)) batch.reject(err);
  }

  /** A commit's answer can trigger further writes (an MQTT will published at a stop, then
   * its record removed): commit until a whole turn passes with nothing new queued. */
  async #drainUntilQuiet(): Promise<void> {
    do {
      await this.#drain();
      await new Promise<void>((resolve) => {
        setImmediate(resolve);
      });
    } while (this.#queue.length > 0 || this.#committing);
  }

  /** Commits everything queued now and waits for it. */
  async #drain(): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#scheduled) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    this.#pump();
    await this.#last;
  }

  async loadTopology(): Promise<Topology> {
    await this.#drain();
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
    return this.#write(W.putExchange, x.vhost, x.spec.name, spec);
  }

  deleteExchange(vhost: string, name: string): Promise<void> {
    return this.#write(W.deleteExchange, vhost, name);
  }

  putQueue(q: StoredQueue): Promise<void> {
    const record = encodeQueue(q);
    return this.#write(W.putQueue, q.vhost, q.spec.name, record);
  }

  deleteQueue(vhost: string, name: string): Promise<void> {
    return this.#write(W.deleteQueue, vhost, name, W.deleteQueueMessages, vhost, name);
  }

  putBinding(b: StoredBinding): Promise<void> {
    const args = encodeValue(b.arguments);
    const id = bindingKey(b);
    return this.#write(
      W.putBinding,
      id,
      b.vhost,
      b.source,
      b.destinationKind,
      b.destination,
      b.routingKey,
      args,
    );
  }

  deleteBinding(b: StoredBinding): Promise<void> {
    const id = bindingKey(b);
    return this.#write(W.deleteBinding, id);
  }

  nextMessageId(): number {
    return this.#nextId++;
  }

  appendMessage(m: StoredMessage): Promise<void> {
    const meta = encodeMessageMeta(m.message);
    return this.#write(
      W.appendMessage,
      m.id,
      m.vhost,
      m.queue,
      m.expiresAt,
      m.priority,
      m.deliveryCount,
      meta,
      m.message.body,
    );
  }

  removeMessage(_vhost: string, _queue: string, id: number): Promise<void> {
    return this.#write(W.removeMessage, id);
  }

  markDelivered(_vhost: string, _queue: string, id: number, deliveryCount: number): Promise<void> {
    return this.#write(W.markDelivered, deliveryCount, id);
  }

  async readMessages(vhost: string, queue: string): Promise<readonly StoredMessage[]> {
    await this.#drain();
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
    return this.#write(W.putRetained, r.vhost, r.topic, meta, r.message.body);
  }

  deleteRetained(vhost: string, topic: string): Promise<void> {
    return this.#write(W.deleteRetained, vhost, topic);
  }

  async listRetained(vhost: string): Promise<readonly RetainedMessage[]> {
    // Reads see committed state: flush queued writes first so a reader sees its own writes.
    await this.#drain();
    const rows = this.#stmts().listRetained.all(vhost) as {
      topic: string;
      meta: Buffer;
      body: Buffer;
    }[];
    return rows.map((r) => ({ vhost, topic: r.topic, message: decodeMessage(r.meta, r.body) }));
  }

  putRecord(kind: string, key: string, value: Buffer): Promise<void> {
    return this.#write(W.putRecord, kind, key, value);
  }

  deleteRecord(kind: string, key: string): Promise<void> {
    return this.#write(W.deleteRecord, kind, key);
  }

  async listRecords(kind: string, keyPrefix = ''): Promise<readonly StoredRecord[]> {
    await this.#drain();
    const rows =
      keyPrefix === ''
        ? this.#stmts().listRecords.all(kind)
        : this.#stmts().listRecordsFrom.all(kind, keyPrefix, `${keyPrefix}\u{10FFFF}`);
    return byKey(rows as StoredRecord[]);
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
