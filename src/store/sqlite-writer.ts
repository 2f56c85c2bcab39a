import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BrokerError } from '../core/errors.js';
import { pendingBatch, type PendingBatch } from './pending-batch.js';
import type { WriterData, WriterReply, WriterRequest } from './sqlite-protocol.js';

/**
 * Under tsx and vitest this module is TypeScript, and Node 20 does not apply the main thread's
 * loader (nor `--import tsx` in `execArgv`) to a worker thread: the thread then loads its
 * entry through tsx's require hook, which needs no loader.
 */
function spawnWorker(data: WriterData): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(`./sqlite-worker.${ts ? 'ts' : 'js'}`, import.meta.url);
  if (!ts) return new Worker(entry, { workerData: data });
  const api = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const file = fileURLToPath(entry);
  const code = `require(${JSON.stringify(api)}).require(${JSON.stringify(file)}, ${JSON.stringify(file)});`;
  return new Worker(code, { eval: true, workerData: data });
}

const describe = (err: unknown): string =>
  err instanceof Error ? err.message : JSON.stringify(err);

/**
 * The main thread's handle on the writer thread (sqlite-worker.ts): one commit at a time, each
 * answered once durable. If the thread dies, the commit in flight and every later one reject
 * with GW_ERR_STORE_UNAVAILABLE and `onCrash` is told once.
 */
export class SqliteWriter {
  /** The thread itself, for diagnostics. */
  readonly thread: Worker;
  readonly #onCrash: (err: BrokerError) => void;
  #ready = pendingBatch<undefined>(undefined);
  /** The commit in flight; its content is the request's id. */
  #inFlight: PendingBatch<number> | undefined;
  #closed: PendingBatch<undefined> | undefined;
  #failure: BrokerError | undefined;
  #nextId = 1;

  private constructor(data: WriterData, onCrash: (err: BrokerError) => void) {
    this.#onCrash = onCrash;
    this.thread = spawnWorker(data);
    this.thread.on('message', (r: WriterReply) => {
      this.#reply(r);
    });
    this.thread.on('error', (err) => {
      this.#fail(`writer thread failed: ${describe(err)}`, err);
    });
    this.thread.on('exit', (code) => {
      this.#closed?.resolve();
      this.#fail(`writer thread exited (code ${code})`);
    });
  }

  /** Starts the thread and waits until its connection is open. */
  static async start(data: WriterData, onCrash: (err: BrokerError) => void): Promise<SqliteWriter> {
    const writer = new SqliteWriter(data, onCrash);
    try {
      await writer.#ready.done;
    } catch (err) {
      await writer.thread.terminate();
      throw err;
    }
    // Idle, the thread must not keep the process alive; `commit` refs it while one is in flight.
    writer.thread.unref();
    return writer;
  }

  /** Runs `ops` (see CommitRequest) in one transaction. One commit at a time. */
  commit(ops: readonly unknown[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#inFlight) throw new Error('SqliteWriter: a commit is already in flight');
    const id = this.#nextId++;
    this.#inFlight = pendingBatch(id);
    this.thread.ref();
    this.#send({ type: 'commit', id, ops });
    return this.#inFlight.done;
  }

  /** Closes the thread's connection (after the commit in flight) and waits for the thread. */
  async close(): Promise<void> {
    if (this.#failure) return;
    this.#closed ??= pendingBatch(undefined);
    this.thread.ref();
    this.#send({ type: 'close' });
    await this.#closed.done;
  }

  #send(req: WriterRequest): void {
    this.thread.postMessage(req);
  }

  #reply(r: WriterReply): void {
    switch (r.type) {
      case 'ready':
        this.#ready.resolve();
        return;
      case 'open-failed':
        this.#ready.reject(new Error(r.message));
        return;
      case 'closed':
        this.#failure = new BrokerError('GW_ERR_STORE_UNAVAILABLE', 'store is closed');
        return;
      case 'committed':
      case 'failed': {
        const batch = this.#inFlight;
        if (batch?.content !== r.id) {
          this.#fail(`writer thread answered commit ${r.id}, expected ${batch?.content}`);
          return;
        }
        this.#inFlight = undefined;
        this.thread.unref();
        if (r.type === 'committed') batch.resolve();
        else
          batch.reject(
            new BrokerError('GW_ERR_STORE_UNAVAILABLE', `store write failed: ${r.message}`),
          );
      }
    }
  }

  #fail(message: string, cause?: unknown): void {
    if (this.#failure) return;
    const err = new BrokerError('GW_ERR_STORE_UNAVAILABLE', `store unavailable: ${message}`, {
      cause,
    });
    this.#failure = err;
    this.#ready.reject(err);
    this.#inFlight?.reject(err);
    this.#inFlight = undefined;
    this.#onCrash(err);
    void this.thread.terminate();
  }
}
