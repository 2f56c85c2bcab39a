/**
 * AMQP 0-9-1 bad input at the byte level: each case gets the spec's close code and only the
 * offending connection goes; a healthy amqplib connection keeps working throughout.
 */
import fc from 'fast-check';
import { connect, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './helpers/gateway.js';
import { defs, HEADER_091, RawPeer } from './helpers/amqp091-raw.js';

let gw: TestGateway;
let port: number;
let healthy: ChannelModel;

beforeAll(async () => {
  gw = await startTestGateway({ protocols: { amqp091: { heartbeat: 1 } } });
  port = gw.port('amqp091');
  healthy = await connect({ hostname: '127.0.0.1', port, heartbeat: 0 });
});

afterAll(async () => {
  await healthy.close();
  await gw.stop();
});

async function expectHealthy(): Promise<void> {
  const ch = await healthy.createChannel();
  const q = await ch.assertQueue('', { exclusive: true });
  expect(q.queue).toMatch(/^amq\.gen-/);
  await ch.close();
}

async function expectConnectionClose(peer: RawPeer, code: number): Promise<void> {
  const close = await peer.expectMethod('ConnectionClose');
  expect(close.fields?.['replyCode']).toBe(code);
  peer.method(defs.ConnectionCloseOk as number, 0, {});
  await peer.closed;
  await expectHealthy();
}

describe('AMQP 0-9-1 §4.2.2 protocol header', () => {
  it('answers a wrong protocol header with AMQP 0-0-9-1 and closes', async () => {
    const peer = await RawPeer.connect(port, false);
    peer.socket.write('AMQP\x01\x01\x08\x00');
    await peer.closed;
    expect(peer.raw.equals(HEADER_091)).toBe(true);
    await expectHealthy();
  });

  it('answers garbage bytes with the protocol header and closes', async () => {
    const peer = await RawPeer.connect(port, false);
    peer.socket.write('GET / HTTP/1.1\r\n\r\n');
    await peer.closed;
    expect(peer.raw.equals(HEADER_091)).toBe(true);
  });

  it('accepts the header split over several packets', async () => {
    const peer = await RawPeer.connect(port);
    peer.socket.write(HEADER_091.subarray(0, 3));
    peer.socket.write(HEADER_091.subarray(3));
    const start = await peer.expectMethod('ConnectionStart');
    const props = start.fields?.['serverProperties'] as Record<string, Record<string, unknown>>;
    expect(props['capabilities']).toMatchObject({
      publisher_confirms: true,
      exchange_exchange_bindings: true,
      'basic.nack': true,
      consumer_cancel_notify: true,
      'connection.blocked': true,
      authentication_failure_close: true,
      per_consumer_qos: true,
    });
    expect(String(start.fields?.['mechanisms'])).toBe('PLAIN AMQPLAIN');
    peer.close();
  });
});

describe('AMQP 0-9-1 §4.2.3 framing errors close the connection', () => {
  it('501 FRAME_ERROR for a frame larger than the negotiated frame-max', async () => {
    const peer = await RawPeer.open(port, { frameMax: 4096 });
    peer.frame(1, 1, Buffer.alloc(5000));
    await expectConnectionClose(peer, 501);
  });

  it('501 FRAME_ERROR for a missing frame-end octet', async () => {
    const peer = await RawPeer.open(port);
    peer.frame(
      1,
      1,
      defs.encodeMethod(defs.BasicQos as number, 1, { prefetchCount: 1 }).subarray(7, -1),
      0x00,
    );
    await expectConnectionClose(peer, 501);
  });

  it('501 FRAME_ERROR for an unknown frame type', async () => {
    const peer = await RawPeer.open(port);
    peer.frame(9, 0, Buffer.alloc(0));
    await expectConnectionClose(peer, 501);
  });

  it('501 FRAME_ERROR for a truncated method', async () => {
    const peer = await RawPeer.open(port);
    peer.frame(1, 1, Buffer.from([0, 50, 0, 10, 0])); // queue.declare cut short
    await expectConnectionClose(peer, 501);
  });

  it('540 NOT_IMPLEMENTED for an unknown class/method', async () => {
    const peer = await RawPeer.open(port);
    peer.frame(1, 1, Buffer.from([0x12, 0x34, 0, 1]));
    await expectConnectionClose(peer, 540);
  });

  it('503 COMMAND_INVALID for a method only a server sends', async () => {
    const peer = await RawPeer.open(port);
    peer.method(defs.BasicDeliver as number, 1, {
      consumerTag: 'x',
      deliveryTag: 1,
      exchange: '',
      routingKey: '',
    });
    await expectConnectionClose(peer, 503);
  });

  it('504 CHANNEL_ERROR for a method on a channel that is not open', async () => {
    const peer = await RawPeer.open(port);
    peer.method(defs.BasicQos as number, 7, { prefetchCount: 1 });
    await expectConnectionClose(peer, 504);
  });

  it('505 UNEXPECTED_FRAME for content on a channel without basic.publish', async () => {
    const peer = await RawPeer.open(port);
    peer.socket.write(defs.encodeProperties(60, 1, 3, {}));
    await expectConnectionClose(peer, 505);
  });

  it('505 UNEXPECTED_FRAME for a method between basic.publish and its content', async () => {
    const peer = await RawPeer.open(port);
    peer.method(defs.BasicPublish as number, 1, { exchange: '', routingKey: 'q' });
    peer.method(defs.BasicQos as number, 1, { prefetchCount: 1 });
    await expectConnectionClose(peer, 505);
  });

  it('505 UNEXPECTED_FRAME for content on the wrong channel', async () => {
    const peer = await RawPeer.open(port);
    peer.method(defs.ChannelOpen as number, 2, {});
    await peer.expectMethod('ChannelOpenOk');
    peer.method(defs.BasicPublish as number, 1, { exchange: '', routingKey: 'q' });
    peer.socket.write(defs.encodeProperties(60, 2, 3, {}));
    await expectConnectionClose(peer, 505);
  });
});

describe('AMQP 0-9-1 content limits', () => {
  it('406 PRECONDITION_FAILED for a body above maxMessageSize closes only the channel', async () => {
    const peer = await RawPeer.open(port);
    peer.method(defs.BasicPublish as number, 1, { exchange: '', routingKey: 'q' });
    peer.socket.write(defs.encodeProperties(60, 1, 100 * 1024 * 1024, {}));
    const close = await peer.expectMethod('ChannelClose');
    expect(close.fields).toMatchObject({ replyCode: 406, classId: 60, methodId: 40 });
    peer.method(defs.ChannelCloseOk as number, 1, {});
    // The connection still works: another channel opens.
    peer.method(defs.ChannelOpen as number, 2, {});
    await peer.expectMethod('ChannelOpenOk');
    peer.close();
  });
});

describe('AMQP 0-9-1 random input after the handshake', () => {
  it('never takes the gateway down: each connection closes, others keep working (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.uint8Array({ minLength: 1, maxLength: 64 }).map((a) => Buffer.from(a)),
            // Well-framed frames with random types, channels and payloads reach deeper.
            fc
              .record({
                type: fc.constantFrom(1, 2, 3, 8),
                channel: fc.constantFrom(0, 1, 2),
                payload: fc.uint8Array({ maxLength: 40 }),
              })
              .map(({ type, channel, payload }) => {
                const b = Buffer.alloc(8 + payload.length);
                b[0] = type;
                b.writeUInt16BE(channel, 1);
                b.writeUInt32BE(payload.length, 3);
                Buffer.from(payload).copy(b, 7);
                b[b.length - 1] = 0xce;
                return b;
              }),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        async (chunks) => {
          const peer = await RawPeer.open(port);
          for (const c of chunks) peer.socket.write(c);
          peer.socket.end();
          await peer.closed;
        },
      ),
      { numRuns: 25 },
    );
    await expectHealthy();
  });
});

