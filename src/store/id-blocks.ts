import { BrokerError } from '../core/errors.js';

/** Reserve `n` ids on the shared counter; resolves to the last id of the block (INCRBY). */
export type ReserveIds = (n: number) => Promise<number>;

const MAX_BLOCK = 1_000_000;
/** A refill requested sooner than this after the previous one means the block is too small. */
const FAST_REFILL_MS = 1_000;
const RETRY_AFTER_FAILURE_MS = 500;

/**
 * Synchronous message ids from a shared counter. `Store.nextMessageId()` must not wait, so ids
 * come from blocks reserved ahead of time: the first at open, the next in the background once
 * half of the current one is used. A block is reserved atomically, so ids are unique across
 * every process on the counter and increase within each process (and across restarts, as the
 * counter only grows). Ids skipped by a process that stops are simply never used.
 *
 * The block size doubles (up to a cap) when refills come faster than one a second, so a busy
 * node does not run dry while its refill is in flight. Running dry anyway means Redis has not
 * answered for a whole half block: `next()` then throws GW_ERR_STORE_UNAVAILABLE, and the
 * publish is refused as its write would be.
 */
export class IdBlocks {
  readonly #reserve: ReserveIds;
  #size: number;
  #next = 1;
  #end = 0;
  #spare: { start: number; end: number } | undefined;
  #refilling = false;
  #lastRefillAt = -Infinity;
  #retryAfter = 0;
  #lastError: unknown;

  constructor(reserve: ReserveIds, blockSize: number) {
    this.#reserve = reserve;
    this.#size = blockSize;
  }

  /** Reserve the first block (rejects if the counter cannot be reached). */
  async init(): Promise<void> {
    const size = this.#size;
    const end = await this.#reserve(size);
    this.#next = end - size + 1;
    this.#end = end;
    this.#spare = undefined;
  }

  get blockSize(): number {
    return this.#size;
  }

  next(): number {
    if (this.#next > this.#end && this.#spare) {
      this.#next = this.#spare.start;
      this.#end = this.#spare.end;
      this.#spare = undefined;
    }
    if (!this.#spare && this.#end - this.#next < this.#size / 2) this.#refill();
    if (this.#next > this.#end) {
      throw new BrokerError(
        'GW_ERR_STORE_UNAVAILABLE',
        'no message id available: the store did not answer the id block reservation',
        { cause: this.#lastError },
      );
    }
    return this.#next++;
  }

  #refill(): void {
    const now = Date.now();
    if (this.#refilling || now < this.#retryAfter) return;
    if (now - this.#lastRefillAt < FAST_REFILL_MS) this.#size = Math.min(this.#size * 2, MAX_BLOCK);
    this.#lastRefillAt = now;
    this.#refilling = true;
    const size = this.#size;
    this.#reserve(size).then(
      (end) => {
        this.#refilling = false;
        this.#spare = { start: end - size + 1, end };
      },
      (err: unknown) => {
        this.#refilling = false;
        this.#lastError = err;
        this.#retryAfter = Date.now() + RETRY_AFTER_FAILURE_MS;
      },
    );
  }
}
