/**
 * The gateway-wide memory alarm (RabbitMQ `vm_memory_high_watermark`): while it is raised,
 * connections that publish are no longer read (AMQP 0-9-1 also gets connection.blocked, AMQP
 * 1.0 senders get no link credit); connections that only consume keep working; everything
 * resumes when it clears. The first gateway samples its real RSS against a 1-byte watermark;
 * the second feeds the alarm samples itself (its timer is far off) to raise and clear it.
 */
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { next as nextRhea, connectClient } from './helpers/amqp10-client.js';
import { consumeInto, eventually, nextEvent, type Inbox } from './helpers/amqp091-client.js';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { connectMqtt } from './helpers/mqtt-clients.js';
import { RawStomp, waitFor } from './helpers/stomp-clients.js';

let gw: TestGateway;
let url: string;

beforeAll(async () => {
  gw = await startTestGateway({ memory: { highWatermark: 1, checkIntervalMs: 10 } });
  url = `amqp://127.0.0.1:${gw.port('amqp091')}`;
});

afterAll(async () => {
  await gw.stop();
});

describe('AMQP 0-9-1 connection.blocked', () => {
  it('blocks a publishing connection with reason "low on memory"; consumers go on', async () => {
    const publisher = await connect(url);
    const consumer = await connect(url);
    const cch = await consumer.createChannel();
    const q = await cch.assertQueue('', { exclusive: true });
    const pch = await publisher.createChannel();
    const blocked = nextEvent<string>(publisher, 'blocked');
    pch.sendToQueue(q.queue, Buffer.from('first'));
    expect(await blocked).toBe('low on memory');
    // The publish that triggered the block was routed; the consumer's connection is not blocked.
    const m = await cch.get(q.queue, { noAck: true });
    expect(m && m.content.toString()).toBe('first');
    await consumer.close();
    // The blocked publisher is not read any more: the gateway's stop drops it.
    publisher.on('error', () => undefined);
  });
});

