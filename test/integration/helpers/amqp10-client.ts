/** A promise-shaped rhea client for the AMQP 1.0 tests: one rhea container per client. */
import { once } from 'node:events';
import rhea, {
  type Connection,
  type EventContext,
  type Message,
  type Receiver,
  type ReceiverOptions,
  type Sender,
  type SenderOptions,
} from 'rhea';

export const TIMEOUT_MS = 5_000;

/** Resolve on `event` (or reject on the matching error event / timeout). */
export async function next<T = EventContext>(
  emitter: NodeJS.EventEmitter,
  event: string,
  timeoutMs = TIMEOUT_MS,
): Promise<T> {
  const [value] = (await once(emitter, event, { signal: AbortSignal.timeout(timeoutMs) })) as [T];
  return value;
}

export interface TestClient {
  readonly connection: Connection;
  openSender(opts: SenderOptions | string): Promise<Sender>;
  openReceiver(opts: ReceiverOptions | string): Promise<Receiver>;
  /** Send one message and resolve with the outcome event name. */
  send(sender: Sender, msg: Message): Promise<{ outcome: string; ctx: EventContext }>;
  close(): Promise<void>;
}

/** `opts` override the connection options; `password: undefined` makes rhea log in ANONYMOUS. */
export async function connectClient(
  port: number,
  opts: Record<string, unknown> = {},
): Promise<TestClient> {
  const container = rhea.create_container();
  const connection = container.connect({
    host: '127.0.0.1',
    port,
    username: 'guest',
    password: 'guest',
    reconnect: false,
    ...opts,
  });
  connection.on('disconnected', () => undefined);
  connection.on('connection_error', () => undefined);
  connection.on('error', () => undefined);
  await Promise.race([
    next(connection, 'connection_open'),
    next(connection, 'connection_error').then((ctx: EventContext) => {
      throw new Error(`connection refused: ${JSON.stringify(ctx.connection.error ?? ctx.error)}`);
    }),
    next(connection, 'disconnected').then((ctx: EventContext) => {
      throw new Error(`disconnected: ${String(ctx.error)}`);
    }),
  ]);
  return {
    connection,
    async openSender(o) {
      const sender = connection.open_sender(o);
      sender.on('sender_error', () => undefined);
      await next(sender, 'sender_open');
      return sender;
    },
    async openReceiver(o) {
      const receiver = connection.open_receiver(o);
      receiver.on('receiver_error', () => undefined);
      await next(receiver, 'receiver_open');
      return receiver;
    },
    async send(sender, msg) {
      const delivery = sender.send(msg);
      const outcome = await new Promise<{ outcome: string; ctx: EventContext }>(
        (resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error('no outcome'));
          }, TIMEOUT_MS);
          for (const name of ['accepted', 'released', 'rejected', 'modified']) {
            const listener = (ctx: EventContext): void => {
              if (ctx.delivery !== delivery) return;
              clearTimeout(timer);
              resolve({ outcome: name, ctx });
            };
            sender.on(name, listener);
          }
        },
      );
      return outcome;
    },
    async close() {
      if (connection.is_closed() || !connection.is_open()) return;
      connection.close();
      await next(connection, 'connection_close').catch(() => undefined);
    },
  };
}

/** Collect `count` messages from a receiver. */
export function collect(
  receiver: Receiver,
  count: number,
  timeoutMs = TIMEOUT_MS,
): Promise<EventContext[]> {
  return new Promise((resolve, reject) => {
    const got: EventContext[] = [];
    const timer = setTimeout(() => {
      reject(new Error(`got ${got.length} of ${count} messages`));
    }, timeoutMs);
    const onMessage = (ctx: EventContext): void => {
      got.push(ctx);
      if (got.length === count) {
        clearTimeout(timer);
        receiver.off('message', onMessage);
        resolve(got);
      }
    };
    receiver.on('message', onMessage);
  });
}

/** Typed wrappers of rhea's body section builders. */
export function dataBody(bytes: Buffer): unknown {
  return rhea.message.data_section(bytes) as unknown;
}
export function sequenceBody(list: readonly unknown[]): unknown {
  return rhea.message.sequence_section(list) as unknown;
}
