/** AMQP 0-9-1 bench clients (amqplib). */
import { once } from 'node:events';
import { connect, type Channel, type ConfirmChannel } from 'amqplib';
import type { Endpoints } from './lib-brokers.js';
import { fill, sentAt } from './lib-flow.js';
import type { Arrive, CloseAll, Publisher, PubSide, SubSide } from './lib-flow.js';

/** Unconfirmed publishes a confirming publisher keeps in flight. */
const CONFIRM_WINDOW = 1000;

export const amqpUrl = (ep: Endpoints): string => `amqp://guest:guest@127.0.0.1:${String(ep.amqp)}`;

/** Declares a queue (auto-delete) and its binding; used by the AMQP 1.0 side too. */
export async function declareQueue(
  ch: Channel,
  name: string,
  bind: { readonly exchange: string; readonly key: string } | undefined,
): Promise<void> {
  await ch.assertQueue(name, { autoDelete: true });
  if (bind) await ch.bindQueue(name, bind.exchange, bind.key);
}

export async function amqp091Subscribe(
  ep: Endpoints,
  side: Extract<SubSide, { protocol: 'amqp091' }>,
  arrive: Arrive,
): Promise<CloseAll> {
  const conn = await connect(amqpUrl(ep), { noDelay: true });
  const ch = await conn.createChannel();
  if (side.prefetch) await ch.prefetch(side.prefetch);
  for (const q of side.queues) {
    await declareQueue(ch, q.name, q.bind);
    await ch.consume(
      q.name,
      (m) => {
        if (!m) return;
        arrive(sentAt(m.content));
        if (side.prefetch) ch.ack(m);
      },
      { noAck: !side.prefetch },
    );
  }
  return () => conn.close();
}

export async function amqp091Publisher(
  ep: Endpoints,
  side: Extract<PubSide, { protocol: 'amqp091' }>,
  index: number,
): Promise<Publisher> {
  const conn = await connect(amqpUrl(ep), { noDelay: true });
  const ch: Channel | ConfirmChannel = side.confirms
    ? await conn.createConfirmChannel()
    : await conn.createChannel();
  const key = fill(side.routingKey, index);
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const confirmed = (): void => {
    inFlight--;
    if (inFlight < CONFIRM_WINDOW / 2) wake?.();
  };
  return {
    send(body) {
      let ok: boolean;
      if (side.confirms) {
        inFlight++;
        ok = (ch as ConfirmChannel).publish(side.exchange, key, body, {}, confirmed);
      } else {
        ok = ch.publish(side.exchange, key, body);
      }
      if (!ok) return once(ch, 'drain').then(() => undefined);
      if (inFlight < CONFIRM_WINDOW) return undefined;
      return new Promise<void>((resolve) => (wake = resolve));
    },
    async close() {
      if (side.confirms) await (ch as ConfirmChannel).waitForConfirms();
      // amqplib may send connection.close ahead of queued publishes: a round trip on the
      // channel first makes sure they are out.
      await ch.checkExchange('amq.topic');
      await conn.close();
    },
  };
}