describe('gateway-wide memory alarm, every protocol', () => {
  let alarmed: TestGateway;
  let consumer: ChannelModel;
  let channel: Channel;
  let inbox: Inbox;
  const raise = (): void => {
    alarmed.gateway.memoryAlarm.update(Number.MAX_SAFE_INTEGER);
  };
  const clear = (): void => {
    alarmed.gateway.memoryAlarm.update(0);
  };
  /** A round trip on the consumer's own connection: bytes a blocked publisher sent before it
   * have reached the gateway too, and would have been routed if they were read. */
  const roundTrip = async (): Promise<void> => {
    await channel.checkExchange('amq.topic');
  };
  const bodies = (key: string): string[] =>
    inbox.received.filter((m) => m.fields.routingKey === key).map((m) => m.content.toString());

  beforeAll(async () => {
    alarmed = await startTestGateway({
      memory: { highWatermark: 1, checkIntervalMs: 3_600_000 },
      // Fast STOMP heart-beats, for the heart-beat test below.
      protocols: { stomp: { heartbeat: { sendMinMs: 50, receiveMinMs: 100 } } },
    });
    consumer = await connect(`amqp://127.0.0.1:${alarmed.port('amqp091')}`);
    channel = await consumer.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, 'amq.topic', 'alarm.#');
    inbox = await consumeInto(channel, queue, { noAck: true });
  });
  afterAll(async () => {
    clear();
    await consumer.close();
    await alarmed.stop();
  });

  it('MQTT: a publishing connection is not read while the alarm is on; consumers go on', async () => {
    const client = await connectMqtt(alarmed.port('mqtt'), {
      username: 'guest',
      password: 'guest',
    });
    raise();
    await client.publishAsync('alarm/mqtt', 'one', { qos: 1 });
    let secondAcked = false;
    const second = client.publishAsync('alarm/mqtt', 'two', { qos: 1 }).then(() => {
      secondAcked = true;
    });
    await inbox.take(1);
    await roundTrip();
    expect(bodies('alarm.mqtt')).toEqual(['one']);
    expect(secondAcked).toBe(false);
    clear();
    await second;
    await inbox.take(1);
    expect(bodies('alarm.mqtt')).toEqual(['one', 'two']);
    await client.endAsync();
  });

  it('STOMP: a SEND after the alarm is not read (no RECEIPT) until it clears', async () => {
    const stomp = await RawStomp.connected(alarmed.port('stomp'));
    raise();
    stomp.send('SEND\ndestination:/topic/alarm.stomp\nreceipt:r1\n\none\0');
    expect((await stomp.next()).headers.get('receipt-id')).toBe('r1');
    stomp.send('SEND\ndestination:/topic/alarm.stomp\nreceipt:r2\n\ntwo\0');
    await inbox.take(1);
    await roundTrip();
    expect(bodies('alarm.stomp')).toEqual(['one']);
    clear();
    expect((await stomp.next()).headers.get('receipt-id')).toBe('r2');
    await inbox.take(1);
    expect(bodies('alarm.stomp')).toEqual(['one', 'two']);
    stomp.destroy();
  });

  it('STOMP: the heart-beat monitor is held while the connection is not read (RabbitMQ)', async () => {
    const stomp = await RawStomp.open(alarmed.port('stomp'));
    stomp.send(
      'CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:100,100\n\n\0',
    );
    expect((await stomp.next()).command).toBe('CONNECTED');
    const beating = setInterval(() => {
      stomp.send('\n');
    }, 50);
    let serverBeats = 0;
    let beat: (() => void) | undefined;
    stomp.socket.on('data', (chunk: Buffer) => {
      if (chunk.length === 1 && chunk[0] === 10) {
        serverBeats++;
        beat?.();
      }
    });
    const beats = (n: number): Promise<undefined> =>
      waitFor<undefined>((resolve) => {
        const target = serverBeats + n;
        beat = () => {
          if (serverBeats >= target) resolve(undefined);
        };
      }, `${n} server heart-beats`);
    stomp.send('SEND\ndestination:/topic/alarm.beats\nreceipt:b1\n\none\0');
    expect((await stomp.next()).headers.get('receipt-id')).toBe('b1');
    raise();
    stomp.send('SEND\ndestination:/topic/alarm.beats\nreceipt:b2\n\ntwo\0');
    // Ten server beats (about a second) is five times the 200 ms the monitor allows a silent
    // client: without the hold the connection would be closed with a heart-beat ERROR.
    await beats(10);
    clear();
    expect((await stomp.next()).headers.get('receipt-id')).toBe('b2');
    clearInterval(beating);
    stomp.destroy();
  });

  it('AMQP 1.0: a sender attached during the alarm gets no link credit until it clears', async () => {
    const client = await connectClient(alarmed.port('amqp10'));
    raise();
    const sender = await client.openSender('/exchanges/amq.topic/alarm.amqp10');
    // A second attach on the same connection: a flow for the sender would have come first.
    await client.openReceiver('/queues/amq.gen-alarm-probe').catch(() => undefined);
    expect(sender.sendable()).toBe(false);
    const sendable = nextRhea(sender, 'sendable');
    clear();
    await sendable;
    expect(sender.sendable()).toBe(true);
    await client.close();
  });

  it('shows in /metrics (gateway_memory_alarm) and the management overview', async () => {
    raise();
    const metrics = await (await fetch(`${alarmed.managementUrl}/metrics`)).text();
    expect(metrics).toMatch(/^gateway_memory_alarm 1$/m);
    const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };
    const overview = (await (
      await fetch(`${alarmed.managementUrl}/api/overview`, { headers: auth })
    ).json()) as { memory: { mem_alarm: boolean; mem_limit: number; mem_used: number } };
    expect(overview.memory).toMatchObject({ mem_alarm: true, mem_limit: 1 });
    expect(overview.memory.mem_used).toBeGreaterThan(0);
    clear();
    expect(await (await fetch(`${alarmed.managementUrl}/metrics`)).text()).toMatch(
      /^gateway_memory_alarm 0$/m,
    );
  });

  it('AMQP 0-9-1 publishers are unblocked (connection.unblocked) when it clears', async () => {
    const publisher = await connect(`amqp://127.0.0.1:${alarmed.port('amqp091')}`);
    const pch = await publisher.createChannel();
    raise();
    const blocked = nextEvent<string>(publisher, 'blocked');
    pch.publish('amq.topic', 'alarm.amqp091', Buffer.from('x'));
    expect(await blocked).toBe('low on memory');
    const unblocked = nextEvent(publisher, 'unblocked');
    clear();
    await unblocked;
    await eventually(
      () => bodies('alarm.amqp091').includes('x'),
      'the message published before the block',
    );
    await publisher.close();
  });
});
