/**
 * The SQLite store's writer thread: owns the connection every write goes through, so the
 * commit and its fsync (`synchronous=full`) block this thread instead of the event loop.
 * WAL lets the main thread keep its own connection for reads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CommitRequest, WriterData, WriterReply, WriterRequest } from './sqlite-protocol.js';
import { WRITE_NAMES, WRITE_SQL } from './sqlite-sql.js';

const port = parentPort;
if (!port) throw new Error('sqlite-worker.ts runs only as a worker thread');
const reply = (r: WriterReply): void => {
  port.postMessage(r);
};

const { path, synchronous } = workerData as WriterData;

function prepare(db: Database.Database): { stmt: Database.Statement; arity: number }[] {
  return WRITE_NAMES.map((name) => {
    const sql = WRITE_SQL[name];
    return { stmt: db.prepare(sql), arity: sql.split('?').length - 1 };
  });
}

function open(): { db: Database.Database; statements: ReturnType<typeof prepare> } | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
    return { db, statements: prepare(db) };
  } catch (err) {
    db?.close();
    reply({ type: 'open-failed', message: (err as Error).message });
    return undefined;
  }
}

const opened = open();
if (opened) {
  const { db, statements } = opened;
  const run = db.transaction((ops: readonly unknown[]) => {
    for (let i = 0; i < ops.length;) {
      const s = statements[ops[i] as number];
      if (!s) throw new Error(`unknown statement ${String(ops[i])}`);
      s.stmt.run(...ops.slice(i + 1, i + 1 + s.arity));
      i += 1 + s.arity;
    }
  });

  const commit = (req: CommitRequest): void => {
    try {
      run(req.ops);
      reply({ type: 'committed', id: req.id });
    } catch (err) {
      reply({ type: 'failed', id: req.id, message: (err as Error).message });
    }
  };

  port.on('message', (req: WriterRequest) => {
    switch (req.type) {
      case 'commit':
        commit(req);
        return;
      case 'close':
        db.close();
        reply({ type: 'closed' });
        port.close();
        return;
      default:
        // A request this thread does not know is a bug in the store: fail it loudly.
        throw new Error(`unknown writer request ${JSON.stringify(req)}`);
    }
  });
  reply({ type: 'ready' });
}