describe('AMQP 0-9-1 §2.2.4 handshake', () => {
  it('403 ACCESS_REFUSED on a wrong password (authentication_failure_close)', async () => {
    const peer = await RawPeer.startedWith(port, 'wrong');
    await expectConnectionClose(peer, 403);
  });

  it('530 NOT_ALLOWED for an unknown vhost', async () => {
    const peer = await RawPeer.startedWith(port, 'guest');
    await peer.expectMethod('ConnectionTune');
    peer.method(defs.ConnectionTuneOk as number, 0, {
      channelMax: 0,
      frameMax: 4096,
      heartbeat: 0,
    });
    peer.method(defs.ConnectionOpen as number, 0, { virtualHost: 'nope' });
    await expectConnectionClose(peer, 530);
  });

  it('530 NOT_ALLOWED when tune-ok asks for more than the server offered', async () => {
    const peer = await RawPeer.startedWith(port, 'guest');
    await peer.expectMethod('ConnectionTune');
    peer.method(defs.ConnectionTuneOk as number, 0, {
      channelMax: 0,
      frameMax: 1 << 30,
      heartbeat: 0,
    });
    await expectConnectionClose(peer, 530);
  });

  it('authenticates with AMQPLAIN', async () => {
    const conn = await connect(
      { hostname: '127.0.0.1', port },
      {
        credentials: {
          mechanism: 'AMQPLAIN',
          username: 'guest',
          password: 'guest',
          response: () => {
            const login = Buffer.from('guest');
            const entry = (k: string, v: Buffer) =>
              Buffer.concat([
                Buffer.from([k.length]),
                Buffer.from(k),
                Buffer.from('S'),
                Buffer.from([0, 0, 0, v.length]),
                v,
              ]);
            return Buffer.concat([entry('LOGIN', login), entry('PASSWORD', login)]);
          },
        },
      },
    );
    await conn.close();
  });
});

// Concurrent: each case waits out real heartbeat intervals.
describe.concurrent('AMQP 0-9-1 §4.2.7 heartbeats', () => {
  it('sends heartbeats at the negotiated interval', async () => {
    const peer = await RawPeer.open(port, { heartbeat: 1 });
    await peer.until(() => peer.frames.find((f) => f.type === 8), 'a heartbeat frame', 3000);
    peer.close();
  });

  it('closes a connection whose peer stays silent for two intervals', async () => {
    const peer = await RawPeer.open(port, { heartbeat: 1 });
    const started = Date.now();
    await peer.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    await expectHealthy();
  });

  it('keeps a connection that sends heartbeats', async () => {
    const peer = await RawPeer.open(port, { heartbeat: 1 });
    const beat = setInterval(() => {
      peer.frame(8, 0, Buffer.alloc(0));
    }, 400);
    try {
      // Three heartbeat intervals later the connection still answers.
      await peer.until(
        () => (peer.frames.filter((f) => f.type === 8).length >= 5 ? true : undefined),
        'five heartbeats',
        6000,
      );
      peer.method(defs.BasicQos as number, 1, { prefetchCount: 1 });
      await peer.expectMethod('BasicQosOk');
    } finally {
      clearInterval(beat);
      peer.close();
    }
  });
});
