/** Small waits around amqplib for the AMQP 0-9-1 integration tests: events with timeouts. */
import type { Channel, ConsumeMessage } from 'amqplib';

/** Resolves with the next `event` of `emitter`, rejects after `ms`. */
export function nextEvent<T = unknown>(
  emitter: {
    once(event: string, fn: (arg: T) => void): unknown;
    off(event: string, fn: (arg: T) => void): unknown;
  },
  event: string,
  ms = 5000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no '${event}' within ${ms} ms`));
    }, ms);
    const on = (arg: T): void => {
      clearTimeout(timer);
      resolve(arg);
    };
    emitter.once(event, on);
  });
}

/** Collects a consumer's deliveries; `take(n)` waits for the first n not yet taken. */
export interface Inbox {
  readonly tag: string;
  readonly received: ConsumeMessage[];
  /** Set when the server cancelled the consumer (basic.cancel). */
  cancelled: boolean;
  take(n: number, ms?: number): Promise<ConsumeMessage[]>;
  /** The next delivery. */
  one(ms?: number): Promise<ConsumeMessage>;
}

export async function consumeInto(
  ch: Channel,
  queue: string,
  opts: { noAck?: boolean; exclusive?: boolean; consumerTag?: string } = {},
): Promise<Inbox> {
  const waiters: (() => void)[] = [];
  let taken = 0;
  const inbox: Inbox = {
    tag: '',
    received: [],
    cancelled: false,
    async take(n, ms = 5000) {
      const deadline = Date.now() + ms;
      while (inbox.received.length < taken + n) {
        if (Date.now() > deadline) {
          throw new Error(
            `expected ${n} deliveries on ${queue}, got ${inbox.received.length - taken}`,
          );
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, deadline - Date.now() + 1);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      const out = inbox.received.slice(taken, taken + n);
      taken += n;
      return out;
    },
    async one(ms) {
      const [m] = await inbox.take(1, ms);
      if (!m) throw new Error('no delivery');
      return m;
    },
  };
  const { consumerTag } = await ch.consume(
    queue,
    (msg) => {
      if (msg) inbox.received.push(msg);
      else inbox.cancelled = true;
      for (const w of waiters.splice(0)) w();
    },
    opts,
  );
  return Object.assign(inbox, { tag: consumerTag });
}

/** Waits until `pred()` is true, polling on a short timer (for broker-side state). */
export async function eventually(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
}
