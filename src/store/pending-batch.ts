/** Writes queued for one group commit, and the promise every one of them waits on. */
export interface PendingBatch<T> {
  readonly content: T;
  readonly done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

export function pendingBatch<T>(content: T): PendingBatch<T> {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A batch nobody awaits must not become an unhandled rejection; callers that await see it.
  done.catch(() => undefined);
  return { content, done, resolve, reject };
}
