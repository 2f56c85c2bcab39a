/** Messages between the store (main thread) and its writer thread (sqlite-worker.ts). */

export interface WriterData {
  readonly path: string;
  readonly synchronous: 'full' | 'normal';
}

/**
 * One group commit, flattened: a statement number (WRITE_INDEX) followed by its parameters,
 * repeated; each statement's parameter count is the number of `?` in its SQL. Buffers are
 * copied, not transferred: a message body may share its memory with other messages.
 */
export interface CommitRequest {
  readonly type: 'commit';
  readonly id: number;
  readonly ops: readonly unknown[];
}

export interface CloseRequest {
  readonly type: 'close';
}

export type WriterRequest = CommitRequest | CloseRequest;

export type WriterReply =
  | { readonly type: 'ready' }
  | { readonly type: 'open-failed'; readonly message: string }
  | { readonly type: 'committed'; readonly id: number }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
  | { readonly type: 'closed' };
