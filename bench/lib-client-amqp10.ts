/** AMQP 1.0 bench clients (rhea), 100-byte bodies in one data section. */
import { connect as amqp091Connect } from 'amqplib';
import rhea, { type EventContext } from 'rhea';
import type { Endpoints } from './lib-brokers.js';
import { amqpUrl, declareQueue } from './lib-client-amqp091.js';
import { sentAt } from './lib-flow.js';
import type { Arrive, CloseAll, Publisher, PubSide, SubSide } from './lib-flow.js';

/** The gateway and RabbitMQ 4 name a queue `/queues/<q>`; RabbitMQ 3.x's plugin `/amq/queue/<q>`. */
const queueAddress = (ep: Endpoints, queue: string): string =>
  ep.amqp10Legacy ? `/amq/queue/${queue}` : `/queues/${queue}`;

function open(ep: Endpoints): rhea.Connection {
  const connection = rhea.create_container().connect({
    host: '127.0.0.1',
    port: ep.amqp,
    username: 'guest',
    password: 'guest',
    reconnect: false,
    // Nagle would add ~40 ms stalls to small frames.
    tcp_no_delay: true,
  } as rhea.ConnectionOptions);
  connection.on('error', (e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
  });
  return connection;
}

function closed(connection: rhea.Connection): Promise<void> {
  return new Promise((resolve) => {
    connection.once('connection_close', () => {
      resolve();
    });
    connection.once('disconnected', () => {
      resolve();
    });
    connection.close();
  });
}

export async function amqp10Subscribe(
  ep: Endpoints,
  side: Extract<SubSide, { protocol: 'amqp10' }>,
  arrive: Arrive,
): Promise<CloseAll> {
  const setup = await amqp091Connect(amqpUrl(ep));
  await declareQueue(await setup.createChannel(), side.queue, side.bind);
  const connection = open(ep);
  const receiver = connection.open_receiver({
    source: queueAddress(ep, side.queue),
    credit_window: side.credit,
    // For pre-settled transfers this only settles locally (no disposition), which frees
    // rhea's session window.
    autoaccept: true,
    ...(side.presettled ? { snd_settle_mode: 1 } : {}),
  });
  receiver.on('message', (ctx: EventContext) => {
    arrive(sentAt((ctx.message?.body as { content: Buffer }).content));
  });
  await new Promise((resolve) => receiver.once('receiver_open', resolve));
  // the auto-delete queue lives while the receiver consumes; the setup connection can go
  await setup.close();
  return () => closed(connection);
}

export async function amqp10Publisher(
  ep: Endpoints,
  side: Extract<PubSide, { protocol: 'amqp10' }>,
): Promise<Publisher> {
  const connection = open(ep);
  const sender = connection.open_sender({
    target: queueAddress(ep, side.queue),
    ...(side.presettled ? { snd_settle_mode: 1 } : {}),
  });
  await new Promise((resolve) => sender.once('sender_open', resolve));
  let sent = 0;
  let settled = 0;
  let wake: (() => void) | undefined;
  let allSettled: (() => void) | undefined;
  sender.on('sendable', () => wake?.());
  sender.on('accepted', () => {
    if (++settled === sent) allSettled?.();
  });
  return {
    send(body) {
      sender.send({ body: rhea.message.data_section(body) as unknown });
      sent++;
      if (sender.sendable()) return undefined;
      return new Promise<void>((resolve) => (wake = resolve));
    },
    async close() {
      // Pre-settled: nothing says when rhea has put the last transfers on the wire (it
      // queues beyond the credit), so the driver ends this process once the consumer has
      // them all.
      if (side.presettled) return new Promise<void>(() => undefined);
      if (settled < sent) await new Promise<void>((resolve) => (allSettled = resolve));
      await closed(connection);
    },
  };
}
