import type { Message } from '../../spi.js';

/** A message waiting in (or handed out by) a queue. */
export interface Entry {
  /** Position in the queue: requeued messages go back to it. */
  readonly seq: number;
  readonly message: Message;
  readonly size: number;
  /** Epoch ms after which the message is dead; 0 = never. */
  readonly expiresAt: number;
  readonly priority: number;
  deliveryCount: number;
  /** Store id of a persistent message in a durable queue; 0 = not stored. */
  readonly storeId: number;
}

/** FIFO of entries ordered by seq, with O(1) push/shift and ordered re-insertion. */
class SeqDeque {
  #items: Entry[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }
  push(e: Entry): void {
    this.#items.push(e);
  }
  peek(): Entry | undefined {
    return this.#items[this.#head];
  }
  shift(): Entry | undefined {
    const e = this.#items[this.#head];
    if (e === undefined) return undefined;
    this.#items[this.#head++] = undefined as unknown as Entry;
    // Compact once the dead prefix dominates, keeping shift amortised O(1).
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return e;
  }
  /** Back to its original position (requeue keeps order, as RabbitMQ classic queues do). */
  insertBySeq(e: Entry): void {
    let lo = this.#head;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#items[mid] as Entry).seq < e.seq) lo = mid + 1;
      else hi = mid;
    }
    if (lo === this.#head && this.#head > 0) {
      this.#items[--this.#head] = e;
    } else {
      this.#items.splice(lo, 0, e);
    }
  }
  clear(): Entry[] {
    const out = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return out;
  }
}

/** Ready messages, one FIFO per priority level (`x-max-priority`); highest level first. */
export class ReadyList {
  readonly #levels: SeqDeque[];
  #length = 0;

  constructor(maxPriority: number) {
    this.#levels = Array.from({ length: maxPriority + 1 }, () => new SeqDeque());
  }

  get length(): number {
    return this.#length;
  }

  #level(e: Entry): SeqDeque {
    return this.#levels[e.priority] as SeqDeque;
  }

  push(e: Entry): void {
    this.#level(e).push(e);
    this.#length++;
  }

  requeue(e: Entry): void {
    this.#level(e).insertBySeq(e);
    this.#length++;
  }

  #top(): SeqDeque | undefined {
    for (let i = this.#levels.length - 1; i >= 0; i--) {
      const l = this.#levels[i] as SeqDeque;
      if (l.length > 0) return l;
    }
    return undefined;
  }

  peek(): Entry | undefined {
    return this.#top()?.peek();
  }

  shift(): Entry | undefined {
    const e = this.#top()?.shift();
    if (e) this.#length--;
    return e;
  }

  clear(): Entry[] {
    this.#length = 0;
    return this.#levels.flatMap((l) => l.clear());
  }
}
